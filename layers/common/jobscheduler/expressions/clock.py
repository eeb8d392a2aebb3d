"""Times of day, as both plain-English grammars (one-off and recurring) read them."""

from __future__ import annotations

import re

from jobscheduler.errors import InvalidExpression

# Minutes that "half past", "quarter past" and "quarter to" name.
PAST_MINUTES = {"half past": 30, "quarter past": 15, "quarter to": 45}


def _refuse(message: str, suggestion: str | None = None) -> InvalidExpression:
    return InvalidExpression(message, suggestion=suggestion)


def parse_clock(text: str) -> tuple[tuple[int, int], bool]:
    """``9am``/``9:30 pm``/``21:30``/``9``/``noon`` -> ((hour, minute), had_meridiem)."""
    text = text.strip()
    if text in ("noon", "midday"):
        return (12, 0), True
    if text == "midnight":
        return (0, 0), True
    match = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?", text)
    if match is None:
        raise _refuse(f"{text!r} is not a time", "9am")
    hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if minute > 59:
        raise _refuse(f"{text!r} is not a time: minute {minute} is out of range (0-59)")
    if meridiem is not None:
        if not 1 <= hour <= 12:
            raise _refuse(f"{text!r} is not a time: with am/pm the hour must be 1-12")
        return (hour % 12 + (12 if meridiem == "pm" else 0), minute), True
    if hour > 23:
        raise _refuse(f"{text!r} is not a time: hour {hour} is out of range (0-23)")
    return (hour, minute), False


def with_part_of_day(time: tuple[int, int], part: str | None, source: str) -> tuple[int, int]:
    """An hour without am/pm read inside a part of the day: ``evening at 7`` = 19:00."""
    hour, minute = time
    if part is None:
        return time
    if part == "morning":
        if hour >= 12:
            raise _refuse(f"{source!r}: {hour}:{minute:02d} is not in the morning")
        return time
    if part == "night" and hour == 12:
        return 0, minute
    if part == "night" and hour < 5:
        return time  # "at 2 at night": 02:00
    if hour < 12:
        return hour + 12, minute
    if part == "evening" and hour < 17:
        raise _refuse(f"{source!r}: {hour}:{minute:02d} is not in the evening")
    return time


def past_the_hour(words: str, hour_text: str) -> tuple[tuple[int, int], bool]:
    """``half past 9``, ``quarter to 5`` -> ((hour, minute), had_meridiem)."""
    (hour, _), meridiem = parse_clock(hour_text)
    if words == "quarter to":
        hour = (hour - 1) % 24
    return (hour, PAST_MINUTES[words]), meridiem
