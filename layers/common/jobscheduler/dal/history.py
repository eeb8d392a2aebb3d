"""The execution history as the API reads it: opaque-cursor pages, one record, clearing.

Pagination lives here, as for schedules (dal.schedules.list_page): the cursor wraps a
DynamoDB key, which only the store knows how to check. AWS failures surface as
``DependencyUnavailable``; a cursor that is not ours as ``InvalidCursor``.
"""

from __future__ import annotations

from datetime import datetime

from jobscheduler.aws import unavailable
from jobscheduler.dal import executions as records
from jobscheduler.dal import keys
from jobscheduler.dal.cursor import decode_cursor, encode_cursor
from jobscheduler.models.executions import Execution, ExecutionStatus
from jobscheduler.models.pagination import Page

_CURSOR_SCOPE = "executions"
_TENANT_CURSOR_SCOPE = "tenant-executions"


def _start_key(tenant: str, schedule_id: str | None, cursor: str) -> dict[str, str]:
    """The key ``cursor`` resumes from; it must lie in the partition being listed."""
    if schedule_id is not None:
        return decode_cursor(
            cursor,
            _CURSOR_SCOPE,
            exact={keys.PK: keys.executions_pk(tenant, schedule_id)},
            prefixes={keys.SK: keys.execution_sk("")},
        )
    return decode_cursor(
        cursor,
        _TENANT_CURSOR_SCOPE,
        exact={keys.GSI2PK: keys.tenant_executions_pk(tenant)},
        prefixes={
            keys.PK: keys.executions_pk(tenant, ""),
            keys.SK: keys.execution_sk(""),
            keys.GSI2SK: keys.execution_sk(""),
        },
    )


def list_page(
    tenant: str,
    schedule_id: str | None,
    *,
    status: ExecutionStatus | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[Execution]:
    """A page of executions, newest first: one schedule's, or (``schedule_id`` None)
    the tenant's across its schedules."""
    start = _start_key(tenant, schedule_id, cursor) if cursor else None
    with unavailable("list executions"):
        items, last_key = records.list_executions(
            tenant,
            schedule_id,
            status=status,
            since=since,
            until=until,
            limit=limit,
            cursor=dict(start) if start else None,
        )
    scope = _CURSOR_SCOPE if schedule_id is not None else _TENANT_CURSOR_SCOPE
    return Page[Execution](
        items=items,
        next_cursor=encode_cursor(scope, last_key) if last_key else None,
    )


def get(tenant: str, schedule_id: str, execution_id: str) -> Execution | None:
    with unavailable("read execution"):
        return records.get_execution(tenant, schedule_id, execution_id)


def clear(tenant: str, schedule_id: str) -> int:
    """Delete a schedule's whole history; returns how many records there were."""
    with unavailable("clear executions"):
        return records.delete_executions(tenant, schedule_id)
