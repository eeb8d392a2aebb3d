"""The functions' own schedules (SAM ``ScheduleV2`` events in template.yaml, e.g. the
reconciler's), run locally by a timer thread per event.

Deployed, each event is an EventBridge Scheduler schedule outside the tenants' group;
locally we read the same events from the template and call the handler at the same
rate with the same Input. ``every_s`` shortens every period (tests, demos).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.template import Resolver, resources_of_type

FUNCTION_TYPE = "AWS::Serverless::Function"
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class PeriodicEvent:
    function: str  # logical id
    name: str  # the event's key under Events
    period_s: float
    payload: dict[str, Any]


def rate_seconds(expression: str) -> float:
    match = _RATE.match(expression.strip())
    if match is None:
        raise ValueError(f"the local stack runs rate() schedules only, not {expression!r}")
    return int(match.group(1)) * _UNIT_S[match.group(2).removesuffix("s")]


def periodic_events(template: dict[str, Any], resolver: Resolver) -> list[PeriodicEvent]:
    found: list[PeriodicEvent] = []
    for logical, resource in resources_of_type(template, FUNCTION_TYPE).items():
        for name, event in (resource.get("Properties", {}).get("Events") or {}).items():
            if event.get("Type") != "ScheduleV2":
                continue
            props = resolver.resolve(event.get("Properties", {}))
            payload = json.loads(props.get("Input") or "{}")
            found.append(
                PeriodicEvent(
                    logical, name, rate_seconds(str(props["ScheduleExpression"])), payload
                )
            )
    return found


class PeriodicRunner:
    """One daemon thread per event: wait a period, invoke, repeat (never overlapping)."""

    def __init__(
        self,
        events: list[PeriodicEvent],
        invoke: Callable[[str, Any], Any],
        *,
        every_s: float | None = None,
        log: Callable[[str], None] = lambda _msg: None,
    ) -> None:
        self.events = events
        self.invoke = invoke
        self.every_s = every_s
        self.log = log
        self.runs: dict[str, int] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def period(self, event: PeriodicEvent) -> float:
        return self.every_s if self.every_s is not None else event.period_s

    def start(self) -> None:
        for event in self.events:
            thread = threading.Thread(
                target=self._loop, args=(event,), name=f"periodic-{event.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self, event: PeriodicEvent) -> None:
        key = f"{event.function}.{event.name}"
        while not self._stop.wait(self.period(event)):
            try:
                result = self.invoke(event.function, dict(event.payload))
            except Exception as exc:  # a failed pass must not stop the next one
                self.log(f"{key} failed: {type(exc).__name__}: {exc}")
            else:
                self.log(f"{key}: {json.dumps(result, default=str)}")
            self.runs[key] = self.runs.get(key, 0) + 1
