"""Execution history: a schedule's or the tenant's (newest first), get one, clear."""

from __future__ import annotations

from jobscheduler.errors import ConfirmationRequired, NotFound, ValidationFailed
from jobscheduler.logic.schedules import load
from jobscheduler.models.api import ExecutionListQuery, TenantExecutionListQuery
from jobscheduler.models.executions import Execution
from jobscheduler.models.pagination import Page
from jobscheduler.wiring import execution_history as history


def list_executions(tenant: str, schedule_id: str, query: ExecutionListQuery) -> Page[Execution]:
    # History stays readable after a delete, for its retention.
    load(tenant, schedule_id, allow_deleted=True)
    _check_window(query)
    return _page(tenant, schedule_id, query)


def list_tenant_executions(tenant: str, query: TenantExecutionListQuery) -> Page[Execution]:
    """The caller's executions across its schedules, newest first (GET /executions).

    With ``schedule_id`` this is that schedule's history (its own partition, cheaper than
    filtering the tenant's); an unknown schedule is a 404 like its own history route.
    """
    if query.schedule_id is not None:
        return list_executions(tenant, query.schedule_id, query)
    _check_window(query)
    return _page(tenant, None, query)


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


def _page(tenant: str, schedule_id: str | None, query: ExecutionListQuery) -> Page[Execution]:
    return history.list_page(
        tenant,
        schedule_id,
        status=query.status,
        since=query.since,
        until=query.until,
        limit=query.limit,
        cursor=query.cursor,
    )


def get_execution(tenant: str, schedule_id: str, execution_id: str) -> Execution:
    load(tenant, schedule_id, allow_deleted=True)
    execution = history.get(tenant, schedule_id, execution_id)
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
    return history.clear(tenant, schedule_id)
