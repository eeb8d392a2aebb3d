"""The ``except ...`` clause of a plain-English schedule: exclusions, not a cron.

Understood parts, joined by "and" or commas:
``holidays`` / ``public holidays`` / ``bank holidays`` (the country comes from the
request's ``holiday_country``), ``US holidays``, ``US-CA holidays`` (a subdivision),
``weekends``, ``saturdays`` (any day name), ``december 24``, ``december 24-26``.
Every word is understood or the clause is refused, as in the rest of the grammar.
"""

from __future__ import annotations

import calendar as month_calendar
import re

from jobscheduler.errors import InvalidExclusion
from jobscheduler.expressions.vocabulary import DAY_WORDS, not_understood
from jobscheduler.models.calendars import (
    DAY_CODES,
    DatesRule,
    DaysRule,
    ExclusionRule,
    HolidayRule,
)

_SPLIT = re.compile(r"\s+(?:except|excluding)\s+")
_HOLIDAYS = re.compile(
    r"^(?:(?P<cc>[a-z]{2,3})(?:-(?P<sub>[a-z0-9]{1,10}))?\s+)?(?:public\s+|bank\s+)?holidays?$"
)
_DATES = re.compile(
    r"^(?P<month>[a-z]+)\.?\s+(?P<first>\d{1,2})(?:st|nd|rd|th)?(?:\s*(?:-|to|through|thru)\s*(?P<last>\d{1,2})(?:st|nd|rd|th)?)?$"
)


def _month_number(word: str) -> int | None:
    for number in range(1, 13):
        full = month_calendar.month_name[number].lower()
        if word == full or (len(word) >= 3 and full.startswith(word)):
            return number
    return None


def split_except(text: str) -> tuple[str, str | None]:
    """``(schedule, clause)``: the text before the first "except", and the rest."""
    parts = _SPLIT.split(text, maxsplit=1)
    if len(parts) == 1:
        return text, None
    return parts[0], parts[1]


def _day_code(word: str) -> str | None:
    bare = word[:-1] if word.endswith("s") and word[:-1] in DAY_WORDS else word
    if bare not in DAY_WORDS:
        return None
    for code in DAY_CODES:
        if bare.startswith(code.lower()):
            return code
    return None


def _part(part: str, source: str, country: str | None) -> ExclusionRule:
    if part in ("weekend", "weekends"):
        return DaysRule(days=["SAT", "SUN"])
    code = _day_code(part)
    if code is not None:
        return DaysRule.model_validate({"days": [code]})
    match = _HOLIDAYS.match(part)
    if match is not None:
        cc, sub = match.group("cc"), match.group("sub")
        if cc is None:
            if country is None:
                raise InvalidExclusion(
                    f"{source!r} says 'holidays' without a country: send holiday_country"
                    ' (e.g. "US") or name it, as in "except US holidays"',
                    suggestion=source.replace("holidays", "US holidays", 1)
                    if "holidays" in source
                    else None,
                )
            return HolidayRule(holidays=country.upper())
        return HolidayRule(holidays=cc.upper(), subdivision=sub.upper() if sub else None)
    match = _DATES.match(part)
    if match is not None:
        month = _month_number(match.group("month"))
        if month is not None:
            first = int(match.group("first"))
            last = int(match.group("last") or first)
            if not 1 <= first <= last <= 31:
                raise InvalidExclusion(f"{part!r} in {source!r} is not a range of days")
            try:
                rule = DatesRule(dates=[f"{month:02d}-{day:02d}" for day in range(first, last + 1)])
            except ValueError:
                raise InvalidExclusion(
                    f"{part!r} in {source!r} names a day that the month does not have"
                ) from None
            return rule
    raise not_understood(source, part)


def parse_except(clause: str, source: str, *, country: str | None) -> list[ExclusionRule]:
    """The rules of an ``except`` clause (lower case, single-spaced)."""
    parts = [p.strip() for p in re.split(r"\s*,\s*|\s+and\s+|\s*&\s*", clause) if p.strip()]
    if not parts:
        raise not_understood(source, clause)
    rules: list[ExclusionRule] = []
    for part in parts:
        rule = _part(part, source, country)
        if isinstance(rule, DaysRule) and rules and isinstance(rules[-1], DaysRule):
            rules[-1] = DaysRule(days=sorted({*rules[-1].days, *rule.days}, key=DAY_CODES.index))
            continue
        rules.append(rule)
    return rules
