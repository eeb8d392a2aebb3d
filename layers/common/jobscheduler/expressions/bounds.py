"""The engine's outer edge: a date or period beyond what ``datetime`` can hold is a
refused schedule (422), not a crash.

``rate(99999999999 minutes)``, ``in 99999999999999 days`` or a start_at of 9999-12-31
make date arithmetic leave datetime's range (years 1-9999), which Python reports as
OverflowError wherever it happens; catching it once here bounds every path through
the public functions of the package.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from jobscheduler.errors import ScheduleOutOfRange

P = ParamSpec("P")
R = TypeVar("R")


def refuse_overflow(function: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(function)
    def bounded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except OverflowError:
            raise ScheduleOutOfRange(
                "the schedule, its start_at or its end_at reaches beyond the dates the "
                "scheduler can compute (years 1-9999)",
                suggestion="use a shorter period, e.g. 'rate(7 days)', and dates within the "
                "next few years",
            ) from None

    return bounded
