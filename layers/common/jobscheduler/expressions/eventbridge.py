"""EventBridge Scheduler's own expressions: ``cron(6 fields)``, ``rate(N unit)``, ``at(...)``.

Parsed strictly against Scheduler's documented grammar (moto accepts any string, so this
is the only check before AWS): minutes, hours, day-of-month (``, - * ? / L W``), month,
day-of-week (``, - * ? L #``, 1 = SUN) and year 1970-2199; exactly one of the two day
fields is ``?``. ``L``, ``LW``, ``nW``, ``dL`` and ``d#n`` must stand alone in their
field (Quartz, which Scheduler's cron follows, refuses them in lists and ranges).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from jobscheduler.errors import InvalidExpression
from jobscheduler.expressions.fields import (
    DAY_OF_MONTH,
    DOW_NAMES,
    HOUR,
    MINUTE,
    MONTH,
    MONTH_FULL,
    MONTH_MAX_DAYS,
    YEAR,
    FieldSpec,
    parse_field,
    render_set,
)

_DOW_BY_NAME = {n: i + 1 for i, n in enumerate(DOW_NAMES)}
DOW = FieldSpec("day-of-week", 1, 7, {n: i + 1 for i, n in enumerate(DOW_NAMES)}, allow_step=False)

_CRON = re.compile(r"^cron\((?P<body>.*)\)$", re.IGNORECASE | re.DOTALL)
_RATE = re.compile(r"^rate\((?P<body>.*)\)$", re.IGNORECASE | re.DOTALL)
_AT = re.compile(r"^at\((?P<body>.*)\)$", re.IGNORECASE | re.DOTALL)
_RATE_BODY = re.compile(r"^\s*(?P<value>[0-9]+)\s+(?P<unit>[A-Za-z]+)\s*$")
_AT_BODY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$")
_NEAREST = re.compile(r"^(?P<day>[0-9]{1,2})W$", re.IGNORECASE)
_LAST_DOW = re.compile(r"^(?P<day>[1-7])L$", re.IGNORECASE)
_NTH_DOW = re.compile(r"^(?P<day>[1-7]|[A-Za-z]{3})#(?P<nth>[0-9]+)$")

RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}

# Day-of-month specials: ("L", 0) last day, ("LW", 0) last weekday, ("W", n) weekday
# nearest day n.
DomSpecial = tuple[str, int]
# Day-of-week specials: ("L", d, 0) last weekday d of the month, ("#", d, n) n-th weekday d.
DowSpecial = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class CronSpec:
    """A validated EventBridge cron. ``None`` day field = ``?``."""

    minutes: frozenset[int]
    hours: frozenset[int]
    dom: frozenset[int] | DomSpecial | None
    months: frozenset[int]
    dow: frozenset[int] | DowSpecial | None
    years: frozenset[int]

    def render(self) -> str:
        return f"cron({' '.join(self.fields())})"

    def fields(self) -> list[str]:
        return [
            render_set(self.minutes, 0, 59),
            render_set(self.hours, 0, 23),
            _render_dom(self.dom),
            render_set(self.months, 1, 12),
            _render_dow(self.dow),
            render_set(self.years, 1970, 2199),
        ]


def _render_dom(dom: frozenset[int] | DomSpecial | None) -> str:
    if dom is None:
        return "?"
    if isinstance(dom, frozenset):
        return render_set(dom, 1, 31)
    if dom[0] == "W":
        return f"{dom[1]}W"
    return dom[0]


def _render_dow(dow: frozenset[int] | DowSpecial | None) -> str:
    if dow is None:
        return "?"
    if isinstance(dow, frozenset):
        return render_set(dow, 1, 7, DOW_NAMES)
    if dow[0] == "L":
        return f"{dow[1]}L"
    return f"{DOW_NAMES[dow[1] - 1]}#{dow[2]}"


@dataclass(frozen=True, slots=True)
class RateSpec:
    value: int
    unit: str  # minute | hour | day

    @property
    def seconds(self) -> int:
        return self.value * RATE_UNITS[self.unit]

    def render(self) -> str:
        return f"rate({self.value} {self.unit}{'' if self.value == 1 else 's'})"


def parse_dom(text: str, source: str) -> frozenset[int] | DomSpecial | None:
    upper = text.upper()
    if upper == "?":
        return None
    if upper in ("L", "LW"):
        return (upper, 0)
    nearest = _NEAREST.match(text)
    if nearest is not None:
        day = int(nearest.group("day"))
        if not 1 <= day <= 31:
            raise InvalidExpression(
                f"day-of-month value {day} in {source!r} is out of range (1-31)"
            )
        return ("W", day)
    if "L" in upper or "W" in upper:
        raise InvalidExpression(
            f"day-of-month {text!r} in {source!r} is not valid: L and nW must stand "
            "alone in the field (e.g. 'L', '15W'); 'L-n' is not in Scheduler's documented "
            "syntax"
        )
    return parse_field(text, DAY_OF_MONTH, source)


def parse_dow(text: str, source: str) -> frozenset[int] | DowSpecial | None:
    upper = text.upper()
    if upper == "?":
        return None
    if upper == "L":
        # Quartz: "L" alone in day-of-week is the last day of the week, Saturday.
        return frozenset({7})
    last = _LAST_DOW.match(text)
    if last is not None:
        return ("L", int(last.group("day")), 0)
    nth = _NTH_DOW.match(text)
    if nth is not None:
        day_text = nth.group("day").upper()
        if day_text.isdigit():
            day = int(day_text)
        elif day_text in _DOW_BY_NAME:
            day = _DOW_BY_NAME[day_text]
        else:
            raise InvalidExpression(f"day-of-week {text!r} in {source!r} is not a day name")
        n = int(nth.group("nth"))
        if not 1 <= n <= 5:
            raise InvalidExpression(
                f"day-of-week {text!r} in {source!r}: the week number after '#' must be 1-5"
            )
        return ("#", day, n)
    if "#" in upper or re.search(r"(^|,|-)[0-9]*L(,|-|$)", upper):
        raise InvalidExpression(
            f"day-of-week {text!r} in {source!r} is not valid: 'dL' and 'd#n' must stand "
            "alone in the field (e.g. '6L' = last Friday, 'MON#1' = first Monday)"
        )
    if "/" in text:
        raise InvalidExpression(
            f"a step ('/') in the day-of-week field ({text!r}) is not supported by "
            "EventBridge Scheduler",
            suggestion="list the days instead, e.g. MON,WED,FRI",
        )
    return parse_field(text, DOW, source)


def parse_cron_body(body: str) -> CronSpec:
    source = f"cron({body})"
    fields = body.split()
    if len(fields) != 6:
        suggestion = None
        if len(fields) == 5:
            suggestion = "EventBridge cron needs 6 fields: minute hour day-of-month month day-of-week year, e.g. cron(0 9 ? * MON-FRI *); or drop cron() to use a Unix 5-field cron"
        raise InvalidExpression(
            f"{source!r} has {len(fields)} fields; EventBridge cron has exactly 6 "
            "(minute hour day-of-month month day-of-week year)",
            suggestion=suggestion,
        )
    minute, hour, dom_text, month, dow_text, year = fields
    minutes = parse_field(minute, MINUTE, source)
    hours = parse_field(hour, HOUR, source)
    dom = parse_dom(dom_text, source)
    months = parse_field(month, MONTH, source)
    dow = parse_dow(dow_text, source)
    years = parse_field(year, YEAR, source)
    if dom is None and dow is None:
        raise InvalidExpression(
            f"{source!r} sets both day-of-month and day-of-week to '?'; exactly one may be '?'",
            suggestion=f"cron({minute} {hour} * {month} ? {year})",
        )
    if dom is not None and dow is not None:
        if dom_text == "*":
            suggestion = f"cron({minute} {hour} ? {month} {dow_text} {year})"
        elif dow_text == "*":
            suggestion = f"cron({minute} {hour} {dom_text} {month} ? {year})"
        else:
            suggestion = (
                "EventBridge cannot combine both days; use a Unix cron "
                f"'{minute} {hour} {dom_text} {month} {dow_text}', which runs on either"
            )
        raise InvalidExpression(
            f"{source!r} sets both day-of-month and day-of-week; EventBridge requires "
            "exactly one of them to be '?'",
            suggestion=suggestion,
        )
    spec = CronSpec(minutes, hours, dom, months, dow, years)
    check_can_fire(spec, source)
    return spec


def check_can_fire(spec: CronSpec, source: str) -> None:
    """Refuse day/month combinations that never exist (Feb 30, Apr 31)."""
    if isinstance(spec.dom, frozenset) and not any(
        day <= MONTH_MAX_DAYS[month - 1] for day in spec.dom for month in spec.months
    ):
        days = ", ".join(str(d) for d in sorted(spec.dom))
        months = ", ".join(MONTH_FULL[m - 1] for m in sorted(spec.months))
        raise InvalidExpression(
            f"{source!r} can never run: day {days} does not exist in {months}",
            suggestion="use 'L' for the last day of the month",
        )
    if (
        isinstance(spec.dom, tuple)
        and spec.dom[0] == "W"
        and not any(spec.dom[1] <= MONTH_MAX_DAYS[m - 1] for m in spec.months)
    ):
        raise InvalidExpression(f"{source!r} can never run: day {spec.dom[1]} does not exist")


# Longer than this, a rate has at most one run before Scheduler's year 2199.
_MAX_RATE_SECONDS = 100 * 366 * 86400


def _unit_hint(value: int, unit: str) -> str | None:
    """The same interval in a unit Scheduler knows, only when it is the same interval."""
    if unit == "week" and value > 0:
        days = value * 7
        return f"rate({days} days)"
    if unit == "month" and 0 < value <= 12:
        # A month is not a fixed length: the cron that runs on the 1st every N months.
        return "cron(0 0 1 * ? *)" if value == 1 else f"cron(0 0 1 1/{value} ? *)"
    return None


def parse_rate_body(body: str) -> RateSpec:
    source = f"rate({body})"
    match = _RATE_BODY.match(body)
    if match is None:
        raise InvalidExpression(
            f"{source!r} is not a valid rate; use rate(N minutes|hours|days)",
            suggestion="rate(5 minutes)",
        )
    value = int(match.group("value"))
    unit_text = match.group("unit").lower()
    if unit_text in ("second", "seconds", "sec", "secs", "s"):
        raise InvalidExpression(
            f"{source!r}: sub-minute rates are not supported; EventBridge Scheduler runs "
            "at most once a minute",
            suggestion="rate(1 minute)",
        )
    base = unit_text[:-1] if unit_text.endswith("s") else unit_text
    if base not in RATE_UNITS:
        raise InvalidExpression(
            f"{source!r}: unknown rate unit {match.group('unit')!r}; use minute(s), hour(s) "
            "or day(s)",
            suggestion=_unit_hint(value, base),
        )
    if value * RATE_UNITS[base] > _MAX_RATE_SECONDS:
        raise InvalidExpression(
            f"{source!r}: a rate longer than 100 years would never run again (Scheduler's "
            "years end at 2199)",
        )
    if value == 0:
        raise InvalidExpression(
            f"{source!r}: a rate must be a positive number (0 never runs)",
            suggestion=f"rate(1 {base})",
        )
    spec = RateSpec(value, base)
    canonical = spec.render()
    plural = unit_text.endswith("s")
    if plural != (value != 1):
        raise InvalidExpression(
            f"{source!r}: EventBridge requires the singular unit for 1 and the plural otherwise",
            suggestion=canonical,
        )
    return spec


def parse_at_body(body: str) -> datetime:
    """The naive local wall time of ``at(yyyy-mm-ddThh:mm:ss)``."""
    source = f"at({body})"
    match = _AT_BODY.match(body.strip())
    if match is None:
        raise InvalidExpression(
            f"{source!r} is not valid; use at(yyyy-mm-ddThh:mm:ss)",
            suggestion="at(2030-01-31T09:00:00)",
        )
    year, month, day, hour, minute, second = (int(g) for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise InvalidExpression(f"{source!r} is not a real date/time: {exc}") from None


Parsed = CronSpec | RateSpec | datetime


@lru_cache(maxsize=4096)
def parse_expression(expression: str) -> Parsed:
    """Parse one EventBridge expression (cached: the executor evaluates the same few)."""
    text = expression.strip()
    if (m := _CRON.match(text)) is not None:
        return parse_cron_body(m.group("body"))
    if (m := _RATE.match(text)) is not None:
        return parse_rate_body(m.group("body"))
    if (m := _AT.match(text)) is not None:
        return parse_at_body(m.group("body"))
    raise InvalidExpression(f"{expression!r} is not an EventBridge expression")


def looks_like_eventbridge(text: str) -> bool:
    lowered = text.strip().lower()
    return lowered.startswith(("cron(", "rate(", "at(")) and lowered.endswith(")")
