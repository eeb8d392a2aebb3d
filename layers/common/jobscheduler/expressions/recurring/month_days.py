"""Days of the month: ``on the 1st and 15th``, ``every 15th of the month``,
``the last day of the month``."""

from __future__ import annotations

import re

from jobscheduler.expressions.recurring.lexicon import OF_MONTH, ORD, SEP
from jobscheduler.expressions.recurring.state import Clause, State, refuse


def ordinal(text: str) -> int:
    value = int(re.sub(r"\D", "", text))
    if not 1 <= value <= 31:
        raise refuse(f"day of the month {value} is out of range (1-31)")
    return value


def _last_day(m: re.Match[str], s: State) -> None:
    s.dom_special = ("LW", 0) if m.group("week") else ("L", 0)


def _doms(m: re.Match[str], s: State) -> None:
    for part in re.split(SEP, m.group("doms")):
        part = part.replace("the", "").strip()
        if part:
            s.doms.add(ordinal(part))


LAST_DAY = Clause(
    r"^(?:(?:every|each|on)\s+)?(?:the\s+)?last\s+"
    rf"(?P<week>week|business\s+|working\s+)?day{OF_MONTH}?",
    _last_day,
    "days",
)
DAYS_OF_MONTH = Clause(
    r"^(?:(?:every|each|on)\s+)?(?:the\s+)?(?:days?\s+)?"
    rf"(?P<doms>{ORD}(?:{SEP}(?:the\s+)?{ORD})*){OF_MONTH}?(?=\s|,|$)",
    _doms,
    "days",
)
