"""Recurring schedules in plain English -> EventBridge cron or rate.

A small grammar of our own (date parsers know single dates, not recurrences). The
phrase is a sequence of clauses in any order, each recognised by a regex at the head of
what is left; anything left over is a 422 naming the words not understood:

* frequency: ``every N minutes|hours|days|weeks|months``, ``every 3rd day``,
  ``every minute|hour|day|week|month|quarter|year``, ``hourly``, ``daily``, ``nightly``,
  ``weekly``, ``monthly``, ``quarterly``, ``yearly``, ``annually``, ``everyday``,
  ``twice a day``, ``once a week``, ``every morning|afternoon|evening|night``...
* days: ``every monday and friday``, ``on weekdays``, ``every weekend``, ``mondays``,
  ``monday to friday``, ``on the 1st and 15th``, ``every 15th of the month``,
  ``the last day of the month``, ``the first monday of the month``,
  ``last friday of the month``, ``on jan 1``, ``in january and july``
* times: ``at 9am``, ``at 9:30am and 5pm``, ``at 21:00``, ``at noon``, ``at midnight``,
  ``at :15`` / ``at 15 past`` / ``at quarter past`` (minute of the hour),
  ``between 9am and 5pm`` (hour window, end excluded), ``half past 9``, and a part of
  the day that moves an hour without am/pm into it (``every evening at 6`` = 18:00)

Choices (documented in docs/expressions.md): intervals that divide the hour (minutes)
or the day (hours) become clock-aligned crons (``every 15 minutes`` fires at :00, :15,
:30, :45); other intervals become ``rate()`` from the schedule's start. ``every week``
is Monday 00:00, ``every month`` the 1st at 00:00, ``every year`` January 1st 00:00,
a day without a time runs at 00:00, ``twice a day`` is 00:00 and 12:00.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from jobscheduler.errors import InvalidExpression
from jobscheduler.expressions.english_one_off import parse_clock, with_part_of_day
from jobscheduler.expressions.eventbridge import CronSpec, DomSpecial, DowSpecial, RateSpec
from jobscheduler.expressions.vocabulary import not_understood
from jobscheduler.expressions.zones import abbreviation_refusal

_ALL_YEARS = frozenset(range(1970, 2200))
_ALL_DAYS = frozenset(range(1, 32))
_ALL_MONTHS = frozenset(range(1, 13))
_EXAMPLES = "e.g. 'every 5 minutes', 'every day at 9am', 'every monday and friday at 9am and 5pm', 'every month on the 1st at noon'"

_DAYS = {
    "sunday": 1,
    "sun": 1,
    "monday": 2,
    "mon": 2,
    "tuesday": 3,
    "tues": 3,
    "tue": 3,
    "wednesday": 4,
    "wed": 4,
    "thursday": 5,
    "thurs": 5,
    "thur": 5,
    "thu": 5,
    "friday": 6,
    "fri": 6,
    "saturday": 7,
    "sat": 7,
}
_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty-five": 45,
    "forty five": 45,
    "sixty": 60,
    "other": 2,
}
_NTH = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
    "5th": 5,
}

_DAY = r"(?:" + "|".join(sorted(_DAYS, key=len, reverse=True)) + r")s?"
_MONTH = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")"
_SEP = r"\s*(?:,\s*and|,|and|&|or|\+)\s*"
_ORD = r"\d{1,2}(?:st|nd|rd|th)?"
_TIME = r"(?:\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)|\d{1,2}:\d{2}|noon|midday|midnight)"
_TIME_OR_HOUR = r"(?:" + _TIME + r"|\d{1,2})"
_OF_MONTH = r"(?:\s+(?:day\s+)?of\s+(?:the|every|each)\s+month)"

_RECURRING_HINT = re.compile(
    r"\b(every|each|everyday|daily|nightly|hourly|weekly|monthly|quarterly|yearly|annually|"
    r"twice|once|weekdays|weekends|(?:mon|tues|wednes|thurs|fri|satur|sun)days|"
    r"(?:of|in)\s+(?:the|each|every|a)\s+month)\b"
    # Two days of the month ("on the 1st and 15th"): a one-off runs once, so it repeats.
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s*(?:,|and|&)\s*(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b"
)


def is_recurring_phrase(lowered: str) -> bool:
    return _RECURRING_HINT.search(lowered) is not None


@dataclass
class _State:
    interval: tuple[int, str] | None = None
    every_day: bool = False  # "every day"/"daily" said in so many words
    part: str | None = None  # morning, afternoon, evening, night
    clock: list[tuple[tuple[int, int], bool]] = field(default_factory=list)  # (time, am/pm?)
    times: list[tuple[int, int]] = field(default_factory=list)
    minute_of_hour: int | None = None
    window: tuple[int, int] | None = None
    dows: set[int] = field(default_factory=set)
    dow_special: DowSpecial | None = None
    doms: set[int] = field(default_factory=set)
    dom_special: DomSpecial | None = None
    months: set[int] = field(default_factory=set)


def _refuse(message: str, suggestion: str | None = None) -> InvalidExpression:
    return InvalidExpression(message, suggestion=suggestion)


def parse_time(text: str) -> tuple[int, int]:
    text = text.strip()
    if text == "noon" or text == "midday":
        return 12, 0
    if text == "midnight":
        return 0, 0
    match = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?", text)
    if match is None:
        raise _refuse(f"{text!r} is not a time (e.g. 9am, 9:30am, 21:00, noon or midnight)")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = match.group(3)
    if minute > 59:
        raise _refuse(f"{text!r} is not a time: minute {minute} is out of range (0-59)")
    if meridiem is not None:
        if not 1 <= hour <= 12:
            raise _refuse(f"{text!r} is not a time: with am/pm the hour must be 1-12")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif hour > 23:
        raise _refuse(f"{text!r} is not a time: hour {hour} is out of range (0-23)")
    return hour, minute


def _days_list(text: str) -> set[int]:
    days: set[int] = set()
    for part in re.split(_SEP, text.strip()):
        span = re.fullmatch(rf"({_DAY})\s*(?:-|to|through|thru|until)\s*({_DAY})", part)
        if span is not None:
            first, last = _day(span.group(1)), _day(span.group(2))
            if first > last:
                raise _refuse(f"day range {part!r} runs backwards", "monday to friday")
            days.update(range(first, last + 1))
        elif part:
            days.add(_day(part))
    return days


def _day(text: str) -> int:
    text = text.strip()
    if text in _DAYS:
        return _DAYS[text]
    if text.endswith("s") and text[:-1] in _DAYS:
        return _DAYS[text[:-1]]
    raise _refuse(f"{text!r} is not a day of the week")


def _ordinal(text: str) -> int:
    value = int(re.sub(r"\D", "", text))
    if not 1 <= value <= 31:
        raise _refuse(f"day of the month {value} is out of range (1-31)")
    return value


Handler = Callable[[re.Match[str], _State], None]


def _set_interval(state: _State, value: int, unit: str) -> None:
    if state.interval is not None and state.interval != (value, unit):
        raise _refuse("the phrase gives two different frequencies", _EXAMPLES)
    state.interval = (value, unit)


_ORDINAL_COUNT = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}


def _h_every_n(m: re.Match[str], s: _State) -> None:
    number = re.sub(r"(?<=\d)(?:st|nd|rd|th)$", "", m.group("n"))
    if number.isdigit():
        if len(number) > 7:
            raise _refuse(f"{m.group(0).strip()!r}: the interval is too large")
        value = int(number)
    else:
        value = _NUMBER_WORDS.get(number) or _ORDINAL_COUNT[number]
    unit = m.group("unit")
    unit = {"min": "minute", "mins": "minute", "hr": "hour", "hrs": "hour", "sec": "second"}.get(
        unit, unit
    )
    _set_interval(s, value, unit.rstrip("s") if unit != "s" else unit)


def _h_adverb(m: re.Match[str], s: _State) -> None:
    word = m.group(0).strip()
    s.every_day = s.every_day or word == "daily"
    if word == "nightly":
        s.part = "night"
    unit = {
        "hourly": "hour",
        "daily": "day",
        "nightly": "day",
        "weekly": "week",
        "monthly": "month",
        "yearly": "year",
        "annually": "year",
    }[word]
    _set_interval(s, 1, unit)


def _h_per(m: re.Match[str], s: _State) -> None:
    count = {"once": 1, "twice": 2}[m.group("count")]
    unit = m.group("unit")
    unit = {
        "daily": "day",
        "hourly": "hour",
        "weekly": "week",
        "monthly": "month",
        "yearly": "year",
    }.get(unit, unit)
    if count == 1:
        _set_interval(s, 1, unit)
    elif unit == "day":
        _set_interval(s, 1, "day")
        s.clock = s.clock or [((0, 0), True), ((12, 0), True)]  # documented: 00:00 and 12:00
    elif unit == "hour":
        _set_interval(s, 30, "minute")
    else:
        # Which days is a choice for the person; each proposal does run twice per unit.
        proposal = {
            "week": "every monday and thursday",
            "month": "every month on the 1st and 15th",
            "year": "every 6 months",
        }[unit]
        raise _refuse(
            f"{m.group(0).strip()!r} does not say which days; name them, e.g. {proposal!r}",
            proposal,
        )


def _h_weekdays(m: re.Match[str], s: _State) -> None:
    word = m.group("which")
    s.dows.update(
        {2, 3, 4, 5, 6}
        if word.startswith(("week", "business", "working")) and "end" not in word
        else {1, 7}
    )


def _h_days(m: re.Match[str], s: _State) -> None:
    s.dows.update(_days_list(m.group("days")))


def _h_nth_dow(m: re.Match[str], s: _State) -> None:
    day = _day(m.group("day"))
    nth = m.group("nth")
    s.dow_special = ("L", day, 0) if nth == "last" else ("#", day, _NTH[nth])


def _h_last_day(m: re.Match[str], s: _State) -> None:
    s.dom_special = ("LW", 0) if m.group("week") else ("L", 0)


def _h_doms(m: re.Match[str], s: _State) -> None:
    for part in re.split(_SEP, m.group("doms")):
        part = part.replace("the", "").strip()
        if part:
            s.doms.add(_ordinal(part))


def _h_month_day(m: re.Match[str], s: _State) -> None:
    s.months.add(_MONTHS[m.group("month")])
    s.doms.add(_ordinal(m.group("day")))
    if s.interval is None:
        _set_interval(s, 1, "year")


def _h_months(m: re.Match[str], s: _State) -> None:
    for part in re.split(_SEP, m.group("months")):
        if part.strip():
            s.months.add(_MONTHS[part.strip()])


def _h_times(m: re.Match[str], s: _State) -> None:
    for part in re.split(_SEP, m.group("times")):
        part = re.sub(r"^at\s+", "", part.strip())
        if part:
            s.clock.append(parse_clock(part))


def _h_half_past(m: re.Match[str], s: _State) -> None:
    (hour, _), meridiem = parse_clock(m.group("h"))
    minute = {"half past": 30, "quarter past": 15, "quarter to": 45}[m.group("q")]
    if m.group("q") == "quarter to":
        hour = (hour - 1) % 24
    s.clock.append(((hour, minute), meridiem))


def _h_part(m: re.Match[str], s: _State) -> None:
    part = m.group("p")
    if s.part is not None and s.part != part:
        raise _refuse(f"the phrase names two parts of the day ({s.part}, {part})")
    s.part = part
    if m.group("every"):
        _set_interval(s, 1, "day")


def _h_every_unit(m: re.Match[str], s: _State) -> None:
    unit = m.group("unit")
    if unit == "night":
        s.part, unit = "night", "day"
    s.every_day = s.every_day or unit == "day"
    _set_interval(s, 1, unit)


def _h_minute_of_hour(m: re.Match[str], s: _State) -> None:
    if m.group("quarter"):
        minute = {"quarter past": 15, "half past": 30, "quarter to": 45}[m.group("quarter")]
    elif m.group("top"):
        minute = 0 if "half" not in m.group("top") else 30
    else:
        minute = int(m.group("minute") or m.group("minute2"))
    if minute > 59:
        raise _refuse(f"minute {minute} is out of range (0-59)")
    s.minute_of_hour = minute
    if s.interval is None:
        _set_interval(s, 1, "hour")


def _h_window(m: re.Match[str], s: _State) -> None:
    start, end = parse_time(m.group("start")), parse_time(m.group("end"))
    if start[1] or end[1]:
        raise _refuse(
            "a 'between' window must start and end on the hour",
            f"between {start[0]:02d}:00 and {end[0] + (1 if end[1] else 0):02d}:00",
        )
    if start[0] == end[0]:
        raise _refuse("a 'between' window must not start and end at the same time")
    s.window = (start[0], end[0])


def _h_noop(m: re.Match[str], s: _State) -> None:
    return None


def _h_of_month(m: re.Match[str], s: _State) -> None:
    if s.interval is None:
        _set_interval(s, 1, "month")


def _h_week_parity(m: re.Match[str], s: _State) -> None:
    raise _refuse(
        f"{m.group(0)!r}: a cron cannot skip weeks (it has no week parity); use "
        "'rate(14 days)' with start_at at the first run, or say 'of the month' for the "
        "n-th weekday of each month",
    )


_DAY_HANDLERS: frozenset[Handler] = frozenset(
    {_h_days, _h_weekdays, _h_doms, _h_nth_dow, _h_last_day, _h_month_day}
)
_TIME_HANDLERS: frozenset[Handler] = frozenset({_h_times, _h_half_past})


@lru_cache(maxsize=1)
def _clause_table() -> list[tuple[re.Pattern[str], Handler]]:
    # Compiled on first use: the patterns take tens of ms to compile and the cron-only
    # hot path (executor, Scheduler emulator) never needs them.
    return [
        (re.compile(r"^(?:\s*(?:,|and|&|then|;|\+)\s*)+"), _h_noop),
        (
            re.compile(
                rf"^(?:every|each)\s+(?:other|second|2nd|\d+)\s+(?:weeks?\s+on\s+)?{_DAY}\b(?!{_OF_MONTH})"
            ),
            _h_week_parity,
        ),
        (re.compile(r"^(?:starting|beginning)\s+(?:now|today)\b"), _h_noop),
        (
            re.compile(
                r"^(?:every|each)\s+(?P<n>\d+(?:st|nd|rd|th)?|second|third|fourth|fifth|sixth|"
                + "|".join(_NUMBER_WORDS)
                + r")\s+"
                r"(?P<unit>minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|seconds?|secs?|s)\b"
            ),
            _h_every_n,
        ),
        (
            re.compile(
                r"^(?:every|each)\s+(?:the\s+)?(?P<nth>first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)\s+"
                rf"(?P<day>{_DAY}){_OF_MONTH}?"
            ),
            _h_nth_dow,
        ),
        (
            re.compile(
                r"^(?:on\s+)?(?:the\s+)?(?P<nth>first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)\s+"
                rf"(?P<day>{_DAY})(?:{_OF_MONTH}|\b)"
            ),
            _h_nth_dow,
        ),
        (
            re.compile(
                rf"^(?:(?:every|each|on)\s+)?(?:the\s+)?last\s+(?P<week>week|business\s+|working\s+)?day{_OF_MONTH}?"
            ),
            _h_last_day,
        ),
        (
            re.compile(
                r"^(?:every|each)\s+(?P<unit>minute|hour|day|night|week|month|year|second)\b"
            ),
            _h_every_unit,
        ),
        (re.compile(r"^(?:hourly|daily|nightly|weekly|monthly|yearly|annually)\b"), _h_adverb),
        (
            re.compile(
                r"^(?P<count>once|twice)\s+(?:(?:a|an|per|every|each)\s+)?(?P<unit>day|hour|week|month|year|daily|hourly|weekly|monthly|yearly)\b"
            ),
            _h_per,
        ),
        (
            re.compile(
                r"^(?:(?:every|each|on)\s+)?(?:the\s+)?(?P<which>weekdays?|weekends?|business\s+days?|working\s+days?)\b"
            ),
            _h_weekdays,
        ),
        (
            re.compile(
                rf"^(?:(?:every|each|on)\s+)?(?P<days>{_DAY}(?:\s*(?:-|to|through|thru|until)\s*{_DAY})?"
                rf"(?:{_SEP}(?:every\s+)?{_DAY}(?:\s*(?:-|to|through|thru|until)\s*{_DAY})?)*)\b"
            ),
            _h_days,
        ),
        (
            re.compile(rf"^(?:on\s+)?(?:the\s+)?(?P<day>{_ORD})\s+(?:of\s+)?(?P<month>{_MONTH})\b"),
            _h_month_day,
        ),
        (
            re.compile(
                rf"^(?:(?:every|each|on)\s+)?(?P<month>{_MONTH})\s+(?:the\s+)?(?P<day>{_ORD})\b"
            ),
            _h_month_day,
        ),
        (
            re.compile(
                rf"^(?:(?:every|each|on)\s+)?(?:the\s+)?(?:days?\s+)?(?P<doms>{_ORD}(?:{_SEP}(?:the\s+)?{_ORD})*){_OF_MONTH}?(?=\s|,|$)"
            ),
            _h_doms,
        ),
        (
            re.compile(rf"^(?:in|during|only\s+in)\s+(?P<months>{_MONTH}(?:{_SEP}{_MONTH})*)\b"),
            _h_months,
        ),
        (
            re.compile(
                rf"^(?:between|from)\s+(?P<start>{_TIME_OR_HOUR})\s+(?:and|to|until|till|-)\s+(?P<end>{_TIME_OR_HOUR})\b"
            ),
            _h_window,
        ),
        (
            re.compile(
                r"^(?:at\s+)?(?P<q>half past|quarter past|quarter to)\s+"
                r"(?P<h>\d{1,2}(?:\s*(?:am|pm))?|noon|midnight)(?=\s|,|$)(?!\s+(?:minutes?\b|past\b))"
            ),
            _h_half_past,
        ),
        (
            re.compile(
                r"^(?:at\s+)?(?:(?P<quarter>quarter past|half past|quarter to)|"
                r"(?P<top>(?:on|at)\s+the\s+(?:top\s+of\s+the\s+hour|hour|half\s+hour))|"
                r":(?P<minute>\d{2})|(?P<minute2>\d{1,2})\s+(?:minutes?\s+)?past)(?:\s+(?:the|every|each)\s+hour)?\b"
            ),
            _h_minute_of_hour,
        ),
        (
            re.compile(
                rf"^(?:at\s+)(?P<times>{_TIME_OR_HOUR}(?:{_SEP}(?:at\s+)?{_TIME_OR_HOUR})*)(?=\s|,|$)"
            ),
            _h_times,
        ),
        (re.compile(rf"^(?P<times>{_TIME}(?:{_SEP}{_TIME})*)(?=\s|,|$)"), _h_times),
        (re.compile(rf"^(?:of\s+)?(?:the|every|each)\s+month\b|^{_OF_MONTH.strip()}"), _h_of_month),
        (
            re.compile(
                r"^(?:(?P<every>every|each)\s+|in\s+the\s+|at\s+)?(?P<p>morning|afternoon|evening)\b"
            ),
            _h_part,
        ),
        (re.compile(r"^(?:at\s+)?(?P<p>night)\b(?P<every>)"), _h_part),
    ]


def _normalise(text: str) -> str:
    text = text.strip().rstrip(".!")
    text = re.sub(r"\b([ap])\.m\.?", r"\1m", text)
    text = re.sub(r"\beveryday\b", "every day", text)
    text = re.sub(
        r"\b(every|each)\s+(?:single\s+)?(?:half\s+(?:an\s+)?hour|30\s+mins?)\b",
        r"\1 30 minutes",
        text,
    )
    text = re.sub(r"\b(every|each)\s+quarter\s+(?:of\s+an\s+)?hour\b", r"\1 15 minutes", text)
    # Quarters of the year: the 1st of January, April, July and October.
    text = re.sub(r"\bquarterly\b", "every 3 months", text)
    text = re.sub(r"\b(every|each)\s+quarter\b", r"\1 3 months", text)
    text = re.sub(
        r"\b(every|each)\s+(\d{1,2})\s+quarters\b",
        lambda m: f"{m.group(1)} {3 * int(m.group(2))} months",
        text,
    )
    text = re.sub(r"\b(\d{1,2})\s*o'?clock\b", r"\1:00", text)
    text = re.sub(r"^(?:run|repeat|runs|repeats|do it)\s+", "", text)
    return " ".join(text.split())


def _clauses(text: str, source: str) -> _State:
    state = _State()
    rest = text
    order: list[str] = []  # "d" for a days clause, "t" for a times clause, in order
    while rest:
        for pattern, handler in _clause_table():
            match = pattern.match(rest)
            if match is not None and match.end() > 0:
                handler(match, state)
                kind = "d" if handler in _DAY_HANDLERS else "t" if handler in _TIME_HANDLERS else ""
                if kind and (not order or order[-1] != kind):
                    order.append(kind)
                rest = rest[match.end() :].lstrip()
                break
        else:
            raise not_understood(source, rest)
    if len(order) > 2:
        # "monday at 8am and tuesday at 9pm": a cron would run every day at every time.
        raise _refuse(
            f"{source!r} pairs different times with different days; one schedule runs "
            "every time it names on every day it names, so use one schedule per pair",
        )
    return state


def _time_specs(
    times: list[tuple[int, int]],
) -> list[tuple[frozenset[int], frozenset[int]]]:
    """(minutes, hours) pairs whose union is exactly ``times`` (as few crons as we can)."""
    unique = sorted(set(times))
    hours = frozenset(h for h, _ in unique)
    minutes = frozenset(m for _, m in unique)
    if len(hours) * len(minutes) == len(unique):
        return [(minutes, hours)]
    by_minute: dict[int, set[int]] = {}
    by_hour: dict[int, set[int]] = {}
    for h, m in unique:
        by_minute.setdefault(m, set()).add(h)
        by_hour.setdefault(h, set()).add(m)
    if len(by_minute) <= len(by_hour):
        return [(frozenset({m}), frozenset(hs)) for m, hs in sorted(by_minute.items())]
    return [(frozenset(ms), frozenset({h})) for h, ms in sorted(by_hour.items())]


def _window_hours(window: tuple[int, int], step: int = 1) -> frozenset[int]:
    start, end = window
    span = (end - start) % 24
    return frozenset((start + i) % 24 for i in range(0, span, step))


def parse_recurring(lowered: str, source: str) -> list[CronSpec] | RateSpec:
    """Compile a recurring English phrase (already lower-cased)."""
    _refuse_zone_words(lowered, source)
    s = _clauses(_normalise(lowered), source)
    _finish_times(s, source)
    _check_days(s, source)
    value, unit = _interval(s, source)
    if unit == "minute":
        timed = _minute_times(s, value, source)
    elif unit == "hour":
        timed = _hour_times(s, value, source)
    else:
        timed = _day_times(s, value, unit, source)
    if isinstance(timed, RateSpec):
        return timed
    months = _months(s, value, unit)
    _default_days(s, unit, source)
    dom, dow = _day_fields(s)
    return [CronSpec(mins, hrs, dom, months, dow, _ALL_YEARS) for mins, hrs in timed]


def _refuse_zone_words(lowered: str, source: str) -> None:
    """A recurring phrase runs in the schedule's timezone field; "9am EST" is refused
    with the phrase without the abbreviation (and the city zone to put in the field)."""
    for word in re.findall(r"[a-z0-9]+", lowered):
        refusal = abbreviation_refusal(word)
        if refusal is not None:
            rest = " ".join(re.sub(rf"\b{word}\b", " ", source, flags=re.IGNORECASE).split())
            raise _refuse(
                f"{refusal.message}; a repeating schedule takes its zone from the timezone "
                f"field: set it to {refusal.suggestion!r} and drop {word!r} from the phrase",
                rest,
            )


def _finish_times(s: _State, source: str) -> None:
    """Times of day, read inside the part of the day ("every evening at 6" = 18:00)."""
    for time, meridiem in s.clock:
        if meridiem:
            if s.part in ("afternoon", "evening") and time[0] < 12:
                raise _refuse(f"{source!r}: {time[0]:02d}:{time[1]:02d} is not in the {s.part}")
            if s.part == "morning" and time[0] >= 12:
                raise _refuse(f"{source!r}: {time[0]:02d}:{time[1]:02d} is not in the morning")
            s.times.append(time)
        else:
            s.times.append(with_part_of_day(time, s.part, source))
    if s.part in ("morning", "afternoon", "evening") and not s.times:
        hour = {"morning": "7am", "afternoon": "3pm", "evening": "6pm"}[s.part]
        raise _refuse(
            f"{source!r} does not say at what time in the {s.part}; nothing is guessed",
            f"every day at {hour}",
        )


def _check_days(s: _State, source: str) -> None:
    has_days = bool(s.dows or s.doms or s.dow_special or s.dom_special)
    if (s.dows and (s.doms or s.dom_special or s.dow_special)) or (s.doms and s.dom_special):
        raise _refuse(
            f"{source!r} mixes days of the week with days of the month; use two schedules",
        )
    if s.every_day and has_days:
        raise _refuse(
            f"{source!r} says both 'every day' and particular days; say one of them "
            "(for two different times, use two schedules)",
        )
    if s.dom_special == ("LW", 0):
        raise _refuse(
            f"{source!r}: the last weekday of the month needs cron 'LW', which is not in "
            "EventBridge Scheduler's documented cron syntax, so it is not accepted; "
            "'last day of the month' and 'last friday of the month' are",
        )


def _interval(s: _State, source: str) -> tuple[int, str]:
    value, unit = s.interval if s.interval is not None else (1, "")
    if unit == "second":
        raise _refuse(
            f"{source!r}: sub-minute schedules are not supported; EventBridge Scheduler runs "
            "at most once a minute",
            "every minute",
        )
    if value <= 0:
        raise _refuse(f"{source!r}: an interval must be at least 1", "every 1 minute")
    restricted = _restricted(s)
    if unit == "minute" and value % 60 == 0 and not s.times:
        value, unit = value // 60, "hour"
    if unit == "hour" and value % 24 == 0 and not restricted and s.minute_of_hour is None:
        value, unit = value // 24, "day"
    if unit in ("minute", "hour") and s.times:
        raise _refuse(
            f"{source!r} gives both an interval and times of day; use 'between' for a "
            "window or drop the interval",
            "every 30 minutes between 9am and 5pm",
        )
    if unit == "" and not _has_days(s) and not s.times:
        raise _refuse(f"could not tell how often {source!r} runs; e.g. {_EXAMPLES}")
    return value, unit


def _has_days(s: _State) -> bool:
    return bool(s.dows or s.doms or s.dow_special or s.dom_special)


def _restricted(s: _State) -> bool:
    return _has_days(s) or bool(s.months) or s.window is not None


TimePairs = list[tuple[frozenset[int], frozenset[int]]]


def _minute_times(s: _State, value: int, source: str) -> TimePairs | RateSpec:
    if s.minute_of_hour is not None:
        raise _refuse(f"{source!r}: a minute past the hour needs an hourly schedule")
    if 60 % value != 0:
        if not _restricted(s):
            return RateSpec(value, "minute")
        raise _refuse(
            f"{source!r}: every {value} minutes does not divide the hour, so it cannot "
            "be combined with days or a time window (every 5, 10, 15, 20 or 30 minutes can)",
        )
    hours = _window_hours(s.window) if s.window else frozenset(range(24))
    return [(frozenset(range(0, 60, value)), hours)]


def _hour_times(s: _State, value: int, source: str) -> TimePairs | RateSpec:
    minute = s.minute_of_hour or 0
    if s.window is not None:
        hours = _window_hours(s.window, value)
    elif 24 % value == 0:
        hours = frozenset(range(0, 24, value))
    elif not _restricted(s) and s.minute_of_hour is None:
        return RateSpec(value, "hour")
    else:
        raise _refuse(
            f"{source!r}: every {value} hours does not divide the day, so it cannot be "
            "combined with days or a minute past the hour (every 2, 3, 4, 6, 8 or 12 "
            "hours can)",
        )
    return [(frozenset({minute}), hours)]


def _day_times(s: _State, value: int, unit: str, source: str) -> TimePairs | RateSpec:
    if s.window is not None:
        raise _refuse(
            f"{source!r}: a 'between' window needs a minute or hour interval",
            "every 30 minutes between 9am and 5pm",
        )
    if s.minute_of_hour is not None:
        raise _refuse(f"{source!r}: a minute past the hour needs an hourly schedule")
    if value > 1 and not (unit == "month" and not s.months):
        if unit in ("day", "week") and not (s.times or _has_days(s) or s.months):
            return RateSpec(value * (7 if unit == "week" else 1), "day")
        if unit == "year":
            raise _refuse(
                f"{source!r}: every {value} years cannot be written as a cron without "
                "choosing the first year; write the years in cron(), e.g. "
                "cron(0 0 1 1 ? 2027/2)",
            )
        days = value * (7 if unit == "week" else 1)
        raise _refuse(
            f"{source!r}: every {value} {unit}s at set times or days cannot be expressed as "
            f"a cron; use 'rate({days} days)' with start_at at the first run",
        )
    if value > 12 and unit == "month":
        raise _refuse(f"{source!r}: every {value} months does not fit in a year; use 'yearly'")
    return _time_specs(s.times or [(0, 0)])


def _months(s: _State, value: int, unit: str) -> frozenset[int]:
    if s.months:
        return frozenset(s.months)
    if unit == "month" and value > 1:
        return frozenset(range(1, 13, value))
    if unit == "year":
        return frozenset({1})
    return _ALL_MONTHS


def _default_days(s: _State, unit: str, source: str) -> None:
    """Documented defaults: a week starts on Monday, a month/year on the 1st."""
    if _has_days(s):
        return
    if unit == "week":
        s.dows = {2}
    elif unit in ("month", "year"):
        s.doms = {1}


def _day_fields(
    s: _State,
) -> tuple[frozenset[int] | DomSpecial | None, frozenset[int] | DowSpecial | None]:
    if s.dows:
        return None, frozenset(s.dows)
    if s.dow_special is not None:
        return None, s.dow_special
    if s.dom_special is not None:
        return s.dom_special, None
    if s.doms:
        return frozenset(s.doms), None
    return _ALL_DAYS, None
