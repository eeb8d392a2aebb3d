"""The clause table, and the reading of a phrase clause by clause."""

from __future__ import annotations

import re
from functools import lru_cache

from jobscheduler.expressions.recurring import intervals, month_days, months, times, weekdays
from jobscheduler.expressions.recurring.state import Clause, Handler, Kind, State, refuse
from jobscheduler.expressions.vocabulary import not_understood


def _filler(m: re.Match[str], s: State) -> None:
    return None


SEPARATOR = Clause(r"^(?:\s*(?:,|and|&|then|;|\+)\s*)+", _filler)
STARTING_NOW = Clause(r"^(?:starting|beginning)\s+(?:now|today)\b", _filler)

# The first clause whose pattern matches the head of what is left reads it, so the order
# is part of the grammar: "half past 9" must meet its clause before "half past" (a minute
# of the hour) does, "1st of january" before "1st" (a day of the month), "the 1st monday"
# before "the 1st", and "at 15 past" before "at 15" (a time of day).
CLAUSES: tuple[Clause, ...] = (
    SEPARATOR,
    intervals.WEEK_PARITY,
    STARTING_NOW,
    intervals.EVERY_N,
    weekdays.NTH_EVERY,
    weekdays.NTH_ON,
    month_days.LAST_DAY,
    intervals.EVERY_UNIT,
    intervals.ADVERB,
    intervals.PER,
    weekdays.WEEKDAYS,
    weekdays.DAYS_OF_WEEK,
    months.DAY_MONTH,
    months.MONTH_DAY,
    month_days.DAYS_OF_MONTH,
    months.IN_MONTHS,
    times.WINDOW,
    times.HALF_PAST,
    times.MINUTE_OF_HOUR,
    times.AT_TIMES,
    times.BARE_TIMES,
    intervals.OF_THE_MONTH,
    times.PART_OF_DAY,
    times.NIGHT,
)


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[re.Pattern[str], Handler, Kind], ...]:
    # Compiled on first use: the patterns take tens of ms to compile and the cron-only
    # hot path (executor, Scheduler emulator) never needs them.
    return tuple((re.compile(c.pattern), c.handler, c.kind) for c in CLAUSES)


def normalise(text: str) -> str:
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


def read_clauses(text: str, source: str) -> State:
    """Every word read by some clause, or a 422 naming the words that were not."""
    state = State()
    rest = text
    order: list[Kind] = []  # days and times clauses, in the order they come
    while rest:
        for pattern, handler, kind in _compiled():
            match = pattern.match(rest)
            if match is not None and match.end() > 0:
                handler(match, state)
                if kind and (not order or order[-1] != kind):
                    order.append(kind)
                rest = rest[match.end() :].lstrip()
                break
        else:
            raise not_understood(source, rest)
    if len(order) > 2:
        # "monday at 8am and tuesday at 9pm": a cron would run every day at every time.
        raise refuse(
            f"{source!r} pairs different times with different days; one schedule runs "
            "every time it names on every day it names, so use one schedule per pair",
        )
    return state
