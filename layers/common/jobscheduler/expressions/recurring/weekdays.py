"""Days of the week: ``every monday and friday``, ``on weekdays``, ``monday to friday``,
``the first monday of the month``, ``last friday of the month``."""

from __future__ import annotations

import re

from jobscheduler.expressions.recurring.lexicon import DAY, DAYS, NTH, OF_MONTH, SEP
from jobscheduler.expressions.recurring.state import Clause, State, refuse

_RANGE = r"\s*(?:-|to|through|thru|until)\s*"


def day_number(text: str) -> int:
    text = text.strip()
    if text in DAYS:
        return DAYS[text]
    if text.endswith("s") and text[:-1] in DAYS:
        return DAYS[text[:-1]]
    raise refuse(f"{text!r} is not a day of the week")


def _days_list(text: str) -> set[int]:
    days: set[int] = set()
    for part in re.split(SEP, text.strip()):
        span = re.fullmatch(rf"({DAY}){_RANGE}({DAY})", part)
        if span is not None:
            first, last = day_number(span.group(1)), day_number(span.group(2))
            if first > last:
                raise refuse(f"day range {part!r} runs backwards", "monday to friday")
            days.update(range(first, last + 1))
        elif part:
            days.add(day_number(part))
    return days


def _weekdays(m: re.Match[str], s: State) -> None:
    word = m.group("which")
    s.dows.update(
        {2, 3, 4, 5, 6}
        if word.startswith(("week", "business", "working")) and "end" not in word
        else {1, 7}
    )


def _days(m: re.Match[str], s: State) -> None:
    s.dows.update(_days_list(m.group("days")))


def _nth_dow(m: re.Match[str], s: State) -> None:
    day = day_number(m.group("day"))
    nth = m.group("nth")
    s.dow_special = ("L", day, 0) if nth == "last" else ("#", day, NTH[nth])


_NTH_WORD = r"(?P<nth>first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)\s+"

NTH_EVERY = Clause(
    rf"^(?:every|each)\s+(?:the\s+)?{_NTH_WORD}(?P<day>{DAY}){OF_MONTH}?", _nth_dow, "days"
)
NTH_ON = Clause(
    rf"^(?:on\s+)?(?:the\s+)?{_NTH_WORD}(?P<day>{DAY})(?:{OF_MONTH}|\b)", _nth_dow, "days"
)
WEEKDAYS = Clause(
    r"^(?:(?:every|each|on)\s+)?(?:the\s+)?"
    r"(?P<which>weekdays?|weekends?|business\s+days?|working\s+days?)\b",
    _weekdays,
    "days",
)
DAYS_OF_WEEK = Clause(
    rf"^(?:(?:every|each|on)\s+)?(?P<days>{DAY}(?:{_RANGE}{DAY})?"
    rf"(?:{SEP}(?:every\s+)?{DAY}(?:{_RANGE}{DAY})?)*)\b",
    _days,
    "days",
)
