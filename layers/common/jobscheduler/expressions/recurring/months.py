"""Months and dates of the year: ``in january and july``, ``on jan 1``, ``25th of dec``."""

from __future__ import annotations

import re

from jobscheduler.expressions.recurring.lexicon import MONTH, MONTHS, ORD, SEP
from jobscheduler.expressions.recurring.month_days import ordinal
from jobscheduler.expressions.recurring.state import Clause, State, set_interval


def _month_day(m: re.Match[str], s: State) -> None:
    s.months.add(MONTHS[m.group("month")])
    s.doms.add(ordinal(m.group("day")))
    if s.interval is None:
        set_interval(s, 1, "year")


def _months(m: re.Match[str], s: State) -> None:
    for part in re.split(SEP, m.group("months")):
        if part.strip():
            s.months.add(MONTHS[part.strip()])


DAY_MONTH = Clause(
    rf"^(?:on\s+)?(?:the\s+)?(?P<day>{ORD})\s+(?:of\s+)?(?P<month>{MONTH})\b", _month_day, "days"
)
MONTH_DAY = Clause(
    rf"^(?:(?:every|each|on)\s+)?(?P<month>{MONTH})\s+(?:the\s+)?(?P<day>{ORD})\b",
    _month_day,
    "days",
)
IN_MONTHS = Clause(rf"^(?:in|during|only\s+in)\s+(?P<months>{MONTH}(?:{SEP}{MONTH})*)\b", _months)
