"""Unix (Vixie) 5-field cron -> EventBridge cron expression(s).

Unix day-of-week is 0-7 (0 and 7 = Sunday), EventBridge's is 1-7 (1 = Sunday). When
day fields meet, we follow cronie (Vixie cron, the Linux crontab), not croniter:

* If either day field starts with ``*`` (``*``, ``*/2``), a day must match both fields
  (AND). ``0 9 */2 * MON`` runs on Mondays that are odd dates. EventBridge allows one
  day field per cron, so AND is only accepted when one field selects every day;
  otherwise the cron is refused (a 422 explaining why), never approximated.
* Otherwise a day matching either field runs (OR): ``0 9 1 * 0-6`` runs every day, and
  ``0 9 1,15 * MON`` compiles to two crons whose union is the Unix schedule.

Day-of-week steps (``*/2``, ``1-5/2``) are expanded over 0-7 as cronie does (Scheduler
has no day-of-week step): ``*/2`` is SUN,TUE,THU,SAT and ``1-7/2`` MON,WED,FRI,SUN.
"""

from __future__ import annotations

import contextlib
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
_ALL_DAYS = frozenset(range(1, 32))


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
    fields = _five_fields(text)
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
    unix_dows = parse_field(dow_text, UNIX_DOW, text)
    dows = frozenset((d % 7) + 1 for d in unix_dows)
    return _day_specs(text, minutes, hours, doms, months, dows, dom_text, dow_text)


def _expand_macro(stripped: str) -> str:
    lowered = stripped.lower()
    if not lowered.startswith("@"):
        return stripped
    if lowered == "@reboot":
        raise InvalidExpression(
            "@reboot is not a schedule: there is no machine to reboot in a serverless scheduler",
            suggestion="use a one-off time such as 'in 5 minutes'",
        )
    if lowered not in MACROS:
        raise InvalidExpression(
            f"unknown cron macro {stripped!r}; use one of {', '.join(sorted(MACROS))}",
        )
    return MACROS[lowered]


def _five_fields(text: str) -> list[str]:
    """The five fields of ``text`` (a macro expanded), or a 422 saying what the extra
    fields look like (seconds, a year, EventBridge order)."""
    fields = _expand_macro(" ".join(text.split())).split()
    if len(fields) == 6:
        raise _six_fields(text, fields)
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
    return fields


def _six_fields(text: str, fields: list[str]) -> InvalidExpression:
    if fields[5] == "?":
        # Quartz/Spring order: second minute hour day-of-month month day-of-week.
        return InvalidExpression(
            f"{text!r} has 6 fields with a seconds field first (Quartz style); seconds "
            "are not supported, EventBridge Scheduler runs at most once a minute",
            suggestion=f"cron({' '.join(fields[1:])} *)",
        )
    if "?" in fields[2:5] or _looks_like_year(fields[5]):
        return InvalidExpression(
            f"{text!r} has 6 fields: EventBridge cron must be written as cron(...)",
            suggestion=_eventbridge_six(fields),
        )
    return InvalidExpression(
        f"{text!r} has 6 fields: a seconds field is not supported; EventBridge "
        "Scheduler runs at most once a minute",
        suggestion=" ".join(fields[1:]),
    )


def _day_specs(
    text: str,
    minutes: frozenset[int],
    hours: frozenset[int],
    doms: frozenset[int],
    months: frozenset[int],
    dows: frozenset[int],
    dom_text: str,
    dow_text: str,
) -> list[CronSpec]:
    """cronie's day rule (see the module docstring) as EventBridge crons."""
    every_dom, every_dow = len(doms) == 31, len(dows) == 7
    if dom_text.startswith("*") or dow_text.startswith("*"):
        if every_dow:
            return [_checked(CronSpec(minutes, hours, doms, months, None, _ALL_YEARS), text)]
        if every_dom:
            return [CronSpec(minutes, hours, None, months, dows, _ALL_YEARS)]
        raise InvalidExpression(
            f"{text!r}: in Linux cron (cronie) a day field starting with '*' means a day must "
            f"match both day-of-month {dom_text!r} and day-of-week {dow_text!r}; EventBridge "
            "Scheduler cannot combine the two day fields, so this cron cannot be run exactly",
        )
    if every_dom or every_dow:
        # OR with a field that selects every day: every day.
        return [_checked(CronSpec(minutes, hours, _ALL_DAYS, months, None, _ALL_YEARS), text)]
    specs: list[CronSpec] = []
    by_dom = CronSpec(minutes, hours, doms, months, None, _ALL_YEARS)
    # Unix ORs the days: a day-of-month part that never exists (Feb 30) simply adds
    # nothing, so only the day-of-week part is kept.
    with contextlib.suppress(InvalidExpression):
        specs.append(_checked(by_dom, text))
    specs.append(CronSpec(minutes, hours, None, months, dows, _ALL_YEARS))
    return specs


def _checked(spec: CronSpec, text: str) -> CronSpec:
    check_can_fire(spec, text)
    return spec


def _eventbridge_six(fields: list[str]) -> str:
    """A 6-field cron written as cron(...), with '?' in the day field left open."""
    minute, hour, dom, month, dow, year = fields
    if "?" not in (dom, dow):
        if dow == "*":
            dow = "?"
        elif dom == "*":
            dom = "?"
    return f"cron({minute} {hour} {dom} {month} {dow} {year})"


def _eventbridge_hint(fields: list[str]) -> str:
    minute, hour, dom, month, dow = fields
    if dom != "*" and dow == "*":
        return f"cron({minute} {hour} {dom} {month} ? *)"
    return f"cron({minute} {hour} ? {month} {dow} *)"
