"""One-off times in plain English, read by a small grammar of our own.

Why not a general date parser such as dateparser: it reads ``at 9`` as September and
skips words it does not know, which is guessing; a scheduler must refuse instead.

Every word must be understood: the phrase is consumed clause by clause (a regex at the
head of what is left, as in ``recurring``) and anything left over is a 422
naming it. Nothing is guessed:

* a time of day is ``9am``, ``9:30 pm``, ``21:30``, ``at 9`` (24-hour clock), ``noon``,
  ``midnight``, ``half past 9``, ``quarter to 5``; alone it means its next occurrence;
* a part of the day (``this evening at 7``, ``tomorrow morning at 8``) puts an hour
  without am/pm into that part (evening 7 = 19:00);
* a day is ``today``, ``tonight``, ``tomorrow``, ``the day after tomorrow``, a weekday
  (``friday``: the next one, today included while the time is ahead; ``next friday``:
  never today), a date (``dec 25``, ``25th of december 2027``, ``2026-12-25``), a day of
  the month (``on the 15th``: the next 15th) or ``the first of next month``;
* a day without a time is refused (``tonight`` alone is 20:00, as documented);
* relative times are exact arithmetic on the instant: ``in 5 minutes``, ``in half an
  hour``, ``in an hour and a half``, ``3 hours from now``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from jobscheduler.errors import InvalidExpression
from jobscheduler.expressions.clock import parse_clock, past_the_hour, with_part_of_day
from jobscheduler.expressions.vocabulary import (
    COUNT_WORDS,
    DAY_WORDS,
    MONTH_NUMBERS,
    MONTH_WORDS,
    not_understood,
)
from jobscheduler.expressions.zones import (
    abbreviation_refusal,
    validate_timezone,
    zone,
)

_DAY_INDEX = {
    name: index
    for index, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tues", "tue"),
            ("wednesday", "wed"),
            ("thursday", "thurs", "thur", "thu"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}
_MONTH_INDEX = MONTH_NUMBERS
_COUNT = {"a": 1, "an": 1, **COUNT_WORDS}
_UNIT_SECONDS = {
    "second": 1,
    "sec": 1,
    "minute": 60,
    "min": 60,
    "hour": 3600,
    "hr": 3600,
    "day": 86400,
    "week": 604800,
}
# Farther than this is refused before any arithmetic (no overflow on huge numbers).
_MAX_AHEAD_SECONDS = 200 * 366 * 86400
_DAY = "(?:" + "|".join(sorted(DAY_WORDS, key=len, reverse=True)) + ")"
_MONTH = "(?:" + "|".join(sorted(MONTH_WORDS, key=len, reverse=True)) + ")"
_NUM = r"(?:\d+(?:\.\d+)?|" + "|".join(sorted(_COUNT, key=len, reverse=True)) + ")"
_UNIT = r"(?:" + "|".join(sorted(_UNIT_SECONDS, key=len, reverse=True)) + r")s?"
_TIME = r"(?:\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)|\d{1,2}:\d{2}|noon|midday|midnight)"
_ORD = r"(?:\d{1,2}(?:st|nd|rd|th)|first|1st)"


@dataclass
class _Spec:
    """What the clauses said; resolved to one instant by ``_resolve``."""

    time: tuple[int, int] | None = None
    meridiem: bool = False  # the time gave am/pm (or noon/midnight): no part-of-day shift
    part: str | None = None
    day: tuple[str, tuple[int, ...]] | None = None
    offset_seconds: float | None = None
    times_given: int = 0
    days_given: int = 0
    zone: str | None = None  # "at 9am UTC", "at 9am Europe/Paris"


def _refuse(message: str, suggestion: str | None = None) -> InvalidExpression:
    return InvalidExpression(message, suggestion=suggestion)


# ---- clauses ---------------------------------------------------------------------------

Handler = Callable[[re.Match[str], _Spec], None]


def _set_time(spec: _Spec, time: tuple[int, int], meridiem: bool) -> None:
    spec.times_given += 1
    spec.time, spec.meridiem = time, meridiem


def _set_day(spec: _Spec, kind: str, *values: int) -> None:
    spec.days_given += 1
    spec.day = (kind, values)


def _h_time(m: re.Match[str], s: _Spec) -> None:
    _set_time(s, *parse_clock(m.group("t")))


def _h_half_past(m: re.Match[str], s: _Spec) -> None:
    _set_time(s, *past_the_hour(m.group("q"), m.group("h")))


def _amount(text: str) -> float:
    return float(text) if text[0].isdigit() else float(_COUNT[text])


def _h_relative(m: re.Match[str], s: _Spec) -> None:
    amount = _amount(m.group("n")) + (0.5 if m.group("half") or m.group("half2") else 0)
    unit = m.group("u").rstrip("s") or "s"
    seconds = amount * _UNIT_SECONDS[unit]
    if seconds > _MAX_AHEAD_SECONDS:
        raise _refuse(f"{m.group(0).strip()!r} is too far ahead (more than 200 years)")
    s.offset_seconds = (s.offset_seconds or 0) + seconds
    s.days_given += 1


def _h_half_hour(m: re.Match[str], s: _Spec) -> None:
    s.offset_seconds = (s.offset_seconds or 0) + (900 if m.group("q") else 1800)
    s.days_given += 1


def _h_named_day(m: re.Match[str], s: _Spec) -> None:
    word = m.group("w")
    if word == "tonight":
        s.part = "night"
    _set_day(s, "offset", {"today": 0, "tonight": 0, "tomorrow": 1, "yesterday": -1}[word])


def _h_after_tomorrow(m: re.Match[str], s: _Spec) -> None:
    _set_day(s, "offset", 2)


def _h_this_part(m: re.Match[str], s: _Spec) -> None:
    s.part = m.group("p")
    _set_day(s, "offset", 0)


def _h_part(m: re.Match[str], s: _Spec) -> None:
    if s.part is not None and s.part != m.group("p"):
        raise _refuse(f"the phrase names two parts of the day ({s.part}, {m.group('p')})")
    s.part = m.group("p")


def _h_weekday(m: re.Match[str], s: _Spec) -> None:
    strict = 1 if m.group("mod") == "next" else 0
    _set_day(s, "weekday", _DAY_INDEX[m.group("d")], strict)


def _h_date(m: re.Match[str], s: _Spec) -> None:
    year = int(m.group("y")) if m.group("y") else 0
    _set_day(s, "date", year, _MONTH_INDEX[m.group("m")], int(m.group("d")))


def _h_iso_date(m: re.Match[str], s: _Spec) -> None:
    year, month, day = (int(x) for x in m.group("iso").split("-"))
    _set_day(s, "date", year, month, day)


def _h_dom(m: re.Match[str], s: _Spec) -> None:
    _set_day(s, "dom", int(re.sub(r"\D", "", m.group("d"))))


def _h_next_month(m: re.Match[str], s: _Spec) -> None:
    which = m.group("d")
    day = (
        0 if which.startswith("last") else 1 if which == "first" else int(re.sub(r"\D", "", which))
    )
    _set_day(s, "next_month", day)


def _h_vague(m: re.Match[str], s: _Spec) -> None:
    raise _refuse(
        f"{m.group(0).strip()!r} does not say which day; name the day and the time",
        "next monday at 9am",
    )


def _h_noop(m: re.Match[str], s: _Spec) -> None:
    return None


def _h_zone(m: re.Match[str], s: _Spec) -> None:
    if s.zone is not None:
        raise _refuse("the phrase names two time zones")
    name = m.group("z")
    s.zone = "UTC" if name in ("utc", "gmt", "z") else validate_timezone(name)


# (pattern, handler) in the order they are tried: the first that matches the head of
# what is left reads it ("the 15th of december" and "the 1st of next month" must meet
# their clauses before "the 15th", a day of the month, does).
_CLAUSES: tuple[tuple[str, Handler], ...] = (
    (r"^(?:,|and\b|then\b)\s*", _h_noop),
    (
        rf"^in\s+(?P<n>{_NUM})\s+(?P<half>and\s+a\s+half\s+)?(?P<u>{_UNIT})"
        r"(?P<half2>\s+and\s+a\s+half)?\b",
        _h_relative,
    ),
    (
        rf"^(?P<n>{_NUM})\s+(?P<half>and\s+a\s+half\s+)?(?P<u>{_UNIT})(?P<half2>)"
        r"\s+from\s+now\b",
        _h_relative,
    ),
    (
        r"^in\s+(?:an?\s+)?(?:half(?:\s+an?)?|(?P<q>quarter\s+of\s+an?))\s+hour\b",
        _h_half_hour,
    ),
    (r"^(?:the\s+)?day\s+after\s+tomorrow\b", _h_after_tomorrow),
    (r"^(?P<w>today|tonight|tomorrow|yesterday)\b", _h_named_day),
    (r"^this\s+(?P<p>morning|afternoon|evening)\b", _h_this_part),
    (r"^(?:in\s+the\s+)?(?P<p>morning|afternoon|evening)\b", _h_part),
    (r"^(?:at\s+)?(?P<p>night)\b", _h_part),
    (r"^next\s+(?:week|month|year)\b", _h_vague),
    (
        r"^(?:on\s+)?(?:the\s+)?(?P<d>first|1st|\d{1,2}(?:st|nd|rd|th)|last)"
        r"(?:\s+day)?\s+of\s+next\s+month\b",
        _h_next_month,
    ),
    (
        rf"^(?:on\s+)?(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?"
        rf"(?P<m>{_MONTH})\b(?:\s*,?\s+(?P<y>\d{{4}})\b)?",
        _h_date,
    ),
    (
        rf"^(?:on\s+)?(?P<m>{_MONTH})\s+(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b"
        r"(?:\s*,?\s+(?P<y>\d{4})\b)?",
        _h_date,
    ),
    (r"^(?:on\s+)?(?P<iso>\d{4}-\d{2}-\d{2})\b", _h_iso_date),
    (
        rf"^(?:on\s+)?the\s+(?P<d>{_ORD})(?:\s+of\s+(?:the|this)\s+month)?(?=\s|,|$)",
        _h_dom,
    ),
    (
        rf"^(?:on\s+)?(?:(?P<mod>next|this|coming)\s+)?(?P<d>{_DAY})\b",
        _h_weekday,
    ),
    (
        r"^(?:at\s+)?(?P<q>half\s+past|quarter\s+past|quarter\s+to)\s+"
        r"(?P<h>\d{1,2}(?:\s*(?:am|pm))?|noon|midnight)\b",
        _h_half_past,
    ),
    (rf"^(?:at\s+)?(?P<t>{_TIME})(?![\w:])", _h_time),
    (r"^at\s+(?P<t>\d{1,2})(?![\w:.])", _h_time),
    (r"^(?:in\s+)?(?P<z>utc|gmt|z)\b(?:\s+time)?", _h_zone),
    (r"^(?:in\s+)?(?P<z>[a-z]+(?:/[a-z0-9_+\-]+)+)(?=\s|,|$)", _h_zone),
)


@lru_cache(maxsize=1)
def _clauses() -> list[tuple[re.Pattern[str], Handler]]:
    return [(re.compile(pattern), handler) for pattern, handler in _CLAUSES]


def _normalise(text: str) -> str:
    text = " ".join(text.lower().split()).rstrip(".!")
    text = re.sub(r"\b([ap])\.m\.?", r"\1m", text)
    text = re.sub(r"\b(\d{1,2})\s*o'?clock\b", r"\1:00", text)
    return re.sub(r"\s*,\s*", " , ", text).strip()


def _refuse_abbreviations(source: str) -> None:
    """'9am EST': refused, proposing the phrase with a city zone instead."""
    for word in re.findall(r"[a-z0-9]+", source.lower()):
        refusal = abbreviation_refusal(word)
        if refusal is not None and refusal.suggestion is not None:
            fixed = re.sub(rf"\b{word}\b", refusal.suggestion, source, flags=re.IGNORECASE)
            raise InvalidExpression(refusal.message, suggestion=fixed)


def _read(text: str, source: str) -> _Spec:
    _refuse_abbreviations(source)
    spec = _Spec()
    rest = _normalise(text)
    while rest:
        for pattern, handler in _clauses():
            match = pattern.match(rest)
            if match is not None and match.end() > 0:
                handler(match, spec)
                rest = rest[match.end() :].strip()
                break
        else:
            raise not_understood(source, rest)
    return spec


# ---- resolution ------------------------------------------------------------------------


def _check(spec: _Spec, source: str) -> None:
    if spec.offset_seconds is not None:
        if spec.times_given or spec.days_given > 1 or spec.part:
            raise _refuse(
                f"{source!r} mixes a relative time ('in ...') with a day or time of day",
                "in 2 hours",
            )
        return
    if spec.times_given > 1 or spec.days_given > 1:
        raise _refuse(
            f"{source!r} names more than one time or day, but a one-off runs once; for a "
            "repeating schedule start the phrase with 'every'",
            f"every {source}",
        )
    if spec.time is None and not (spec.part == "night" and spec.day == ("offset", (0,))):
        raise _refuse(
            f"{source!r} does not say at what time; nothing is guessed",
            f"{source} at 9am" if spec.part in (None, "morning") else None,
        )


def _wall_time(spec: _Spec, source: str) -> tuple[int, int]:
    if spec.time is None:
        return 20, 0  # "tonight" alone (documented)
    if spec.meridiem:
        if spec.part == "morning" and spec.time[0] >= 12:
            raise _refuse(f"{source!r}: the time is not in the morning")
        if spec.part in ("afternoon", "evening") and spec.time[0] < 12:
            raise _refuse(f"{source!r}: the time is not in the {spec.part}")
        return spec.time
    return with_part_of_day(spec.time, spec.part, source)


def _at(day: date, time: tuple[int, int]) -> datetime:
    return datetime(day.year, day.month, day.day, *time)


def _date(year: int, month: int, day: int, source: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _refuse(
            f"{source!r}: {calendar.month_name[month]} {day} is not a real date"
        ) from None


def _next_date(month: int, day: int, time: tuple[int, int], now: datetime, source: str) -> date:
    for year in range(now.year, now.year + 9):
        if day <= calendar.monthrange(year, month)[1] and _at(date(year, month, day), time) > now:
            return date(year, month, day)
    raise _refuse(f"{source!r}: {calendar.month_name[month]} {day} is not a real date")


def _next_dom(day: int, time: tuple[int, int], now: datetime, source: str) -> date:
    if not 1 <= day <= 31:
        raise _refuse(f"{source!r}: day {day} of the month is out of range (1-31)")
    year, month = now.year, now.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1] and _at(date(year, month, day), time) > now:
            return date(year, month, day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise _refuse(f"{source!r}: no month has day {day}")  # pragma: no cover - 1..31 exists


def _day(spec: _Spec, time: tuple[int, int], now: datetime, source: str) -> date:
    today = now.date()
    if spec.day is None:
        return today if _at(today, time) > now else today + timedelta(days=1)
    kind, values = spec.day
    if kind == "offset":
        return today + timedelta(days=values[0])
    if kind == "weekday":
        weekday, strict = values
        ahead = (weekday - today.weekday()) % 7
        if ahead == 0 and (strict or _at(today, time) <= now):
            ahead = 7
        return today + timedelta(days=ahead)
    if kind == "date":
        year, month, day = values
        if year:
            return _date(year, month, day, source)
        return _next_date(month, day, time, now, source)
    if kind == "dom":
        return _next_dom(values[0], time, now, source)
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    last = calendar.monthrange(year, month)[1]
    day = values[0] or last
    if day > last:
        raise _refuse(f"{source!r}: next month has no day {day}")
    return date(year, month, day)


@dataclass(frozen=True)
class Reading:
    """A phrase read: a wall time in ``zone``, or an exact offset from now."""

    wall: datetime | None
    zone: str
    offset: timedelta | None


def read_one_off(text: str, now: datetime, timezone: str, source: str) -> Reading:
    """Read ``text`` relative to ``now`` (aware) in ``timezone``, or in the zone the
    phrase names ("tomorrow at 9am UTC")."""
    spec = _read(text, source)
    _check(spec, source)
    zone_name = spec.zone or timezone
    if spec.offset_seconds is not None:
        if spec.zone is not None:
            raise _refuse(f"{source!r}: a relative time needs no time zone", "in 2 hours")
        if spec.offset_seconds <= 0:
            raise _refuse(f"{source!r} is now, not in the future", "in 1 minute")
        return Reading(None, zone_name, timedelta(seconds=spec.offset_seconds))
    local_now = now.astimezone(zone(zone_name)).replace(tzinfo=None, microsecond=0)
    time = _wall_time(spec, source)
    return Reading(_at(_day(spec, time, local_now, source), time), zone_name, None)
