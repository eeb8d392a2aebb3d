"""Which adapter serves each port: the real dal/ and gateways/ modules unless a test
wires others (``use``). The use cases import the late-bound handles below, so a swap
reaches them without any change to their code.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, cast

from jobscheduler.ports import (
    AutoPauseStore,
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
    pauses: AutoPauseStore


# The real module of each port, imported on its first use: a Lambda loads only the
# adapters it calls (the executor never loads the API's schedule store), and a test
# wired with fakes loads none through here.
REAL_MODULES = {
    "schedules": "jobscheduler.dal.schedules",
    "history": "jobscheduler.dal.history",
    "entries": "jobscheduler.gateways.scheduler",
    "events": "jobscheduler.gateways.publisher",
    "executor": "jobscheduler.gateways.executor_invoke",
    "runs": "jobscheduler.dal.runs",
    "pauses": "jobscheduler.dal.auto_pause",
}

if TYPE_CHECKING:  # mypy checks each real module against its port
    from jobscheduler.dal import auto_pause, history, runs, schedules
    from jobscheduler.gateways import executor_invoke, publisher, scheduler

    _REAL = Adapters(
        schedules=schedules,
        history=history,
        entries=scheduler,
        events=publisher,
        executor=executor_invoke,
        runs=runs,
        pauses=auto_pause,
    )

_wired: dict[str, Any] = {}


def adapter(port: str) -> Any:
    """The adapter serving ``port`` (a field name of ``Adapters``) now."""
    wired = _wired.get(port)
    return wired if wired is not None else importlib.import_module(REAL_MODULES[port])


def preload(*ports: str) -> None:
    """Import the real adapters of ``ports`` now: a Lambda then pays for them in its
    init phase, as for its other imports, not in its first invocation."""
    for port in ports:
        importlib.import_module(REAL_MODULES[port])


def adapters() -> Adapters:
    return Adapters(**{f.name: adapter(f.name) for f in fields(Adapters)})


@contextmanager
def use(**overrides: Any) -> Iterator[Adapters]:
    """Serve the given ports (by field name of ``Adapters``) with other adapters for the
    duration of the block; the rest stay as they were. Not for concurrent swaps: tests."""
    unknown = set(overrides) - set(REAL_MODULES)
    if unknown:
        raise TypeError(f"no such port: {sorted(unknown)}")
    before = dict(_wired)
    _wired.update(overrides)
    try:
        yield adapters()
    finally:
        _wired.clear()
        _wired.update(before)


class _LateBound:
    """Forwards attribute access to the adapter wired at the time of the call."""

    def __init__(self, port: str) -> None:
        self._port = port

    def __getattr__(self, name: str) -> Any:
        return getattr(adapter(self._port), name)


schedule_store = cast(ScheduleStore, _LateBound("schedules"))
execution_history = cast(ExecutionHistory, _LateBound("history"))
scheduler_entries = cast(SchedulerEntries, _LateBound("entries"))
event_publisher = cast(EventPublisher, _LateBound("events"))
executor_invoker = cast(ExecutorInvoker, _LateBound("executor"))
run_ledger = cast(RunLedger, _LateBound("runs"))
auto_pause_store = cast(AutoPauseStore, _LateBound("pauses"))
