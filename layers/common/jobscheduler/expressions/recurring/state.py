"""What the clauses of a recurring phrase said, and the clause type they are read by."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from jobscheduler.errors import InvalidExpression
from jobscheduler.expressions.eventbridge import DomSpecial, DowSpecial

EXAMPLES = "e.g. 'every 5 minutes', 'every day at 9am', 'every monday and friday at 9am and 5pm', 'every month on the 1st at noon'"


@dataclass
class State:
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


Handler = Callable[[re.Match[str], State], None]
# "days" and "times" clauses are tracked in the order they come (see table.read_clauses).
Kind = Literal["days", "times", ""]


@dataclass(frozen=True)
class Clause:
    """A regex matched at the head of what is left, and what it records."""

    pattern: str
    handler: Handler
    kind: Kind = ""


def refuse(message: str, suggestion: str | None = None) -> InvalidExpression:
    return InvalidExpression(message, suggestion=suggestion)


def set_interval(state: State, value: int, unit: str) -> None:
    if state.interval is not None and state.interval != (value, unit):
        raise refuse("the phrase gives two different frequencies", EXAMPLES)
    state.interval = (value, unit)


def has_days(s: State) -> bool:
    return bool(s.dows or s.doms or s.dow_special or s.dom_special)


def restricted(s: State) -> bool:
    """Days, months or an hour window narrow the schedule (a plain rate cannot)."""
    return has_days(s) or bool(s.months) or s.window is not None
