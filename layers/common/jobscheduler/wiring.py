"""Which adapter serves each port: the real dal/ and gateways/ modules unless a test
wires others (``use``). The use cases import the late-bound handles below, so a swap
reaches them without any change to their code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, cast

from jobscheduler.ports import (
    EventPublisher,
    ExecutionHistory,
    ExecutorInvoker,
    RunLedger,
    SchedulerEntries,
    ScheduleStore,
)


@dataclass(frozen=True)
class Adapters:
    schedules: ScheduleStore
    history: ExecutionHistory
    entries: SchedulerEntries
    events: EventPublisher
    executor: ExecutorInvoker
    runs: RunLedger


@cache
def real_adapters() -> Adapters:
    """The AWS-backed modules (imported on first use: a test wired with fakes only
    never loads boto3's clients through here)."""
    from jobscheduler.dal import history, runs, schedules
    from jobscheduler.gateways import executor_invoke, publisher, scheduler

    return Adapters(
        schedules=schedules,
        history=history,
        entries=scheduler,
        events=publisher,
        executor=executor_invoke,
        runs=runs,
    )


_wired: Adapters | None = None


def adapters() -> Adapters:
    return _wired or real_adapters()


@contextmanager
def use(**overrides: Any) -> Iterator[Adapters]:
    """Serve the given ports (by field name of ``Adapters``) with other adapters for the
    duration of the block; the rest stay as they were. Not for concurrent swaps: tests."""
    global _wired
    before = _wired
    _wired = replace(adapters(), **overrides)
    try:
        yield _wired
    finally:
        _wired = before


class _LateBound:
    """Forwards attribute access to the adapter wired at the time of the call."""

    def __init__(self, port: str) -> None:
        self._port = port

    def __getattr__(self, name: str) -> Any:
        return getattr(getattr(adapters(), self._port), name)


schedule_store = cast(ScheduleStore, _LateBound("schedules"))
execution_history = cast(ExecutionHistory, _LateBound("history"))
scheduler_entries = cast(SchedulerEntries, _LateBound("entries"))
event_publisher = cast(EventPublisher, _LateBound("events"))
executor_invoker = cast(ExecutorInvoker, _LateBound("executor"))
run_ledger = cast(RunLedger, _LateBound("runs"))
