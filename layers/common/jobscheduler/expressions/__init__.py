"""Schedule-expression engine: parse, compile, describe and preview schedules (pure).

Accepts Unix cron, EventBridge ``cron()``/``rate()``/``at()``, ISO 8601 datetimes and
plain English, and compiles them to EventBridge Scheduler expressions. ``next_runs``
shows exactly when Scheduler will fire them (its DST rules included).

Plain English is read by two small grammars of our own (english_one_off,
recurring): every word understood, or a 422 naming the words that were not.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

# Imported first and eagerly: the submodule `preview` must not replace the function
# `preview` below, which it would if it were first imported later.
from jobscheduler.expressions import preview as _preview
from jobscheduler.expressions.bounds import refuse_overflow
from jobscheduler.expressions.preview import is_recurring, rate_anchor
from jobscheduler.expressions.zones import UTC, validate_timezone

if TYPE_CHECKING:
    from jobscheduler.expressions.compiler import CompiledSchedule, compile_schedule
    from jobscheduler.expressions.describe import describe
    from jobscheduler.expressions.policy import SchedulePolicy

# Every entry point that does date arithmetic answers an out-of-range date with a 422.
next_runs = refuse_overflow(_preview.next_runs)
next_on_grid = refuse_overflow(_preview.next_on_grid)

# The rest is imported on first use (PEP 562): the executor only needs next_runs, and the
# compiler's parsers (plain English, the recurring grammar, the describer) would
# otherwise be part of its cold start.
_LAZY = {
    "CompiledSchedule": "compiler",
    "compile_schedule": "compiler",
    "describe": "describe",
    "SchedulePolicy": "policy",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    if name == "compile_schedule":
        value = refuse_overflow(value)
    globals()[name] = value
    return value


@refuse_overflow
def preview(
    compiled: CompiledSchedule,
    *,
    count: int = 5,
    after: datetime | None = None,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
    anchor: datetime | None = None,
) -> list[datetime]:
    """Next ``count`` runs of a compiled schedule (after now by default).

    A ``rate()`` without ``start_at`` or ``anchor`` is anchored as a schedule created
    at ``after`` would be (``rate_anchor``).
    """
    after = after if after is not None else datetime.now(UTC)
    if anchor is None and start_at is None:
        anchor = rate_anchor(None, after)
    return next_runs(
        compiled.expressions,
        compiled.timezone,
        after=after,
        count=count,
        start_at=start_at,
        end_at=end_at,
        anchor=anchor,
    )


__all__ = [
    "CompiledSchedule",
    "SchedulePolicy",
    "compile_schedule",
    "describe",
    "is_recurring",
    "next_on_grid",
    "next_runs",
    "preview",
    "rate_anchor",
    "validate_timezone",
]
