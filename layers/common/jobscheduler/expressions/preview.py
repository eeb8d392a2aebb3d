"""Fire times of EventBridge expressions, exactly as Scheduler runs them.

Crons are iterated by croniter over *naive local wall times* (so croniter's own DST
handling never applies), then each wall time is mapped to an instant with Scheduler's
rules: a wall time that does not exist that day is not run, one that occurs twice runs
once, at its first occurrence. Minute/hour step crons follow the same rule on the
fall-back day: the repeated wall-clock hour runs once (e.g. ``*/30`` fires 01:00 and
01:30 once, in the first pass). ``rate()`` is absolute time, unaffected by DST.
"""

from __future__ import annotations

import calendar
import copy
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from heapq import merge
from zoneinfo import ZoneInfo

from croniter import croniter
from croniter.croniter import CroniterBadDateError

from jobscheduler.expressions.eventbridge import CronSpec, RateSpec, parse_expression
from jobscheduler.expressions.fields import render_set
from jobscheduler.expressions.zones import UTC, wall_to_utc, zone

# Scheduler's year field ends at 2199; nothing fires after it.
_LAST_WALL = datetime(2199, 12, 31, 23, 59)
# Safety net for crons whose post-filters reject many croniter candidates in a row.
_MAX_CANDIDATES = 200_000

WallFilter = Callable[[datetime], bool]


def _last_weekday(year: int, month: int) -> int:
    last = calendar.monthrange(year, month)[1]
    weekday = date(year, month, last).weekday()  # Mon=0 .. Sun=6
    return last - max(0, weekday - 4)


def _croniter_form(spec: CronSpec) -> tuple[str, WallFilter | None]:
    """The croniter expression for a spec plus a filter for what croniter cannot say.

    Hand-written filters, each tiny: ``LW`` (croniter has no "last weekday"), ``nW`` in
    a month without day n (croniter clamps it to the month's last day; Quartz does not
    fire), and the year field (croniter's year support stops at 2099, Scheduler's at 2199).
    """
    filters: list[WallFilter] = []
    dom = "*"
    if isinstance(spec.dom, frozenset):
        dom = render_set(spec.dom, 1, 31)
    elif spec.dom is not None:
        kind = spec.dom[0]
        if kind == "L":
            dom = "L"
        elif kind == "LW":
            dom = "26-31"
            filters.append(lambda d: d.day == _last_weekday(d.year, d.month))
        else:
            day = spec.dom[1]
            dom = f"{day}W"
            if day > 28:
                filters.append(lambda d: calendar.monthrange(d.year, d.month)[1] >= day)
    dow = "*"
    if isinstance(spec.dow, frozenset):
        dow = ",".join(str(d - 1) for d in sorted(spec.dow))
    elif spec.dow is not None:
        kind, day, nth = spec.dow
        dow = f"L{day - 1}" if kind == "L" else f"{day - 1}#{nth}"
    if len(spec.years) != 2199 - 1970 + 1:
        years = spec.years
        filters.append(lambda d: d.year in years)
    expr = " ".join(
        (
            render_set(spec.minutes, 0, 59),
            render_set(spec.hours, 0, 23),
            dom,
            render_set(spec.months, 1, 12),
            dow,
        )
    )
    if not filters:
        return expr, None
    if len(filters) == 1:
        return expr, filters[0]
    return expr, lambda d: all(f(d) for f in filters)


@lru_cache(maxsize=4096)
def _prototype(expression: str) -> tuple[croniter, WallFilter | None, frozenset[int]]:
    spec = parse_expression(expression)
    assert isinstance(spec, CronSpec)
    expr, wall_filter = _croniter_form(spec)
    # day_or is irrelevant (one day field is always "*"); a naive start keeps croniter in
    # wall-clock time.
    proto = croniter(expr, datetime(2000, 1, 1), ret_type=datetime)
    return proto, wall_filter, spec.years


