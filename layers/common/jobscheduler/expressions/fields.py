"""Cron field grammar shared by the Unix and EventBridge parsers.

croniter iterates crons but is lenient (it accepts reversed ranges, steps anywhere,
L/W/# in Unix crons, a 2099 year limit) and its errors are not user-facing, so the
*validation* of each field is ours: it turns a field into the set of values it selects,
with messages that name the field and the problem. Iteration stays with croniter.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from jobscheduler.errors import InvalidExpression

MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
# EventBridge numbering: 1 = SUN ... 7 = SAT.
DOW_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
DOW_FULL = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTH_FULL = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Longest month length per month (February may have 29 days).
MONTH_MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_ITEM = re.compile(r"^(?P<base>\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(?P<step>[0-9]+))?$")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One cron field: its name (for messages), bounds and optional names."""

    label: str
    low: int
    high: int
    names: dict[str, int] | None = None
    allow_step: bool = True


def _value(text: str, spec: FieldSpec, source: str) -> int:
    upper = text.upper()
    if spec.names is not None and upper in spec.names:
        return spec.names[upper]
    if not text.isdigit():
        hint = ""
        if spec.names is not None:
            hint = f" (use {spec.low}-{spec.high} or names like {', '.join(list(spec.names)[:3])})"
        raise InvalidExpression(
            f"{spec.label} value {text!r} in {source!r} is not a number{hint}",
        )
    value = int(text)
    if not spec.low <= value <= spec.high:
        raise InvalidExpression(
            f"{spec.label} value {value} in {source!r} is out of range "
            f"({spec.label} must be {spec.low}-{spec.high})",
        )
    return value


def parse_field(text: str, spec: FieldSpec, source: str) -> frozenset[int]:
    """Values selected by a plain field: ``*``, ``n``, ``a-b``, lists and ``/step``."""
    if text == "":
        raise InvalidExpression(f"{spec.label} field is empty in {source!r}")
    values: set[int] = set()
    for item in text.split(","):
        match = _ITEM.match(item)
        if match is None:
            raise InvalidExpression(f"{spec.label} item {item!r} in {source!r} is not valid")
        base, step_text = match.group("base"), match.group("step")
        if base == "*":
            start, end = spec.low, spec.high
        elif "-" in base:
            left, right = base.split("-")
            start, end = _value(left, spec, source), _value(right, spec, source)
            if start > end:
                raise InvalidExpression(
                    f"{spec.label} range {base!r} in {source!r} runs backwards",
                    suggestion=f"write it as a list, e.g. {start}-{spec.high},{spec.low}-{end}",
                )
        else:
            start = _value(base, spec, source)
            # "n/step" means n up to the field's maximum (Quartz and Vixie agree).
            end = spec.high if step_text is not None else start
        if step_text is not None:
            if not spec.allow_step:
                raise InvalidExpression(
                    f"a step ('/') in the {spec.label} field ({text!r}) is not supported "
                    "by EventBridge Scheduler"
                )
            step = int(step_text)
            if step == 0:
                raise InvalidExpression(f"{spec.label} step 0 in {source!r} is not valid")
            values.update(range(start, end + 1, step))
        else:
            values.update(range(start, end + 1))
    return frozenset(values)


def render_set(values: frozenset[int], low: int, high: int, names: tuple[str, ...] = ()) -> str:
    """Compact canonical text for a value set: ``*``, ``a/s``, ranges and lists.

    ``names`` (indexed from ``low``) renders values as names (days of week).
    """
    if len(values) == high - low + 1:
        return "*"
    ordered = sorted(values)

    def show(v: int) -> str:
        return names[v - low] if names else str(v)

    if not names and len(ordered) >= 3:
        step = ordered[1] - ordered[0]
        if (
            step > 1
            and all(b - a == step for a, b in itertools.pairwise(ordered))
            and ordered[-1] + step > high
        ):
            return f"{ordered[0]}/{step}"
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{show(ordered[i])}-{show(ordered[j])}")
            i = j + 1
        else:
            parts.append(show(ordered[i]))
            i += 1
    return ",".join(parts)


MINUTE = FieldSpec("minute", 0, 59)
HOUR = FieldSpec("hour", 0, 23)
DAY_OF_MONTH = FieldSpec("day-of-month", 1, 31)
MONTH = FieldSpec("month", 1, 12, {n: i + 1 for i, n in enumerate(MONTH_NAMES)})
YEAR = FieldSpec("year", 1970, 2199)
