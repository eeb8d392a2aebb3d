"""Which fires of a schedule its calendar excludes, and why (pure but for holiday data).

The Scheduler entry keeps the plain expression; exclusions are applied when a fire
arrives (the executor records it SKIPPED) and wherever runs are listed (next_run_at,
the preview), all through ``Calendar.reason`` so they cannot disagree.

The ``holidays`` package is imported on first use only: the executor of a schedule
without a holiday rule never loads it (it is most of the layer's import time).
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from jobscheduler.errors import InvalidExclusion
from jobscheduler.expressions.preview import next_runs
from jobscheduler.expressions.zones import UTC, zone
from jobscheduler.models.calendars import (
    DAY_CODES,
    DatesRule,
    DaysRule,
    ExclusionRule,
    HolidayRule,
    WindowRule,
)

# How many excluded days or windows in a row a search steps over before it concludes
# that the schedule never runs again (close to three years of excluded days).
MAX_STEPS = 1000
# A preview lists at most this many skipped fires; later ones are stepped over.
MAX_LISTED_SKIPS = 200
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _holidays_module() -> ModuleType:
    return importlib.import_module("holidays")


@lru_cache(maxsize=256)
def _holiday_table(country: str, subdivision: str | None, observed: bool, year: int) -> Any:
    return _holidays_module().country_holidays(
        country, subdiv=subdivision, years=year, observed=observed
    )


def _supported() -> dict[str, list[str]]:
    supported: dict[str, list[str]] = _holidays_module().list_supported_countries()
    return supported


def check_rules(rules: Sequence[ExclusionRule]) -> None:
    """Refuse (422) a holiday rule the holiday data does not know."""
    holiday_rules = [rule for rule in rules if isinstance(rule, HolidayRule)]
    if not holiday_rules:
        return
    supported = _supported()
    for rule in holiday_rules:
        country = rule.holidays.upper()
        if country not in supported:
            close = difflib.get_close_matches(country, sorted(supported), n=1, cutoff=0.5)
            raise InvalidExclusion(
                f"no public holidays are known for country {rule.holidays!r} (ISO 3166 "
                "codes such as US, GB, DE, FR, JP)",
                suggestion=close[0] if close else None,
            )
        if rule.subdivision is None:
            continue
        subdivisions = supported[country]
        if rule.subdivision.upper() not in {s.upper() for s in subdivisions}:
            close = difflib.get_close_matches(
                rule.subdivision.upper(), subdivisions, n=1, cutoff=0.5
            )
            listed = ", ".join(subdivisions[:40]) or "none"
            raise InvalidExclusion(
                f"{country} has no subdivision {rule.subdivision!r} in the holiday data "
                f"(known: {listed})",
                suggestion=close[0] if close else None,
            )


@dataclass(frozen=True)
class _Window:
    start: datetime
    end: datetime
    reason: str


def _instant(moment: datetime, tz: ZoneInfo) -> datetime:
    # A naive window bound is a wall time of the schedule's zone; one that does not
    # exist (spring forward) is read with the offset before the change (fold=0).
    if moment.tzinfo is None:
        return moment.replace(tzinfo=tz).astimezone(UTC)
    return moment.astimezone(UTC)


class Calendar:
    """The exclusions of one schedule, read in its timezone."""

    def __init__(self, rules: Sequence[ExclusionRule], timezone: str) -> None:
        self.tz = zone(timezone)
        self.rules = list(rules)
        self._windows = [
            _Window(
                _instant(rule.from_, self.tz),
                _instant(rule.to, self.tz),
                f"blackout: {rule.name}" if rule.name else "blackout",
            )
            for rule in self.rules
            if isinstance(rule, WindowRule)
        ]

    def __bool__(self) -> bool:
        return bool(self.rules)

    def reason(self, instant: datetime) -> str | None:
        """Why a fire at ``instant`` does not run (None: it runs). First rule wins."""
        moment = instant.astimezone(UTC)
        day = moment.astimezone(self.tz).date()
        for rule in self.rules:
            found = self._rule_reason(rule, moment, day)
            if found is not None:
                return found
        return None

    def _rule_reason(self, rule: ExclusionRule, moment: datetime, day: date) -> str | None:
        if isinstance(rule, WindowRule):
            for window in self._windows:
                if window.start <= moment < window.end:
                    return window.reason
            return None
        if isinstance(rule, DaysRule):
            code = DAY_CODES[day.weekday()]
            return f"excluded day: {_DAY_NAMES[day.weekday()]}" if code in rule.days else None
        if isinstance(rule, DatesRule):
            full, yearly = day.isoformat(), day.isoformat()[5:]
            if full in rule.dates or yearly in rule.dates:
                return f"excluded date: {rule.name}" if rule.name else "excluded date"
            return None
        table = _holiday_table(
            rule.holidays.upper(),
            rule.subdivision.upper() if rule.subdivision else None,
            rule.observed,
            day.year,
        )
        name = table.get(day)
        return f"holiday: {name}" if name else None

    def resume_after(self, instant: datetime) -> datetime:
        """The last moment still excluded for the reason ``instant`` is: fires up to it
        need not be looked at (the end of its window, or of its local day)."""
        moment = instant.astimezone(UTC)
        for window in self._windows:
            if window.start <= moment < window.end:
                return window.end - timedelta(microseconds=1)
        local_day = moment.astimezone(self.tz).date()
        next_midnight = datetime.combine(local_day + timedelta(days=1), time(), self.tz)
        return next_midnight.astimezone(UTC) - timedelta(microseconds=1)


@dataclass(frozen=True)
class Fire:
    at: datetime
    skipped: str | None = None  # the reason, when the calendar excludes it


def scan(
    expressions: Sequence[str],
    timezone: str,
    calendar: Calendar,
    *,
    after: datetime,
    count: int,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
    anchor: datetime | None = None,
    list_skipped: bool = False,
) -> list[Fire]:
    """The next ``count`` fires that really run, strictly after ``after``; with
    ``list_skipped``, the excluded fires before the last of them too (up to a limit).

    Fewer than ``count`` when the schedule ends, or when MAX_STEPS excluded days or
    windows follow one another.
    """
    fires: list[Fire] = []
    ran = steps = listed = 0
    cursor = after
    while ran < count:
        batch = next_runs(
            expressions,
            timezone,
            after=cursor,
            count=count - ran + (4 if calendar else 0),
            start_at=start_at,
            end_at=end_at,
            anchor=anchor,
        )
        if not batch:
            break
        for instant in batch:
            cursor = instant
            reason = calendar.reason(instant) if calendar else None
            if reason is None:
                fires.append(Fire(instant))
                ran += 1
                if ran >= count:
                    break
                continue
            if list_skipped and listed < MAX_LISTED_SKIPS:
                fires.append(Fire(instant, reason))
                listed += 1
                continue
            steps += 1
            if steps > MAX_STEPS:
                return fires
            # Every fire up to the end of this day or window is excluded the same way.
            cursor = max(instant, calendar.resume_after(instant))
            break
    return fires


def next_real_fire(
    expressions: Sequence[str],
    timezone: str,
    calendar: Calendar,
    *,
    after: datetime,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
    anchor: datetime | None = None,
) -> datetime | None:
    runs = scan(
        expressions,
        timezone,
        calendar,
        after=after,
        count=1,
        start_at=start_at,
        end_at=end_at,
        anchor=anchor,
    )
    return runs[0].at if runs else None
