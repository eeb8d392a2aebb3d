"""The executor's two side calls besides its task: removing a completed schedule's
Scheduler entries, and publishing lifecycle events without losing the run over it."""

from __future__ import annotations

from jobscheduler.aws import AWS_ERRORS
from jobscheduler.errors import DependencyUnavailable
from jobscheduler.gateways.events import publish
from jobscheduler.gateways.scheduler_delete import delete_entry
from jobscheduler.models.events import LifecycleEvent
from jobscheduler.models.ids import scheduler_entry_name
from jobscheduler.observability import logger


def delete_scheduler_entries(schedule_id: str, parts: int) -> int:
    """Delete entries ``{id}-0`` .. ``{id}-{parts-1}``; returns how many existed.

    Raises DependencyUnavailable on errors other than "already gone", so the caller can
    log and go on (a later fire of a COMPLETED schedule retries the cleanup).
    """
    return sum(
        delete_entry(scheduler_entry_name(schedule_id, part)) for part in range(max(parts, 1))
    )


def try_delete_scheduler_entries(schedule_id: str, parts: int) -> bool:
    """``delete_scheduler_entries`` that logs a failure instead of raising."""
    try:
        delete_scheduler_entries(schedule_id, parts)
    except DependencyUnavailable:
        logger.exception("could not delete the Scheduler entries of a completed schedule")
        return False
    return True


def try_publish(event: LifecycleEvent) -> bool:
    """Publish after the record is written; a failure is logged, never raised."""
    try:
        publish(event)
    except AWS_ERRORS:
        logger.exception("lifecycle event not published", extra={"event_type": event.event_type})
        return False
    return True
