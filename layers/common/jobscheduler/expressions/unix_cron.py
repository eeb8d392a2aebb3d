"""Unix (Vixie) 5-field cron -> EventBridge cron expression(s).

Unix day-of-week is 0-7 (0 and 7 = Sunday), EventBridge's is 1-7 (1 = Sunday). When
both day fields are restricted, Unix runs on either (OR); EventBridge allows only one
day field per cron, so the result is two crons whose union is the Unix schedule. A day
field counts as restricted when it does not select every value (croniter's rule, so
``*/1`` is unrestricted and ``*/2`` is restricted).
"""

from __future__ import annotations

import re

from jobscheduler.errors import InvalidExpression
from jobscheduler.expressions.eventbridge import CronSpec, check_can_fire
from jobscheduler.expressions.fields import (
    DAY_OF_MONTH,
    DOW_NAMES,
    HOUR,
    MINUTE,
    MONTH,
    FieldSpec,
    parse_field,
)

# Unix numbering: 0-7, 0 and 7 = Sunday.
UNIX_DOW = FieldSpec("day-of-week", 0, 7, {n: i for i, n in enumerate(DOW_NAMES)})

_DOW_0_6 = FieldSpec("day-of-week", 0, 6, {n: i for i, n in enumerate(DOW_NAMES)})

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_CRON_TOKEN = re.compile(r"^[0-9*/,\-?]+$")
_SPECIAL_ITEM = re.compile(r"^(L|LW|[0-9]+[LW]|[LW][0-9]+|L-[0-9]+)$")
_ALL_YEARS = frozenset(range(1970, 2200))
_DOW_STEP_DAYS = {0: "SUN", 1: "MON", 2: "TUE", 3: "WED", 4: "THU", 5: "FRI", 6: "SAT"}


def looks_like_cron(text: str) -> bool:
    """True for input shaped like a cron (so its errors are cron errors, not English)."""
    stripped = text.strip()
    if stripped.startswith("@"):
        return True
    tokens = stripped.split()
    if len(tokens) < 5:
        return False
    numeric = sum(1 for t in tokens[:5] if _CRON_TOKEN.match(t))
    return _CRON_TOKEN.match(tokens[0]) is not None and numeric >= 2


def _looks_like_year(text: str) -> bool:
    return re.match(r"^(19[7-9]\d|2[01]\d\d)([-,/].*)?$", text) is not None


def compile_unix(text: str) -> list[CronSpec]:
    """The EventBridge cron spec(s) equivalent to a Unix cron (one, or two for OR days)."""
    stripped = " ".join(text.split())
    lowered = stripped.lower()
    if lowered.startswith("@"):
        if lowered == "@reboot":
            raise InvalidExpression(
                "@reboot is not a schedule: there is no machine to reboot in a serverless "
                "scheduler",
                suggestion="use a one-off time such as 'in 5 minutes'",
            )
        if lowered not in MACROS:
            raise InvalidExpression(
                f"unknown cron macro {stripped!r}; use one of {', '.join(sorted(MACROS))}",
            )
        stripped = MACROS[lowered]
    fields = stripped.split()
    if len(fields) == 6:
        if fields[5] == "?":
            # Quartz/Spring order: second minute hour day-of-month month day-of-week.
            raise InvalidExpression(
                f"{text!r} has 6 fields with a seconds field first (Quartz style); seconds "
                "are not supported, EventBridge Scheduler runs at most once a minute",
                suggestion=f"cron({' '.join(fields[1:])} *)",
            )
        if "?" in fields[2:5] or _looks_like_year(fields[5]):
            raise InvalidExpression(
                f"{text!r} has 6 fields: EventBridge cron must be written as cron(...)",
                suggestion=f"cron({stripped})",
            )
        raise InvalidExpression(
            f"{text!r} has 6 fields: a seconds field is not supported; EventBridge "
            "Scheduler runs at most once a minute",
            suggestion=" ".join(fields[1:]),
        )
    if len(fields) > 6:
        raise InvalidExpression(
            f"{text!r} has {len(fields)} fields; a Unix cron has 5 (minute hour "
            "day-of-month month day-of-week), and seconds are not supported",
            suggestion=" ".join(fields[1:6]) if len(fields) == 7 else None,
        )
    if len(fields) != 5:
        raise InvalidExpression(
            f"{text!r} has {len(fields)} fields; a Unix cron has 5 (minute hour "
            "day-of-month month day-of-week)",
            suggestion="0 9 * * 1-5",
        )
    minute, hour, dom_text, month, dow_text = fields
    for label, value in (("day-of-month", dom_text), ("day-of-week", dow_text)):
        items = value.upper().split(",")
        if any(_SPECIAL_ITEM.match(item) for item in items) or "?" in value or "#" in value:
            raise InvalidExpression(
                f"{label} {value!r}: L, W, # and ? are not Unix cron syntax",
                suggestion=_eventbridge_hint(fields),
            )
    minutes = parse_field(minute, MINUTE, text)
    hours = parse_field(hour, HOUR, text)
    doms = parse_field(dom_text, DAY_OF_MONTH, text)
    months = parse_field(month, MONTH, text)
    if "/" in dow_text:
        raise InvalidExpression(
            f"a step in the day-of-week field ({dow_text!r}) is not supported by "
            "EventBridge Scheduler",
            suggestion=_dow_step_hint(fields),
        )
    unix_dows = parse_field(dow_text, UNIX_DOW, text)
    dows = frozenset((d % 7) + 1 for d in unix_dows)
    dom_restricted = len(doms) != 31
    dow_restricted = len(dows) != 7
    if dom_restricted and dow_restricted:
        specs: list[CronSpec] = []
        by_dom = CronSpec(minutes, hours, doms, months, None, _ALL_YEARS)
        by_dow = CronSpec(minutes, hours, None, months, dows, _ALL_YEARS)
        try:
            check_can_fire(by_dom, text)
            specs.append(by_dom)
        except InvalidExpression:
            # Unix ORs the days: a day-of-month part that never exists (Feb 30) simply
            # adds nothing, so only the day-of-week part is kept.
            pass
        specs.append(by_dow)
        return specs
    if dow_restricted:
        return [CronSpec(minutes, hours, None, months, dows, _ALL_YEARS)]
    spec = CronSpec(minutes, hours, doms, months, None, _ALL_YEARS)
    check_can_fire(spec, text)
    return [spec]


def _eventbridge_hint(fields: list[str]) -> str:
    minute, hour, dom, month, dow = fields
    if dom != "*" and dow == "*":
        return f"cron({minute} {hour} {dom} {month} ? *)"
    return f"cron({minute} {hour} ? {month} {dow} *)"


def _dow_step_hint(fields: list[str]) -> str | None:
    try:
        # Expand the step over 0-6 (7 would repeat Sunday), as croniter does.
        values = parse_field(fields[4], _DOW_0_6, " ".join(fields))
    except InvalidExpression:
        return None
    days = sorted({v % 7 for v in values})
    listed = ",".join(_DOW_STEP_DAYS[d] for d in days)
    return f"list the days: {' '.join([*fields[:4], listed])}"
