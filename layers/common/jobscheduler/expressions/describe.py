"""Human descriptions of EventBridge expressions ("At 09:00, Monday through Friday").

Hand-written because the one library for this (cron-descriptor) is not a dependency and
does not know Scheduler's 6-field, 1 = Sunday dialect; the vocabulary here is small.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

from jobscheduler.expressions.eventbridge import CronSpec, RateSpec, parse_expression
from jobscheduler.expressions.fields import DOW_FULL, MONTH_FULL

_ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _runs(values: frozenset[int]) -> list[tuple[int, int]]:
    ordered = sorted(values)
    runs: list[tuple[int, int]] = []
    for value in ordered:
        if runs and runs[-1][1] == value - 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _step(values: frozenset[int], high: int) -> tuple[int, int] | None:
    ordered = sorted(values)
    if len(ordered) < 2:
        return None
    step = ordered[1] - ordered[0]
    # "0,30" reads as every 30 minutes; a step also needs to run to the field's end.
    if (
        step > 1
        and ordered[0] < step
        and all(b - a == step for a, b in itertools.pairwise(ordered))
        and ordered[-1] + step > high
    ):
        return ordered[0], step
    return None


def _time_part(spec: CronSpec) -> str:
    minutes, hours = spec.minutes, spec.hours
    all_minutes, all_hours = len(minutes) == 60, len(hours) == 24
    if len(minutes) * len(hours) <= 6:
        times = [f"{h:02d}:{m:02d}" for h in sorted(hours) for m in sorted(minutes)]
        return f"At {_join(times)}"
    if all_minutes:
        text = "Every minute"
    elif (step := _step(minutes, 59)) is not None:
        start, every = step
        text = f"Every {every} minutes" + (f" starting at minute {start}" if start else "")
    elif len(minutes) == 1:
        (minute,) = minutes
        text = "Every hour" if minute == 0 else f"At {minute} minutes past the hour"
        if all_hours:
            return text
        if (hstep := _step(hours, 23)) is not None:
            start, every = hstep
            prefix = f"Every {every} hours" if minute == 0 else f"{text}, every {every} hours"
            return prefix + (f" starting at {start:02d}:{minute:02d}" if start else "")
    else:
        text = f"At minutes {_join([str(m) for m in sorted(minutes)])} past the hour"
    if all_hours:
        return text
    if (hstep := _step(hours, 23)) is not None:
        start, every = hstep
        return f"{text}, every {every} hours" + (f" starting at {start:02d}:00" if start else "")
    spans = [
        f"{a:02d}:00 and {b:02d}:59" if a != b else f"{a:02d}:00 and {a:02d}:59"
        for a, b in _runs(hours)
    ]
    return f"{text}, between {' and between '.join(spans)}"


def _days_of_week(days: frozenset[int]) -> str:
    runs = _runs(days)
    if len(runs) == 1 and runs[0][1] - runs[0][0] >= 2:
        return f", {DOW_FULL[runs[0][0] - 1]} through {DOW_FULL[runs[0][1] - 1]}"
    return f", only on {_join([DOW_FULL[d - 1] for d in sorted(days)])}"


def _day_part(spec: CronSpec) -> str:
    dom, dow = spec.dom, spec.dow
    if isinstance(dow, frozenset):
        return "" if len(dow) == 7 else _days_of_week(dow)
    if isinstance(dow, tuple):
        name = DOW_FULL[dow[1] - 1]
        if dow[0] == "L":
            return f", on the last {name} of the month"
        return f", on the {_ORDINAL_WORDS[dow[2]]} {name} of the month"
    if isinstance(dom, frozenset):
        if len(dom) == 31:
            return ""
        if (step := _step(dom, 31)) is not None:
            return f", every {step[1]} days of the month starting on day {step[0]}"
        days = sorted(dom)
        label = "day" if len(days) == 1 else "days"
        return f", on {label} {_join([str(d) for d in days])} of the month"
    if dom is None:
        return ""
    if dom[0] == "L":
        return ", on the last day of the month"
    if dom[0] == "LW":
        return ", on the last weekday of the month"
    return f", on the weekday nearest day {dom[1]} of the month"


def describe_cron(spec: CronSpec) -> str:
    text = _time_part(spec) + _day_part(spec)
    if len(spec.months) != 12:
        text += f", only in {_join([MONTH_FULL[m - 1] for m in sorted(spec.months)])}"
    if len(spec.years) != 230:
        runs = _runs(spec.years)
        text += ", only in " + _join([str(a) if a == b else f"{a}-{b}" for a, b in runs])
    return text


def describe_rate(spec: RateSpec) -> str:
    if spec.value == 1:
        return f"Every {spec.unit}"
    return f"Every {spec.value} {spec.unit}s"


def describe_at(wall: datetime, timezone: str) -> str:
    return f"Once, at {wall:%Y-%m-%d %H:%M:%S} ({timezone})"


def describe(expressions: Sequence[str], timezone: str) -> str:
    parts: list[str] = []
    for expression in expressions:
        parsed = parse_expression(expression)
        if isinstance(parsed, CronSpec):
            parts.append(describe_cron(parsed))
        elif isinstance(parsed, RateSpec):
            parts.append(describe_rate(parsed))
        else:
            parts.append(describe_at(parsed, timezone))
    if not parts:
        return ""
    rest = [p[0].lower() + p[1:] for p in parts[1:]]
    return "; and ".join([parts[0], *rest])
