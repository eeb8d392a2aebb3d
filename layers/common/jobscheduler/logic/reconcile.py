"""The reconciler's pass: repair drift between schedule items and Scheduler entries, and
report runs that did not happen.

A pass reads two sparse indexes (dal/reconcile_index.py), so its cost follows what
changed or is due, not the number of schedules:

1. Checks: every API write leaves a check marker; once the settle delay has passed the
   pass compares the item with its entries and repairs them. A create still PENDING
   once logic/pending.py deems it abandoned is rolled back (its caller was told it
   failed); a younger one is looked at again when it will be. The marker is then
   removed, unless a newer write replaced it.
2. Due runs: ACTIVE schedules whose next_run_at is older than the grace period. If the
   run happened (a record, a claim, a run in flight) next_run_at was merely left
   behind; otherwise the run is missed: ``schedule.missed`` is published, the entries
   are checked and repaired (a deleted or disabled entry is the usual cause), and
   next_run_at moves to the next fire so each missed run is reported once.

Each repair publishes ``schedule.repaired`` (data.kind says which) and counts a metric
per kind; the alarms live in template.yaml.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from jobscheduler.dal import executions as records
from jobscheduler.dal import reconcile_index as index
from jobscheduler.errors import DomainError
from jobscheduler.gateways.scheduler_cleanup import try_publish
from jobscheduler.logic import pending
from jobscheduler.logic.reconcile_entries import DriftKind, check_and_repair
from jobscheduler.logic.timing import next_fire
from jobscheduler.models.events import EventType, LifecycleEvent
from jobscheduler.models.ids import scheduled_execution_id
from jobscheduler.models.schedules import Schedule, ScheduleStatus
from jobscheduler.observability import logger, metrics
from jobscheduler.settings import get_settings

# The shortest grace a schedule may set: due runs younger than this are never read.
MIN_GRACE_SECONDS = 60
_METRIC_NAMES = {
    DriftKind.PENDING_ROLLED_BACK: "RepairPendingRolledBack",
    DriftKind.ENTRY_MISSING: "RepairEntryMissing",
    DriftKind.ENTRY_STATE: "RepairEntryState",
    DriftKind.ENTRY_ORPHAN: "RepairEntryOrphan",
    DriftKind.STALE_NEXT_RUN: "RepairStaleNextRun",
}


@dataclass
class PassReport:
    """What one pass looked at and did (also the handler's return value)."""

    checked: int = 0
    due: int = 0
    repairs: Counter[str] = field(default_factory=Counter)
    missed: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "due": self.due,
            "repairs": dict(self.repairs),
            "missed": self.missed,
            "failed": self.failed,
        }


def publish(event_type: EventType, schedule: Schedule, **data: Any) -> None:
    """Best effort, like the API's events: the repair has happened either way."""
    event = LifecycleEvent.about_schedule(event_type, schedule, **data)
    if not try_publish(event):
        metrics.add_metric(name="LifecycleEventPublishFailed", unit=MetricUnit.Count, value=1)


def _count(report: PassReport, kinds: list[DriftKind], schedule: Schedule | None) -> None:
    for kind, times in Counter(kinds).items():
        report.repairs[kind.value] += times
        metrics.add_metric(name=_METRIC_NAMES[kind], unit=MetricUnit.Count, value=times)
        metrics.add_metric(name="Repairs", unit=MetricUnit.Count, value=times)
        logger.warning("drift repaired", extra={"kind": kind.value, "count": times})
        if schedule is not None:
            publish("schedule.repaired", schedule, kind=kind.value, count=times)


def run_pass(now: datetime) -> PassReport:
    report = PassReport()
    limit = get_settings().reconcile_max_repairs
    for found in list(index.checks_due(now, limit)):
        report.checked += 1
        _guarded(_check, found, now, report)
    overdue_before = now - timedelta(seconds=MIN_GRACE_SECONDS)
    for found in list(index.runs_overdue(overdue_before, limit)):
        report.due += 1
        _guarded(_due, found, now, report)
    return report


def _guarded(
    step: Callable[[index.IndexedSchedule, datetime, PassReport], None],
    found: index.IndexedSchedule,
    now: datetime,
    report: PassReport,
) -> None:
    """One schedule's trouble (an item that no longer parses, a store outage) is logged
    and counted; the pass goes on with the others."""
    try:
        step(found, now, report)
    except (DomainError, ValueError):
        logger.exception("schedule skipped by this pass", extra={"schedule_id": found.schedule_id})
        metrics.add_metric(name="RepairsFailed", unit=MetricUnit.Count, value=1)
        report.failed += 1


