"""Rules over the whole phrase, once its clauses are read: zone words, times inside the
part of the day, days that cannot go together, and the frequency."""

from __future__ import annotations

import re

from jobscheduler.expressions.clock import with_part_of_day
from jobscheduler.expressions.recurring.state import (
    EXAMPLES,
    State,
    has_days,
    refuse,
    restricted,
)
from jobscheduler.expressions.zones import abbreviation_refusal

_PART_EXAMPLES = {"morning": "7am", "afternoon": "3pm", "evening": "6pm"}


def refuse_zone_words(lowered: str, source: str) -> None:
    """A recurring phrase runs in the schedule's timezone field; "9am EST" is refused
    with the phrase without the abbreviation (and the city zone to put in the field)."""
    for word in re.findall(r"[a-z0-9]+", lowered):
        refusal = abbreviation_refusal(word)
        if refusal is not None:
            rest = " ".join(re.sub(rf"\b{word}\b", " ", source, flags=re.IGNORECASE).split())
            raise refuse(
                f"{refusal.message}; a repeating schedule takes its zone from the timezone "
                f"field: set it to {refusal.suggestion!r} and drop {word!r} from the phrase",
                rest,
            )


def finish_times(s: State, source: str) -> None:
    """Times of day, read inside the part of the day ("every evening at 6" = 18:00)."""
    for time, meridiem in s.clock:
        if meridiem:
            if s.part in ("afternoon", "evening") and time[0] < 12:
                raise refuse(f"{source!r}: {time[0]:02d}:{time[1]:02d} is not in the {s.part}")
            if s.part == "morning" and time[0] >= 12:
                raise refuse(f"{source!r}: {time[0]:02d}:{time[1]:02d} is not in the morning")
            s.times.append(time)
        else:
            s.times.append(with_part_of_day(time, s.part, source))
    if s.part in _PART_EXAMPLES and not s.times:
        raise refuse(
            f"{source!r} does not say at what time in the {s.part}; nothing is guessed",
            f"every day at {_PART_EXAMPLES[s.part]}",
        )


def check_days(s: State, source: str) -> None:
    if (s.dows and (s.doms or s.dom_special or s.dow_special)) or (s.doms and s.dom_special):
        raise refuse(
            f"{source!r} mixes days of the week with days of the month; use two schedules",
        )
    if s.every_day and has_days(s):
        raise refuse(
            f"{source!r} says both 'every day' and particular days; say one of them "
            "(for two different times, use two schedules)",
        )
    if s.dom_special == ("LW", 0):
        raise refuse(
            f"{source!r}: the last weekday of the month needs cron 'LW', which is not in "
            "EventBridge Scheduler's documented cron syntax, so it is not accepted; "
            "'last day of the month' and 'last friday of the month' are",
        )


def interval(s: State, source: str) -> tuple[int, str]:
    """How often, in the largest unit that says it ("every 120 minutes" = 2 hours)."""
    value, unit = s.interval if s.interval is not None else (1, "")
    if unit == "second":
        raise refuse(
            f"{source!r}: sub-minute schedules are not supported; EventBridge Scheduler runs "
            "at most once a minute",
            "every minute",
        )
    if value <= 0:
        raise refuse(f"{source!r}: an interval must be at least 1", "every 1 minute")
    if unit == "minute" and value % 60 == 0 and not s.times:
        value, unit = value // 60, "hour"
    if unit == "hour" and value % 24 == 0 and not restricted(s) and s.minute_of_hour is None:
        value, unit = value // 24, "day"
    if unit in ("minute", "hour") and s.times:
        raise refuse(
            f"{source!r} gives both an interval and times of day; use 'between' for a "
            "window or drop the interval",
            "every 30 minutes between 9am and 5pm",
        )
    if unit == "" and not has_days(s) and not s.times:
        raise refuse(f"could not tell how often {source!r} runs; e.g. {EXAMPLES}")
    return value, unit
