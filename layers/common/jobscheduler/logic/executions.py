"""A schedule's history: list (newest first), get one, clear."""

from __future__ import annotations

from jobscheduler.dal import executions as history
from jobscheduler.dal import keys
from jobscheduler.dal.cursor import decode_cursor, encode_cursor
from jobscheduler.dal.failures import unavailable
from jobscheduler.errors import ConfirmationRequired, NotFound, ValidationFailed
from jobscheduler.logic.schedules import load
from jobscheduler.models.api import ExecutionListQuery
from jobscheduler.models.executions import Execution
from jobscheduler.models.pagination import Page

_CURSOR_SCOPE = "executions"


def list_executions(tenant: str, schedule_id: str, query: ExecutionListQuery) -> Page[Execution]:
    # History stays readable after a delete, for its retention.
    load(tenant, schedule_id, allow_deleted=True)
    if query.since and query.until and query.until < query.since:
        raise ValidationFailed(
            "until must not be before since",
            details={"since": query.since.isoformat(), "until": query.until.isoformat()},
        )
    partition = keys.executions_pk(tenant, schedule_id)
    start = (
        decode_cursor(
            query.cursor,
            _CURSOR_SCOPE,
            exact={keys.PK: partition},
            prefixes={keys.SK: keys.execution_sk("")},
        )
        if query.cursor
        else None
    )
    with unavailable("list executions"):
        items, last_key = history.list_executions(
            tenant,
            schedule_id,
            status=query.status,
            since=query.since,
            until=query.until,
            limit=query.limit,
            cursor=dict(start) if start else None,
        )
    return Page[Execution](
        items=items,
        next_cursor=encode_cursor(_CURSOR_SCOPE, last_key) if last_key else None,
    )


def get_execution(tenant: str, schedule_id: str, execution_id: str) -> Execution:
    load(tenant, schedule_id, allow_deleted=True)
    with unavailable("read execution"):
        execution = history.get_execution(tenant, schedule_id, execution_id)
    if execution is None:
        raise NotFound(
            f"execution {execution_id} of schedule {schedule_id} not found",
            details={"schedule_id": schedule_id, "execution_id": execution_id},
        )
    return execution


def clear_executions(tenant: str, schedule_id: str, *, confirm: bool) -> int:
    if not confirm:
        raise ConfirmationRequired(
            "clearing a schedule's history cannot be undone: add ?confirm=true",
            details={"confirm": "true"},
        )
    load(tenant, schedule_id, allow_deleted=True)
    with unavailable("clear executions"):
        return history.delete_executions(tenant, schedule_id)
