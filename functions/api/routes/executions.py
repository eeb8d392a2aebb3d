"""/executions (the tenant's history) and /schedules/{id}/executions (a schedule's history,
newest first, one run, clear)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from jobscheduler.logic import executions as logic
from jobscheduler.models.api import (
    ClearQuery,
    ClearResponse,
    ExecutionListQuery,
    ExecutionPage,
    TenantExecutionListQuery,
)
from jobscheduler.models.executions import Execution
from routes.answers import page_of
from routes.context import current_tenant, read_one, read_page, responses

router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated

TAGS = ["executions"]
ScheduleId = Annotated[str, Path(description="Schedule id")]


@read_page(
    router,
    "/executions",
    "List the caller's executions across all schedules, newest first",
    ExecutionPage,
    TAGS,
    404,  # an unknown schedule_id
    description="Served by a query on an index of the tenant's executions by time. "
    "`schedule_id` narrows it to one schedule (a deleted one included, for its retention).",
)
def list_tenant_executions(query: Annotated[TenantExecutionListQuery, Query()]) -> ExecutionPage:
    return page_of(ExecutionPage, logic.list_tenant_executions(current_tenant(router), query))


@read_page(
    router,
    "/schedules/<schedule_id>/executions",
    "List a schedule's executions, newest first",
    ExecutionPage,
    TAGS,
    404,  # an unknown schedule
)
def list_executions(
    schedule_id: ScheduleId, query: Annotated[ExecutionListQuery, Query()]
) -> ExecutionPage:
    page = logic.list_executions(current_tenant(router), schedule_id, query)
    return page_of(ExecutionPage, page)


@read_one(
    router,
    "/schedules/<schedule_id>/executions/<execution_id>",
    "Get one execution",
    Execution,
    TAGS,
)
def get_execution(
    schedule_id: ScheduleId,
    execution_id: Annotated[str, Path(max_length=128, description="Execution id")],
) -> Execution:
    return logic.get_execution(current_tenant(router), schedule_id, execution_id)


@router.delete(
    "/schedules/<schedule_id>/executions",
    summary="Clear a schedule's history (needs ?confirm=true)",
    tags=TAGS,
    responses=responses(200, ClearResponse, "How many records were deleted", 400, 401, 404, 503),
)
def clear_executions(
    query: Annotated[ClearQuery, Query()], schedule_id: ScheduleId
) -> ClearResponse:
    deleted = logic.clear_executions(current_tenant(router), schedule_id, confirm=query.confirm)
    return ClearResponse(deleted=deleted)
