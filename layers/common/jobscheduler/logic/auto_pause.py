"""Auto-pause: a schedule with ``pause_after_failures: N`` pauses itself after N failed
runs in a row, with a note saying why, and publishes ``schedule.auto_paused``.

The count (``consecutive_failures``) is kept by the executor's finish write: +1 on a
failed run, 0 on a success; resuming resets it. The pause is the item write of
AutoPauseStore port (dal/auto_pause.py); the reconciler then disables the entries, as for
any pause. The event goes out through the EventPublisher port, as the run's own do.
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from jobscheduler.errors import DependencyUnavailable, DomainError
from jobscheduler.models.events import LifecycleEvent
from jobscheduler.models.schedules import Schedule, ScheduleStatus
from jobscheduler.observability import logger, metrics
from jobscheduler.wiring import auto_pause_store, event_publisher, preload

# Loaded with the executor, as before the port: a small module over the ledger's table.
preload("pauses")

_MAX_ERROR_IN_NOTE = 200


def due(schedule: Schedule, *, failed: bool) -> int | None:
    """The failures in a row this run makes, when they reach the schedule's limit."""
    limit = schedule.pause_after_failures
    if not failed or limit is None or schedule.status != ScheduleStatus.ACTIVE:
        return None
    failures = schedule.consecutive_failures + 1
    return failures if failures >= limit else None


def note_for(failures: int, last_error: str | None) -> str:
    note = f"paused automatically after {failures} failed runs in a row"
    if last_error:
        note += f" (last error: {last_error[:_MAX_ERROR_IN_NOTE]})"
    return note


def pause(
    tenant: str,
    schedule: Schedule,
    *,
    failures: int,
    execution_id: str,
    last_error: str | None,
    now: datetime,
) -> bool:
    """Never raises: the run is recorded whatever happens here (the next failure
    tries again, the count being still at or above the limit)."""
    note = note_for(failures, last_error)
    try:
        paused = auto_pause_store.pause_item(
            tenant, schedule.id, version=schedule.version, note=note, now=now
        )
    except DomainError:
        logger.exception("auto-pause failed")
        metrics.add_metric(name="AutoPauseFailed", unit=MetricUnit.Count, value=1)
        return False
    if not paused:
        return False  # paused, deleted or edited meanwhile: the owner's change wins
    metrics.add_metric(name="AutoPaused", unit=MetricUnit.Count, value=1)
    logger.warning("schedule paused automatically", extra={"failures": failures})
    after = schedule.model_copy(
        update={
            "status": ScheduleStatus.PAUSED,
            "pause_note": note,
            "next_run_at": None,
            "version": schedule.version + 1,
            "consecutive_failures": failures,
            "updated_at": now,
        }
    )
    event = LifecycleEvent.about_schedule(
        "schedule.auto_paused",
        after,
        note=note,
        consecutive_failures=failures,
        pause_after_failures=schedule.pause_after_failures,
        execution_id=execution_id,
    )
    try:  # the pause is written: a lost event must not undo or fail it
        event_publisher.publish(event)
    except DependencyUnavailable:
        logger.exception("lifecycle event not published", extra={"event_type": event.event_type})
    return True
