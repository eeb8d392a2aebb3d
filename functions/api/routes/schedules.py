"""/schedules: create, list, get, update, pause, resume, run now, delete."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query

from jobscheduler.logic import schedules as logic
from jobscheduler.models.api import RunResponse, ScheduleListQuery, SchedulePage
from jobscheduler.models.ids import SCHEDULE_ID_PATTERN
from jobscheduler.models.schedules import PauseRequest, Schedule, ScheduleCreate, ScheduleUpdate
from routes.answers import accepted, created, page_of
from routes.context import current_tenant, read_one, read_page, responses

router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated

TAGS = ["schedules"]
ScheduleId = Annotated[
    str,
    Path(description=f"Schedule id ({SCHEDULE_ID_PATTERN}); anything else is a 404"),
]
IfMatch = Annotated[
    str | None,
    Header(alias="if-match", description='The schedule version, e.g. "3"'),
]


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Optional, 1-128 characters of A-Z a-z 0-9 _ . : - (400 "
        "invalid_idempotency_key otherwise). A retry with the same key and body within 24 h "
        "returns the schedule the first request created (its current state, 201, "
        "Idempotent-Replayed: true) instead of creating another; the same key with a "
        "different body is a 422 idempotency_key_reused.",
    ),
]


@router.post(
    "/schedules",
    summary="Create a schedule",
    tags=TAGS,
    status_code=HTTPStatus.CREATED,
    responses=responses(
        201,
        Schedule,
        "The created schedule (or, for a replayed Idempotency-Key, the one the first "
        "request created, with Idempotent-Replayed: true); Location names it",
        400,
        401,
        413,
        429,
        503,
    ),
)
def create_schedule(
    body: Annotated[ScheduleCreate, Body()], idempotency_key: IdempotencyKey = None
) -> Response[Schedule]:
    outcome = logic.create(current_tenant(router), body, idempotency_key=idempotency_key)
    path = f"/schedules/{outcome.schedule.id}"
    return created(router, outcome.schedule, path, replayed=outcome.replayed)


@read_page(router, "/schedules", "List schedules (sorted by name)", SchedulePage, TAGS)
def list_schedules(query: Annotated[ScheduleListQuery, Query()]) -> SchedulePage:
    return page_of(SchedulePage, logic.list_schedules(current_tenant(router), query))


@read_one(router, "/schedules/<schedule_id>", "Get a schedule", Schedule, TAGS)
def get_schedule(schedule_id: ScheduleId) -> Schedule:
    return logic.get(current_tenant(router), schedule_id)


@router.patch(
    "/schedules/<schedule_id>",
    summary="Update a schedule (needs its current version)",
    description='Send the version in If-Match ("3") or as "version" in the body. '
    "A timing change rewrites the EventBridge Scheduler entries.",
    tags=TAGS,
    responses=responses(200, Schedule, "The updated schedule", 400, 401, 404, 409, 413, 428, 503),
)
def update_schedule(
    schedule_id: ScheduleId,
    body: Annotated[ScheduleUpdate, Body()],
    if_match: IfMatch = None,
) -> Schedule:
    return logic.update(current_tenant(router), schedule_id, body, if_match=if_match)


@router.post(
    "/schedules/<schedule_id>/pause",
    summary="Pause a schedule (optional note)",
    tags=TAGS,
    responses=responses(200, Schedule, "The paused schedule", 400, 401, 404, 409, 503),
)
def pause_schedule(
    schedule_id: ScheduleId,
    body: Annotated[PauseRequest | None, Body()] = None,
    if_match: IfMatch = None,
) -> Schedule:
    return logic.pause(current_tenant(router), schedule_id, body, if_match=if_match)


@router.post(
    "/schedules/<schedule_id>/resume",
    summary="Resume a paused schedule",
    tags=TAGS,
    responses=responses(200, Schedule, "The resumed schedule", 400, 401, 404, 409, 503),
)
def resume_schedule(schedule_id: ScheduleId, if_match: IfMatch = None) -> Schedule:
    return logic.resume(current_tenant(router), schedule_id, if_match=if_match)


@router.post(
    "/schedules/<schedule_id>/run",
    summary="Run now (asynchronously; the run lands in the history)",
    tags=TAGS,
    status_code=HTTPStatus.ACCEPTED,
    responses=responses(202, RunResponse, "The run is queued", 401, 404, 409, 503),
)
def run_schedule(schedule_id: ScheduleId) -> Response[RunResponse]:
    queued = logic.run_now(current_tenant(router), schedule_id)
    return accepted(router, queued, f"/schedules/{schedule_id}/executions/{queued.execution_id}")


@router.delete(
    "/schedules/<schedule_id>",
    summary="Delete a schedule (its history stays readable)",
    tags=TAGS,
    status_code=HTTPStatus.NO_CONTENT,
    responses=responses(204, None, "Deleted", 400, 401, 404, 409, 503),
)
def delete_schedule(schedule_id: ScheduleId, if_match: IfMatch = None) -> Response[None]:
    logic.delete(current_tenant(router), schedule_id, if_match=if_match)
    return Response(status_code=HTTPStatus.NO_CONTENT, body=None)
