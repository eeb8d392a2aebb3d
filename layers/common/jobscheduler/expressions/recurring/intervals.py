"""Frequency clauses: ``every 5 minutes``, ``every day``, ``hourly``, ``twice a day``,
``of the month``, and the refused ``every other monday``."""

from __future__ import annotations

import re

from jobscheduler.expressions.recurring.lexicon import (
    DAY,
    NUMBER_WORDS,
    OF_MONTH,
    ORDINAL_COUNT,
)
from jobscheduler.expressions.recurring.state import Clause, State, refuse, set_interval

_UNIT_WORDS = {"min": "minute", "mins": "minute", "hr": "hour", "hrs": "hour", "sec": "second"}
_ADVERB_UNITS = {
    "hourly": "hour",
    "daily": "day",
    "nightly": "day",
    "weekly": "week",
    "monthly": "month",
    "yearly": "year",
    "annually": "year",
}
_PER_UNITS = {
    "daily": "day",
    "hourly": "hour",
    "weekly": "week",
    "monthly": "month",
    "yearly": "year",
}
# "twice a week/month/year": which days is the person's choice; each proposal does run
# twice per unit.
_TWICE_PROPOSALS = {
    "week": "every monday and thursday",
    "month": "every month on the 1st and 15th",
    "year": "every 6 months",
}


def _every_n(m: re.Match[str], s: State) -> None:
    number = re.sub(r"(?<=\d)(?:st|nd|rd|th)$", "", m.group("n"))
    if number.isdigit():
        if len(number) > 7:
            raise refuse(f"{m.group(0).strip()!r}: the interval is too large")
        value = int(number)
    else:
        value = NUMBER_WORDS.get(number) or ORDINAL_COUNT[number]
    unit = _UNIT_WORDS.get(m.group("unit"), m.group("unit"))
    set_interval(s, value, unit.rstrip("s") if unit != "s" else unit)


def _adverb(m: re.Match[str], s: State) -> None:
    word = m.group(0).strip()
    s.every_day = s.every_day or word == "daily"
    if word == "nightly":
        s.part = "night"
    set_interval(s, 1, _ADVERB_UNITS[word])


def _per(m: re.Match[str], s: State) -> None:
    count = {"once": 1, "twice": 2}[m.group("count")]
    unit = _PER_UNITS.get(m.group("unit"), m.group("unit"))
    if count == 1:
        set_interval(s, 1, unit)
    elif unit == "day":
        set_interval(s, 1, "day")
        s.clock = s.clock or [((0, 0), True), ((12, 0), True)]  # documented: 00:00 and 12:00
    elif unit == "hour":
        set_interval(s, 30, "minute")
    else:
        proposal = _TWICE_PROPOSALS[unit]
        raise refuse(
            f"{m.group(0).strip()!r} does not say which days; name them, e.g. {proposal!r}",
            proposal,
        )


def _every_unit(m: re.Match[str], s: State) -> None:
    unit = m.group("unit")
    if unit == "night":
        s.part, unit = "night", "day"
    s.every_day = s.every_day or unit == "day"
    set_interval(s, 1, unit)


def _of_month(m: re.Match[str], s: State) -> None:
    if s.interval is None:
        set_interval(s, 1, "month")


def _week_parity(m: re.Match[str], s: State) -> None:
    raise refuse(
        f"{m.group(0)!r}: a cron cannot skip weeks (it has no week parity); use "
        "'rate(14 days)' with start_at at the first run, or say 'of the month' for the "
        "n-th weekday of each month",
    )


WEEK_PARITY = Clause(
    rf"^(?:every|each)\s+(?:other|second|2nd|\d+)\s+(?:weeks?\s+on\s+)?{DAY}\b(?!{OF_MONTH})",
    _week_parity,
)
EVERY_N = Clause(
    r"^(?:every|each)\s+(?P<n>\d+(?:st|nd|rd|th)?|second|third|fourth|fifth|sixth|"
    + "|".join(NUMBER_WORDS)
    + r")\s+"
    r"(?P<unit>minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|seconds?|secs?|s)\b",
    _every_n,
)
EVERY_UNIT = Clause(
    r"^(?:every|each)\s+(?P<unit>minute|hour|day|night|week|month|year|second)\b",
    _every_unit,
)
ADVERB = Clause(r"^(?:hourly|daily|nightly|weekly|monthly|yearly|annually)\b", _adverb)
PER = Clause(
    r"^(?P<count>once|twice)\s+(?:(?:a|an|per|every|each)\s+)?"
    r"(?P<unit>day|hour|week|month|year|daily|hourly|weekly|monthly|yearly)\b",
    _per,
)
OF_THE_MONTH = Clause(rf"^(?:of\s+)?(?:the|every|each)\s+month\b|^{OF_MONTH.strip()}", _of_month)
