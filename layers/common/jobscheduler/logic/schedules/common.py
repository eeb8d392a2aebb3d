"""What every schedule use case shares: the clock, loading by id and version checks,
compiling the timing fields, and publishing lifecycle events."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from jobscheduler.errors import (
    Conflict,
    DependencyUnavailable,
    InvalidExclusion,
    InvalidExpression,
    InvalidIfMatch,
    InvalidState,
    NotFound,
    ValidationFailed,
    VersionConflict,
)
from jobscheduler.expressions import SchedulePolicy, compile_schedule
from jobscheduler.logic.calendars import effective_exclusions
from jobscheduler.logic.timing import next_fire
from jobscheduler.models.events import EventType, LifecycleEvent
from jobscheduler.models.ids import is_schedule_id
from jobscheduler.models.schedules import Schedule, ScheduleCreate, ScheduleStatus
from jobscheduler.observability import logger, metrics
from jobscheduler.settings import get_settings
from jobscheduler.wiring import event_publisher as publisher
from jobscheduler.wiring import schedule_store as store

# If-Match: 3, "3" or W/"3".
_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,12})"?\s*$')
PENDING_MESSAGE = (
    "the schedule is still being created; retry in a moment (if it stays PENDING its "
    "creation failed half-way: POST .../resume finishes it, DELETE removes it)"
)


def now_utc() -> datetime:
    """The use cases' clock (tests move it by patching this module's attribute)."""
    return datetime.now(UTC)


def policy() -> SchedulePolicy:
    settings = get_settings()
    return SchedulePolicy(
        min_interval_seconds=settings.min_interval_seconds,
        max_one_off_days=settings.max_one_off_days,
    )


def _not_found(schedule_id: str) -> NotFound:
    return NotFound(f"schedule {schedule_id} not found", details={"schedule_id": schedule_id})


def check_schedule_id(schedule_id: str) -> None:
    """An id that cannot exist is simply not found (404), like another tenant's id."""
    if not is_schedule_id(schedule_id):
        raise _not_found(schedule_id)


def load(tenant: str, schedule_id: str, *, allow_deleted: bool = False) -> Schedule:
    check_schedule_id(schedule_id)
    schedule = store.get(tenant, schedule_id)
    if schedule is None or (schedule.status == ScheduleStatus.DELETED and not allow_deleted):
        raise _not_found(schedule_id)
    return schedule


def parse_if_match(if_match: str | None) -> int | None:
    if if_match is None or not if_match.strip():
        return None
    match = _IF_MATCH.match(if_match)
    if match is None:
        raise InvalidIfMatch(
            'If-Match must carry the schedule version, e.g. If-Match: "3"',
            details={"if_match": if_match},
        )
    return int(match.group(1))


def check_version(schedule: Schedule, expected: int | None) -> None:
    if expected is not None and expected != schedule.version:
        raise VersionConflict(
            f"schedule {schedule.id} is at version {schedule.version}, not {expected}; "
            "read it again and retry",
            details={"current_version": schedule.version},
        )


def invalid_state(schedule: Schedule, action: str) -> Conflict:
    return InvalidState(
        f"cannot {action} a {schedule.status.value} schedule",
        details={"status": schedule.status.value},
    )


# --- timing ---------------------------------------------------------------------------


def check_window(start_at: datetime | None, end_at: datetime | None) -> None:
    if start_at is not None and end_at is not None and end_at <= start_at:
        raise ValidationFailed(
            "end_at must be after start_at",
            details={"start_at": start_at.isoformat(), "end_at": end_at.isoformat()},
        )


def compiled_timing(source: ScheduleCreate | Schedule, now: datetime) -> dict[str, Any]:
    """The item fields that follow from compiling the schedule expression of a create
    body or a patched item (raises InvalidExpression and its kin)."""
    compiled = compile_schedule(
        source.schedule,
        source.timezone,
        now=now,
        start_at=source.start_at,
        end_at=source.end_at,
        policy=policy(),
        holiday_country=source.holiday_country,
    )
    return {
        "kind": compiled.kind,
        "expressions": list(compiled.expressions),
        "timezone": compiled.timezone,
        "schedule_description": compiled.description,
        "exclusions": effective_exclusions(source.exclude, compiled.exclude),
    }


def next_run(schedule: Schedule, now: datetime) -> datetime | None:
    if schedule.status not in (ScheduleStatus.ACTIVE, ScheduleStatus.PENDING):
        return None
    return next_fire(schedule, after=now)


def never_runs(schedule: Schedule) -> InvalidExpression:
    if schedule.exclusions and schedule.status != ScheduleStatus.PAUSED:
        return InvalidExclusion(
            f"the exclusions leave schedule {schedule.schedule!r} no run in the next years",
            suggestion=None,
        )
    return InvalidExpression(
        f"schedule {schedule.schedule!r} has no run after now"
        + (" before end_at" if schedule.end_at else ""),
        suggestion="pick a time in the future or a later end_at",
    )


# --- events ---------------------------------------------------------------------------


def publish(event_type: EventType, schedule: Schedule, **data: Any) -> None:
    """Best effort: the write it reports has happened; a failed publish is logged and
    counted, never turned into a failed request (subscribers can re-read the API)."""
    event = LifecycleEvent.about_schedule(event_type, schedule, **data)
    try:
        publisher.publish(event)
    except DependencyUnavailable:
        logger.exception("lifecycle event not published", extra={"event_type": event_type})
        metrics.add_metric(name="LifecycleEventPublishFailed", unit=MetricUnit.Count, value=1)
