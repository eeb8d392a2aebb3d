"""Delete: item DELETED (+ quota released, one transaction) -> entries deleted. A failed
entry deletion is harmless (the executor skips DELETED schedules) and a repeated DELETE
finishes it."""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from jobscheduler.errors import VersionConflict
from jobscheduler.logic import entries
from jobscheduler.logic.schedules import common
from jobscheduler.models.schedules import ScheduleStatus
from jobscheduler.observability import metrics
from jobscheduler.wiring import schedule_store as store

# Deleting a schedule retries its version-checked write this often when the executor
# moves the version (a run completing the schedule) in between.
_DELETE_ATTEMPTS = 3


def delete(
    tenant: str,
    schedule_id: str,
    *,
    if_match: str | None = None,
    now: datetime | None = None,
) -> None:
    """Idempotent: deleting a DELETED schedule sweeps any entry a failed delete left."""
    now = now or common.now_utc()
    expected = common.parse_if_match(if_match)
    current = common.load(tenant, schedule_id, allow_deleted=True)
    deleted_now = None
    for attempt in range(_DELETE_ATTEMPTS):
        if current.status == ScheduleStatus.DELETED:
            break
        common.check_version(current, expected)
        tombstone = current.model_copy(
            update={"status": ScheduleStatus.DELETED, "next_run_at": None, "updated_at": now}
        )
        try:
            store.mark_deleted(tombstone, expected_version=current.version)
        except VersionConflict:
            # The executor moved the version (a run finished); without If-Match, retry.
            if expected is not None or attempt == _DELETE_ATTEMPTS - 1:
                raise
            current = common.load(tenant, schedule_id, allow_deleted=True)
            continue
        deleted_now = tombstone.model_copy(update={"version": current.version + 1})
        break
    if deleted_now is not None:
        metrics.add_metric(name="SchedulesDeleted", unit=MetricUnit.Count, value=1)
        common.publish("schedule.deleted", deleted_now)
    # After the item: a leftover entry only fires into a skip; DELETE again removes it.
    entries.delete_all(current)
    entries.converge(deleted_now or current, now=now, applied=True)
