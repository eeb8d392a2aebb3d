"""Execution history: a schedule's or the tenant's (newest first), get one, clear."""

from __future__ import annotations

from jobscheduler.dal import executions as history
from jobscheduler.dal import keys
from jobscheduler.dal.cursor import decode_cursor, encode_cursor
from jobscheduler.dal.failures import unavailable
from jobscheduler.errors import ConfirmationRequired, NotFound, ValidationFailed
from jobscheduler.logic.schedules import load
from jobscheduler.models.api import ExecutionListQuery, TenantExecutionListQuery
from jobscheduler.models.executions import Execution
from jobscheduler.models.pagination import Page

_CURSOR_SCOPE = "executions"
_TENANT_CURSOR_SCOPE = "tenant-executions"


def list_executions(tenant: str, schedule_id: str, query: ExecutionListQuery) -> Page[Execution]:
    # History stays readable after a delete, for its retention.
    load(tenant, schedule_id, allow_deleted=True)
    _check_window(query)
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
    return _page(tenant, schedule_id, query, start, _CURSOR_SCOPE)


def list_tenant_executions(tenant: str, query: TenantExecutionListQuery) -> Page[Execution]:
    """The caller's executions across its schedules, newest first (GET /executions).

    With ``schedule_id`` this is that schedule's history (its own partition, cheaper than
    filtering the tenant's); an unknown schedule is a 404 like its own history route.
    """
    if query.schedule_id is not None:
        return list_executions(tenant, query.schedule_id, query)
    _check_window(query)
    start = (
        decode_cursor(
            query.cursor,
            _TENANT_CURSOR_SCOPE,
            exact={keys.GSI2PK: keys.tenant_executions_pk(tenant)},
            prefixes={
                keys.PK: keys.executions_pk(tenant, ""),
                keys.SK: keys.execution_sk(""),
                keys.GSI2SK: keys.execution_sk(""),
            },
        )
        if query.cursor
        else None
    )
    return _page(tenant, None, query, start, _TENANT_CURSOR_SCOPE)


def _check_window(query: ExecutionListQuery) -> None:
    if query.since and query.until and query.until < query.since:
        raise ValidationFailed(
            "until must not be before since",
            details={
                "since": query.since.isoformat(),
                "until": query.until.isoformat(),
                "suggestion": "swap since and until",
            },
        )


def _page(
    tenant: str,
    schedule_id: str | None,
    query: ExecutionListQuery,
    start: dict[str, str] | None,
    scope: str,
) -> Page[Execution]:
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
        next_cursor=encode_cursor(scope, last_key) if last_key else None,
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
