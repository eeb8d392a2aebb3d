"""Compare one schedule item with its Scheduler entries and repair what disagrees.

The item is the truth: the entries it needs are ``entries.entry_specs(item)``. A drift is
one of ``DriftKind``; the repair re-applies the wanted entries (create or update, the
same calls the API makes) and deletes the ones the item does not own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from jobscheduler.gateways import scheduler
from jobscheduler.logic import entries
from jobscheduler.logic.timing import next_fire
from jobscheduler.models.schedules import Schedule, ScheduleKind, ScheduleStatus


class DriftKind(StrEnum):
    PENDING_ROLLED_BACK = "pending_rolled_back"  # a create that never finished
    ENTRY_MISSING = "entry_missing"  # the item needs an entry that is not there
    ENTRY_STATE = "entry_state"  # ENABLED/DISABLED, expression or zone disagree
    ENTRY_ORPHAN = "entry_orphan"  # an entry no live item owns
    STALE_NEXT_RUN = "stale_next_run"  # next_run_at behind a run that did happen


@dataclass
class EntryCheck:
    """What one comparison found (kinds) and whether it fixed them."""

    kinds: list[DriftKind] = field(default_factory=list)
    repaired: bool = True


def _differs(spec: scheduler.EntrySpec, actual: dict[str, Any]) -> bool:
    return (
        actual.get("State") != spec.state
        or actual.get("ScheduleExpression") != spec.expression
        or actual.get("ScheduleExpressionTimezone") != spec.timezone
    )


def _one_off_passed(schedule: Schedule, now: datetime) -> bool:
    # Scheduler removes a one-off's entry after it fires; re-creating it would never
    # fire again. A one-off that was not run is the missed-run check's business.
    return schedule.kind == ScheduleKind.ONE_TIME and next_fire(schedule, after=now) is None


def check_and_repair(schedule: Schedule | None, schedule_id: str, *, now: datetime) -> EntryCheck:
    """One GetSchedule per entry name the schedule may own, then the fewest writes that
    make Scheduler match the item. Raises DependencyUnavailable if Scheduler fails."""
    live = schedule is not None and schedule.status in (
        ScheduleStatus.ACTIVE,
        ScheduleStatus.PAUSED,
    )
    wanted = {}
    if schedule is not None and live and not _one_off_passed(schedule, now):
        wanted = {spec.name: spec for spec in entries.entry_specs(schedule, now=now)}
    names = (
        entries.part_names(schedule)
        if schedule is not None
        else [f"{schedule_id}-{part}" for part in range(entries.MIN_PARTS_TO_SWEEP)]
    )
    result = EntryCheck()
    to_put: list[scheduler.EntrySpec] = []
    to_delete: list[str] = []
    for name in sorted(set(names) | set(wanted)):
        actual = scheduler.get_entry(name)
        spec = wanted.get(name)
        if spec is None:
            if actual is not None:
                result.kinds.append(DriftKind.ENTRY_ORPHAN)
                to_delete.append(name)
        elif actual is None:
            result.kinds.append(DriftKind.ENTRY_MISSING)
            to_put.append(spec)
        elif _differs(spec, actual):
            result.kinds.append(DriftKind.ENTRY_STATE)
            to_put.append(spec)
    for spec in to_put:
        scheduler.put_entry(spec)
    for name in to_delete:
        scheduler.delete_entry(name)
    return result
