"""Times of day: ``at 9am``, ``at 9:30am and 5pm``, ``half past 9``, ``at :15``,
``between 9am and 5pm`` and the parts of the day (``every evening``)."""

from __future__ import annotations

import re

from jobscheduler.expressions.clock import PAST_MINUTES, parse_clock, past_the_hour
from jobscheduler.expressions.recurring.lexicon import SEP, TIME, TIME_OR_HOUR
from jobscheduler.expressions.recurring.state import Clause, State, refuse, set_interval


def parse_time(text: str) -> tuple[int, int]:
    """``9am``/``9:30 pm``/``21:30``/``noon`` -> (hour, minute); a bare hour is 24-hour."""
    return parse_clock(text)[0]


def _times(m: re.Match[str], s: State) -> None:
    for part in re.split(SEP, m.group("times")):
        part = re.sub(r"^at\s+", "", part.strip())
        if part:
            s.clock.append(parse_clock(part))


def _half_past(m: re.Match[str], s: State) -> None:
    s.clock.append(past_the_hour(m.group("q"), m.group("h")))


def _minute_of_hour(m: re.Match[str], s: State) -> None:
    if m.group("quarter"):
        minute = PAST_MINUTES[m.group("quarter")]
    elif m.group("top"):
        minute = 0 if "half" not in m.group("top") else 30
    else:
        minute = int(m.group("minute") or m.group("minute2"))
    if minute > 59:
        raise refuse(f"minute {minute} is out of range (0-59)")
    s.minute_of_hour = minute
    if s.interval is None:
        set_interval(s, 1, "hour")


def _window(m: re.Match[str], s: State) -> None:
    start, end = parse_time(m.group("start")), parse_time(m.group("end"))
    if start[1] or end[1]:
        raise refuse(
            "a 'between' window must start and end on the hour",
            f"between {start[0]:02d}:00 and {end[0] + (1 if end[1] else 0):02d}:00",
        )
    if start[0] == end[0]:
        raise refuse("a 'between' window must not start and end at the same time")
    s.window = (start[0], end[0])


def _part(m: re.Match[str], s: State) -> None:
    part = m.group("p")
    if s.part is not None and s.part != part:
        raise refuse(f"the phrase names two parts of the day ({s.part}, {part})")
    s.part = part
    if m.group("every"):
        set_interval(s, 1, "day")


WINDOW = Clause(
    rf"^(?:between|from)\s+(?P<start>{TIME_OR_HOUR})\s+(?:and|to|until|till|-)\s+"
    rf"(?P<end>{TIME_OR_HOUR})\b",
    _window,
)
HALF_PAST = Clause(
    r"^(?:at\s+)?(?P<q>half past|quarter past|quarter to)\s+"
    r"(?P<h>\d{1,2}(?:\s*(?:am|pm))?|noon|midnight)(?=\s|,|$)(?!\s+(?:minutes?\b|past\b))",
    _half_past,
    "times",
)
MINUTE_OF_HOUR = Clause(
    r"^(?:at\s+)?(?:(?P<quarter>quarter past|half past|quarter to)|"
    r"(?P<top>(?:on|at)\s+the\s+(?:top\s+of\s+the\s+hour|hour|half\s+hour))|"
    r":(?P<minute>\d{2})|(?P<minute2>\d{1,2})\s+(?:minutes?\s+)?past)"
    r"(?:\s+(?:the|every|each)\s+hour)?\b",
    _minute_of_hour,
)
AT_TIMES = Clause(
    rf"^(?:at\s+)(?P<times>{TIME_OR_HOUR}(?:{SEP}(?:at\s+)?{TIME_OR_HOUR})*)(?=\s|,|$)",
    _times,
    "times",
)
BARE_TIMES = Clause(rf"^(?P<times>{TIME}(?:{SEP}{TIME})*)(?=\s|,|$)", _times, "times")
PART_OF_DAY = Clause(
    r"^(?:(?P<every>every|each)\s+|in\s+the\s+|at\s+)?(?P<p>morning|afternoon|evening)\b",
    _part,
)
NIGHT = Clause(r"^(?:at\s+)?(?P<p>night)\b(?P<every>)", _part)
