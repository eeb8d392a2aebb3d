"""What was read -> the fields of EventBridge crons (or a rate when no cron fits)."""

from __future__ import annotations

from jobscheduler.expressions.eventbridge import DomSpecial, DowSpecial, RateSpec
from jobscheduler.expressions.recurring.state import State, has_days, refuse, restricted

ALL_DAYS = frozenset(range(1, 32))
ALL_MONTHS = frozenset(range(1, 13))

# (minutes, hours) pairs: one cron each.
TimePairs = list[tuple[frozenset[int], frozenset[int]]]


def time_pairs(times: list[tuple[int, int]]) -> TimePairs:
    """(minutes, hours) pairs whose union is exactly ``times`` (as few crons as we can)."""
    unique = sorted(set(times))
    hours = frozenset(h for h, _ in unique)
    minutes = frozenset(m for _, m in unique)
    if len(hours) * len(minutes) == len(unique):
        return [(minutes, hours)]
    by_minute: dict[int, set[int]] = {}
    by_hour: dict[int, set[int]] = {}
    for h, m in unique:
        by_minute.setdefault(m, set()).add(h)
        by_hour.setdefault(h, set()).add(m)
    if len(by_minute) <= len(by_hour):
        return [(frozenset({m}), frozenset(hs)) for m, hs in sorted(by_minute.items())]
    return [(frozenset(ms), frozenset({h})) for h, ms in sorted(by_hour.items())]


def _window_hours(window: tuple[int, int], step: int = 1) -> frozenset[int]:
    start, end = window
    span = (end - start) % 24
    return frozenset((start + i) % 24 for i in range(0, span, step))


def minute_times(s: State, value: int, source: str) -> TimePairs | RateSpec:
    if s.minute_of_hour is not None:
        raise refuse(f"{source!r}: a minute past the hour needs an hourly schedule")
    if 60 % value != 0:
        if not restricted(s):
            return RateSpec(value, "minute")
        raise refuse(
            f"{source!r}: every {value} minutes does not divide the hour, so it cannot "
            "be combined with days or a time window (every 5, 10, 15, 20 or 30 minutes can)",
        )
    hours = _window_hours(s.window) if s.window else frozenset(range(24))
    return [(frozenset(range(0, 60, value)), hours)]


def hour_times(s: State, value: int, source: str) -> TimePairs | RateSpec:
    minute = s.minute_of_hour or 0
    if s.window is not None:
        hours = _window_hours(s.window, value)
    elif 24 % value == 0:
        hours = frozenset(range(0, 24, value))
    elif not restricted(s) and s.minute_of_hour is None:
        return RateSpec(value, "hour")
    else:
        raise refuse(
            f"{source!r}: every {value} hours does not divide the day, so it cannot be "
            "combined with days or a minute past the hour (every 2, 3, 4, 6, 8 or 12 "
            "hours can)",
        )
    return [(frozenset({minute}), hours)]


def day_times(s: State, value: int, unit: str, source: str) -> TimePairs | RateSpec:
    if s.window is not None:
        raise refuse(
            f"{source!r}: a 'between' window needs a minute or hour interval",
            "every 30 minutes between 9am and 5pm",
        )
    if s.minute_of_hour is not None:
        raise refuse(f"{source!r}: a minute past the hour needs an hourly schedule")
    if value > 1 and not (unit == "month" and not s.months):
        return _every_few(s, value, unit, source)
    if value > 12 and unit == "month":
        raise refuse(f"{source!r}: every {value} months does not fit in a year; use 'yearly'")
    return time_pairs(s.times or [(0, 0)])


def _every_few(s: State, value: int, unit: str, source: str) -> RateSpec:
    """Every few days/weeks is a rate; a cron cannot count days, weeks or years."""
    if unit in ("day", "week") and not (s.times or has_days(s) or s.months):
        return RateSpec(value * (7 if unit == "week" else 1), "day")
    if unit == "year":
        raise refuse(
            f"{source!r}: every {value} years cannot be written as a cron without "
            "choosing the first year; write the years in cron(), e.g. "
            "cron(0 0 1 1 ? 2027/2)",
        )
    days = value * (7 if unit == "week" else 1)
    raise refuse(
        f"{source!r}: every {value} {unit}s at set times or days cannot be expressed as "
        f"a cron; use 'rate({days} days)' with start_at at the first run",
    )


def month_field(s: State, value: int, unit: str) -> frozenset[int]:
    if s.months:
        return frozenset(s.months)
    if unit == "month" and value > 1:
        return frozenset(range(1, 13, value))
    if unit == "year":
        return frozenset({1})
    return ALL_MONTHS


def default_days(s: State, unit: str) -> None:
    """Documented defaults: a week starts on Monday, a month/year on the 1st."""
    if has_days(s):
        return
    if unit == "week":
        s.dows = {2}
    elif unit in ("month", "year"):
        s.doms = {1}


def day_fields(
    s: State,
) -> tuple[frozenset[int] | DomSpecial | None, frozenset[int] | DowSpecial | None]:
    if s.dows:
        return None, frozenset(s.dows)
    if s.dow_special is not None:
        return None, s.dow_special
    if s.dom_special is not None:
        return s.dom_special, None
    if s.doms:
        return frozenset(s.doms), None
    return ALL_DAYS, None