def cron_walls(expression: str, after_wall: datetime) -> Iterator[datetime]:
    """Naive wall times strictly after ``after_wall`` at which the cron matches."""
    proto, wall_filter, years = _prototype(expression)
    it = copy.copy(proto)
    max_year = max(years)
    start = after_wall.replace(microsecond=0)
    if start.year < min(years):
        start = datetime(min(years), 1, 1) - timedelta(minutes=1)
    it.set_current(start, force=True)
    rejected = 0
    while True:
        try:
            wall = it.get_next(datetime)
        except CroniterBadDateError:
            return
        if wall > _LAST_WALL or wall.year > max_year:
            return
        if wall_filter is not None and not wall_filter(wall):
            rejected += 1
            if rejected > _MAX_CANDIDATES:
                return
            if wall.year not in years:
                # Jump to the next year the cron allows instead of walking through.
                later = [y for y in years if y > wall.year]
                if not later:
                    return
                it.set_current(datetime(min(later), 1, 1) - timedelta(minutes=1), force=True)
            continue
        yield wall


def _cron_instants(expression: str, tz: ZoneInfo, after: datetime) -> Iterator[datetime]:
    after_wall = after.astimezone(tz).replace(tzinfo=None, fold=0)
    for wall in cron_walls(expression, after_wall):
        instant = wall_to_utc(wall, tz)
        if instant is not None and instant > after:
            yield instant


def _rate_instants(spec: RateSpec, anchor: datetime, after: datetime) -> Iterator[datetime]:
    # Scheduler: the first run is at StartDate, then every period from it.
    period = timedelta(seconds=spec.seconds)
    k = 0 if after < anchor else (after - anchor) // period + 1
    while True:
        try:
            instant = anchor + k * period
        except OverflowError:
            return  # beyond datetime's range: long after Scheduler's last year
        if instant.year > _LAST_WALL.year:
            return
        yield instant.astimezone(UTC)
        k += 1


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def next_runs(
    expressions: Sequence[str],
    timezone: str,
    *,
    after: datetime,
    count: int,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
    anchor: datetime | None = None,
) -> list[datetime]:
    """The next ``count`` fire times strictly after ``after`` (aware UTC, sorted, unique).

    The union over ``expressions``, inside the inclusive ``[start_at, end_at]`` window.
    ``rate()`` fires at ``base + k * N`` (k >= 0) where the base is ``start_at`` or else
    ``anchor`` (see ``rate_anchor``); one of them must be given for a rate.
    """
    if count <= 0:
        return []
    tz = zone(timezone)
    after_utc = _aware(after, "after")
    start_utc = _aware(start_at, "start_at") if start_at is not None else None
    end_utc = _aware(end_at, "end_at") if end_at is not None else None
    # Runs before start_at are not wanted: begin just before it.
    floor = after_utc
    if start_utc is not None and start_utc - timedelta(microseconds=1) > floor:
        floor = start_utc - timedelta(microseconds=1)
    streams: list[Iterator[datetime]] = []
    for expression in expressions:
        parsed = parse_expression(expression)
        if isinstance(parsed, CronSpec):
            streams.append(_cron_instants(expression, tz, floor))
        elif isinstance(parsed, RateSpec):
            base = start_utc if start_utc is not None else anchor
            if base is None:
                raise ValueError("rate() needs start_at or anchor (the schedule's creation time)")
            streams.append(_rate_instants(parsed, _aware(base, "anchor"), floor))
        else:
            instant = wall_to_utc(parsed, tz)
            if instant is not None and instant > floor:
                streams.append(iter((instant,)))
    runs: list[datetime] = []
    for instant in merge(*streams):
        if end_utc is not None and instant > end_utc:
            break
        if runs and runs[-1] == instant:
            continue
        runs.append(instant)
        if len(runs) >= count:
            break
    return runs


def rate_anchor(start_at: datetime | None, created_at: datetime) -> datetime:
    """Where a ``rate()`` schedule's grid starts: ``start_at`` when given, else the first
    whole minute after creation. That instant is sent as the entry's StartDate, so
    Scheduler's first run is there (it runs a rate first at StartDate)."""
    if start_at is not None:
        return _aware(start_at, "start_at")
    created = _aware(created_at, "created_at")
    return created.replace(second=0, microsecond=0) + timedelta(minutes=1)


def next_on_grid(anchor: datetime, seconds: int, after: datetime) -> datetime:
    """The first instant of the grid ``anchor + k * seconds`` (k >= 0) strictly after
    ``after``: the StartDate that keeps a rate's cadence on a later write."""
    anchor, after = _aware(anchor, "anchor"), _aware(after, "after")
    if after < anchor:
        return anchor
    period = timedelta(seconds=seconds)
    return anchor + ((after - anchor) // period + 1) * period


def is_recurring(expressions: Sequence[str]) -> bool:
    return any(not expr.strip().lower().startswith("at(") for expr in expressions)
