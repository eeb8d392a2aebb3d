"""The reconciler's slow, full pass over Scheduler entries, a bounded batch at a time.

Finds what the fast pass cannot see through its indexes: entries whose item is gone or
finished (orphans, deleted here) and items written before the indexes existed or whose
entry state disagrees (queued for the fast pass's check). Each invocation reads at most
``reconcile_sweep_batch`` entries at a paced rate and stores where it stopped, so a
whole sweep is spread over several invocations and never bursts Scheduler's quotas.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from jobscheduler.dal import reconcile_index as index
from jobscheduler.gateways import scheduler
from jobscheduler.models.ids import is_schedule_id
from jobscheduler.models.schedules import ScheduleStatus
from jobscheduler.observability import logger, metrics
from jobscheduler.settings import get_settings

# Scheduler's GetSchedule/ListSchedules quotas are tens of calls per second per account;
# the sweep keeps well under them, leaving room for the API.
CALLS_PER_SECOND = 10.0
_EXPECTED_STATE = {ScheduleStatus.ACTIVE: "ENABLED", ScheduleStatus.PAUSED: "DISABLED"}


@dataclass
class SweepReport:
    entries: int = 0
    orphans_deleted: int = 0
    queued_for_check: int = 0
    finished: bool = False  # True when this batch reached the end of the group

    def as_dict(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "orphans_deleted": self.orphans_deleted,
            "queued_for_check": self.queued_for_check,
            "finished": self.finished,
        }


def _owner(detail: dict[str, Any]) -> tuple[str, str] | None:
    """(tenant, schedule id) from the entry's target input, or None if not ours."""
    try:
        data = json.loads(str(detail.get("Target", {}).get("Input") or "{}"))
    except ValueError:
        return None
    tenant, schedule_id = data.get("tenant"), data.get("schedule_id")
    if not isinstance(tenant, str) or not isinstance(schedule_id, str):
        return None
    return (tenant, schedule_id) if is_schedule_id(schedule_id) else None


def run_sweep(now: datetime, *, sleep: Callable[[float], None] = time.sleep) -> SweepReport:
    report = SweepReport()
    batch = get_settings().reconcile_sweep_batch
    token = index.read_sweep_token()
    pause = 1.0 / CALLS_PER_SECOND
    while report.entries < batch:
        names, token = scheduler.list_entry_names(token, min(100, batch - report.entries))
        for name in names:
            report.entries += 1
            sleep(pause)
            _sweep_one(name, now, report)
        if token is None:
            report.finished = True
            break
    index.write_sweep_token(token, now)
    metrics.add_metric(name="SweepEntries", unit=MetricUnit.Count, value=report.entries)
    return report


def _sweep_one(name: str, now: datetime, report: SweepReport) -> None:
    detail = scheduler.get_entry(name)
    owner = _owner(detail) if detail else None
    if owner is None:
        return  # gone meanwhile, or an entry this stack did not write
    tenant, schedule_id = owner
    raw = index.get_raw(tenant, schedule_id)
    schedule = index.schedule_of(raw) if raw else None
    expected = _EXPECTED_STATE.get(schedule.status) if schedule else None
    if expected is None:
        # No item, or one that owns no entries (DELETED, COMPLETED; PENDING items are
        # the fast pass's, through their check marker).
        if schedule is not None and schedule.status == ScheduleStatus.PENDING:
            return
        scheduler.delete_entry(name)
        report.orphans_deleted += 1
        metrics.add_metric(name="RepairEntryOrphan", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="Repairs", unit=MetricUnit.Count, value=1)
        logger.warning("orphan entry deleted", extra={"entry": name})
        return
    state = detail.get("State") if detail else None
    if raw is not None and (index.DUE_PK not in raw or state != expected):
        index.mark_for_check(tenant, schedule_id, now)
        report.queued_for_check += 1
