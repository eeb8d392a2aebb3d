"""Keeping EventBridge Scheduler's entries in step with a schedule item.

The desired entries are a pure function of the item (``entry_specs``); ``apply`` makes
Scheduler match them. Entry names are deterministic (models.ids.scheduler_entry_name).

Linearizable transitions: Scheduler has no conditional writes, so two requests on one
schedule can land their entry writes in either order. The item's version orders them
instead: every writer ends with ``converge``, which re-reads the item after its last
entry write and writes again until a read shows the version its last write was made
for. The writer of the final version writes its entries after that version exists,
and any writer whose entry write lands later re-reads, sees the final version and
writes it; so when every writer has returned, the entries are those of the item's
final version (ACTIVE <-> ENABLED, PAUSED <-> DISABLED, none after COMPLETED/DELETED).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from jobscheduler.dal import schedules as store
from jobscheduler.errors import DomainError
from jobscheduler.expressions import next_on_grid, rate_anchor
from jobscheduler.expressions.eventbridge import RateSpec, parse_expression
from jobscheduler.gateways import scheduler
from jobscheduler.gateways.scheduler import EntrySpec
from jobscheduler.models.ids import scheduler_entry_name
from jobscheduler.models.schedules import Schedule, ScheduleKind, ScheduleStatus
from jobscheduler.observability import logger, metrics

# A Unix cron that sets both day fields compiles to two entries; deleting a few extra
# deterministic names costs one cheap call each and catches parts left by a failed update.
MIN_PARTS_TO_SWEEP = 2
# Rounds of converge's read-write loop; more means the schedule keeps changing under
# it (each change's own writer converges it in turn).
MAX_CONVERGE_ROUNDS = 5
_GONE = -1  # the version converge records for an item that no longer exists

_STATES: dict[ScheduleStatus, scheduler.State] = {
    ScheduleStatus.PENDING: "ENABLED",
    ScheduleStatus.ACTIVE: "ENABLED",
    ScheduleStatus.PAUSED: "DISABLED",
}


def start_date(schedule: Schedule, expression: str, *, now: datetime) -> datetime | None:
    """The StartDate of one entry written at ``now``.

    A rate() always gets one: Scheduler runs a rate first at StartDate and, when a write
    omits it, restarts the cadence at the time of the write. So every write sends the
    next point of the schedule's own grid (start_at, or the first minute after creation).
    A cron keeps start_at while it lies ahead; Scheduler refuses a StartDate more than
    5 minutes in the past, and a cron's times do not depend on it.
    """
    if schedule.kind == ScheduleKind.ONE_TIME:
        return None
    parsed = parse_expression(expression)
    if isinstance(parsed, RateSpec):
        anchor = rate_anchor(schedule.start_at, schedule.created_at)
        return next_on_grid(anchor, parsed.seconds, now)
    return schedule.start_at if schedule.start_at and schedule.start_at > now else None


def entry_specs(schedule: Schedule, *, now: datetime) -> list[EntrySpec]:
    """The entries ``schedule`` needs: none once COMPLETED or DELETED."""
    state = _STATES.get(schedule.status)
    if state is None:
        return []
    one_off = schedule.kind == ScheduleKind.ONE_TIME
    return [
        EntrySpec(
            tenant=schedule.tenant,
            schedule_id=schedule.id,
            part=part,
            name=scheduler_entry_name(schedule.id, part),
            expression=expression,
            timezone=schedule.timezone,
            state=state,
            one_off=one_off,
            flexible_window_minutes=schedule.flexible_window_minutes,
            max_retries=schedule.retry.scheduler_max_retries,
            max_event_age_seconds=schedule.retry.scheduler_max_event_age_seconds,
            start_date=start_date(schedule, expression, now=now),
            end_date=None if one_off else schedule.end_at,
        )
        for part, expression in enumerate(schedule.expressions)
    ]


def part_names(schedule: Schedule) -> list[str]:
    """Every entry name this schedule may own (for deletion sweeps)."""
    count = max(len(schedule.expressions), MIN_PARTS_TO_SWEEP)
    return [scheduler_entry_name(schedule.id, part) for part in range(count)]


def apply(specs: list[EntrySpec], *, stale_names: Sequence[str] = ()) -> None:
    """Create/update every entry of ``specs``, then delete ``stale_names`` not in them.
    Raises DependencyUnavailable at the first failing call (the caller compensates)."""
    for spec in specs:
        scheduler.put_entry(spec)
    wanted = {spec.name for spec in specs}
    for name in stale_names:
        if name not in wanted:
            scheduler.delete_entry(name)


def delete_all(schedule: Schedule) -> None:
    for name in part_names(schedule):
        scheduler.delete_entry(name)


def converge(
    schedule: Schedule,
    *,
    now: datetime,
    applied: bool,
    extra_names: Sequence[str] = (),
) -> Schedule | None:
    """Bring the entries to the item as stored and return that item (None if gone).

    ``schedule`` is the item as this caller last wrote it; ``applied`` says its entries
    were written after that item write (then one read confirms them when nothing moved).
    Raises DependencyUnavailable at the first failing call.
    """
    names = set(extra_names) | set(part_names(schedule))
    last: int | None = schedule.version if applied else None
    latest: Schedule | None = schedule
    for _ in range(MAX_CONVERGE_ROUNDS):
        latest = store.get(schedule.tenant, schedule.id)
        version = _GONE if latest is None else latest.version
        if version == last:
            return latest
        if latest is None:  # removed (an undone create): no entry may stay behind
            for name in sorted(names):
                scheduler.delete_entry(name)
        else:
            names |= set(part_names(latest))
            apply(entry_specs(latest, now=now), stale_names=sorted(names))
        last = version
    logger.warning("entries still moving after converging", extra={"schedule_id": schedule.id})
    metrics.add_metric(name="EntriesNotConverged", unit=MetricUnit.Count, value=1)
    return latest


def restore(schedule: Schedule, *, now: datetime, extra_names: Sequence[str] = ()) -> bool:
    """Compensation: bring Scheduler back to the item as stored (``schedule`` if it
    cannot be read), deleting any of ``extra_names`` it does not own. Never raises: a
    failure is logged and counted (the next write to the schedule converges it)."""
    try:
        converge(schedule, now=now, applied=False, extra_names=extra_names)
    except DomainError:
        try:
            # The item could not be read: the caller's copy is the best we know.
            apply(
                entry_specs(schedule, now=now),
                stale_names=sorted(set(extra_names) | set(part_names(schedule))),
            )
        except DomainError:
            logger.exception(
                "could not restore the Scheduler entries", extra={"schedule_id": schedule.id}
            )
            metrics.add_metric(name="SchedulerRestoreFailed", unit=MetricUnit.Count, value=1)
            return False
    return True