# --- 1. checks after writes -------------------------------------------------------------


def _check(found: index.IndexedSchedule, now: datetime, report: PassReport) -> None:
    raw = index.get_raw(found.tenant, found.schedule_id)
    if raw is None:
        return  # removed (a rolled-back create): nothing left to check
    schedule = index.schedule_of(raw)
    try:
        if schedule.status == ScheduleStatus.PENDING:
            _settle_pending(found, schedule, now, report)
            return
        result = check_and_repair(schedule, schedule.id, now=now)
        if raw.get("apply_entries"):
            # An auto-pause left the entries to us: expected work, not drift.
            metrics.add_metric(name="AutoPauseEntriesApplied", unit=MetricUnit.Count, value=1)
            result.kinds = [k for k in result.kinds if k != DriftKind.ENTRY_STATE]
    except DomainError:
        logger.exception("repair failed; retried later", extra={"schedule_id": found.schedule_id})
        metrics.add_metric(name="RepairsFailed", unit=MetricUnit.Count, value=1)
        report.failed += 1
        index.postpone_check(
            found.tenant, found.schedule_id, found.sort_value, now + index.settle_delay()
        )
        return
    _count(report, result.kinds, schedule)
    index.clear_check(found.tenant, found.schedule_id, found.sort_value)


def _settle_pending(
    found: index.IndexedSchedule, schedule: Schedule, now: datetime, report: PassReport
) -> None:
    """Roll back an abandoned create, by the API's own undo; a create that may still be
    running (a settle delay shorter than the API's rule) is looked at again when it
    cannot. Resume finishes such an item instead: logic/pending.py says why."""
    if not pending.is_abandoned(schedule, now):
        index.postpone_check(
            found.tenant, found.schedule_id, found.sort_value, pending.abandoned_at(schedule)
        )
        return
    pending.roll_back(schedule)
    _count(report, [DriftKind.PENDING_ROLLED_BACK], schedule)


# --- 2. due runs --------------------------------------------------------------------------


def grace_for(schedule: Schedule) -> timedelta:
    seconds = schedule.missed_run_grace_seconds or get_settings().missed_run_grace_seconds
    # A flexible window lets Scheduler start the run that much later.
    return timedelta(seconds=seconds + 60 * schedule.flexible_window_minutes)


def _happened(raw: dict[str, Any], schedule: Schedule, execution_id: str) -> bool:
    if raw.get("running_execution") == execution_id:
        return True  # still running
    claimed = str(raw.get("claimed_through") or "")
    if claimed and claimed >= execution_id:
        return True  # claimed (run, or skipped as superseded by a newer fire)
    return records.get_execution(schedule.tenant, schedule.id, execution_id) is not None


def _due(found: index.IndexedSchedule, now: datetime, report: PassReport) -> None:
    raw = index.get_raw(found.tenant, found.schedule_id)
    if raw is None or str(raw.get("next_run_at") or "") != found.sort_value:
        return  # moved on since the index was read
    schedule = index.schedule_of(raw)
    expected = schedule.next_run_at
    if schedule.status != ScheduleStatus.ACTIVE or expected is None:
        return
    grace = grace_for(schedule)
    if now < expected + grace:
        return  # late, but not yet missed
    execution_id = scheduled_execution_id(expected)
    try:
        if _happened(raw, schedule, execution_id):
            kinds = [DriftKind.STALE_NEXT_RUN]
        else:
            _report_missed(schedule, expected, grace, execution_id, report)
            kinds = check_and_repair(schedule, schedule.id, now=now).kinds
        index.advance_next_run(
            schedule.tenant, schedule.id, found.sort_value, next_fire(schedule, after=now)
        )
    except DomainError:
        logger.exception("due-run check failed", extra={"schedule_id": schedule.id})
        metrics.add_metric(name="RepairsFailed", unit=MetricUnit.Count, value=1)
        report.failed += 1
        return
    _count(report, kinds, schedule)


def _report_missed(
    schedule: Schedule,
    expected: datetime,
    grace: timedelta,
    execution_id: str,
    report: PassReport,
) -> None:
    report.missed += 1
    metrics.add_metric(name="MissedRuns", unit=MetricUnit.Count, value=1)
    logger.warning(
        "missed run",
        extra={"schedule_id": schedule.id, "expected_at": index.iso(expected)},
    )
    publish(
        "schedule.missed",
        schedule,
        expected_at=index.iso(expected),
        execution_id=execution_id,
        grace_seconds=int(grace.total_seconds()),
    )
