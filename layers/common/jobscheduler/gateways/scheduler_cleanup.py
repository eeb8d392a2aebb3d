"""The executor's two side calls besides its task: removing a completed schedule's
Scheduler entries, and publishing lifecycle events without losing the run over it."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from jobscheduler.aws import client
from jobscheduler.gateways.events import publish
from jobscheduler.models.events import LifecycleEvent
from jobscheduler.models.ids import scheduler_entry_name
from jobscheduler.observability import logger
from jobscheduler.settings import get_settings


def delete_scheduler_entries(schedule_id: str, parts: int) -> int:
    """Delete entries ``{id}-0`` .. ``{id}-{parts-1}``; returns how many existed.

    Raises on errors other than "already gone", so the caller can log and go on (a later
    fire of a COMPLETED schedule retries the cleanup).
    """
    scheduler = client("scheduler")
    deleted = 0
    for part in range(max(parts, 1)):
        try:
            scheduler.delete_schedule(
                Name=scheduler_entry_name(schedule_id, part),
                GroupName=get_settings().schedule_group,
            )
            deleted += 1
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
    return deleted


def try_delete_scheduler_entries(schedule_id: str, parts: int) -> bool:
    """``delete_scheduler_entries`` that logs a failure instead of raising."""
    try:
        delete_scheduler_entries(schedule_id, parts)
    except (ClientError, BotoCoreError):
        logger.exception("could not delete the Scheduler entries of a completed schedule")
        return False
    return True


def try_publish(event: LifecycleEvent) -> bool:
    """Publish after the record is written; a failure is logged, never raised."""
    try:
        publish(event)
    except (ClientError, BotoCoreError):
        logger.exception("lifecycle event not published", extra={"event_type": event.event_type})
        return False
    return True
