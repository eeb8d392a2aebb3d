"""Recovery: replay one execution, backfill the fires of a past window."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from jobscheduler.logic import backfill as backfills
from jobscheduler.logic import replay
from routes.answers import accepted
from routes.context import current_tenant, responses

router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated

TAGS = ["executions"]
ScheduleId = Annotated[str, Path(max_length=64, description="Schedule id")]
ExecutionId = Annotated[str, Path(max_length=128, description="Execution id")]


@router.post(
    "/schedules/<schedule_id>/executions/<execution_id>/retry",
    summary="Replay a finished execution as a new one (retry_of links them)",
    description="The new run keeps the original's scheduled time and is queued like a "
    "run-now; 409 while the original is still running.",
    tags=TAGS,
    status_code=HTTPStatus.ACCEPTED,
    responses=responses(202, replay.RetryResponse, "The replay is queued", 401, 404, 409, 503),
)
def retry_execution(
    schedule_id: ScheduleId, execution_id: ExecutionId
) -> Response[replay.RetryResponse]:
    queued = replay.retry(current_tenant(router), schedule_id, execution_id)
    return accepted(router, queued, f"/schedules/{schedule_id}/executions/{queued.execution_id}")


@router.post(
    "/schedules/<schedule_id>/backfill",
    summary="Run the past fires of a window that have no execution, oldest first",
    description="At most 1,000 fires per request (`truncated` and `next_from` tell how to "
    'continue), run at a bounded rate with `trigger: "backfill"`. A fire that already '
    "ran, or that another backfill is running, is never run twice.",
    tags=TAGS,
    status_code=HTTPStatus.ACCEPTED,
    responses=responses(
        202, backfills.BackfillResponse, "The fires are queued", 401, 404, 409, 503
    ),
)
def backfill_schedule(
    schedule_id: ScheduleId, body: Annotated[backfills.BackfillRequest, Body()]
) -> Response[backfills.BackfillResponse]:
    return accepted(router, backfills.backfill(current_tenant(router), schedule_id, body))
