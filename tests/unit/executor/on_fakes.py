"""The executor on the in-memory adapters (tests/fakes): a schedule put straight into
the fake store (with its Scheduler entries), one delivery of a fire, and a stand-in for
the task itself. Shared by the executor's tests on fakes; their fixtures are in
conftest.py."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from jobscheduler.logic import executor
from jobscheduler.logic.runner import RunContext, TaskOutcome
from jobscheduler.models.entries import EntrySpec
from jobscheduler.models.executions import Execution, ExecutionStatus, ExecutorPayload
from jobscheduler.models.ids import new_schedule_id
from jobscheduler.models.schedules import Schedule, ScheduleKind, ScheduleStatus
from jobscheduler.models.tasks import Task
from tests.fakes.adapters import FakeAdapters

TENANT = "tenant-a"
FIRE = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
REMAINING_MS = 60_000


class Crash(BaseException):
    """The container dies mid-run (not an Exception: nothing in the executor catches it)."""


@dataclass
class Task_:
    """Stands in for run_task: counts runs, succeeds unless told otherwise."""

    runs: int = 0
    plan: list[str] = field(default_factory=list)  # "ok", "fail", "crash", consumed in order
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, task: Task, ctx: RunContext) -> TaskOutcome:
        with self.lock:
            self.runs += 1
            step = self.plan.pop(0) if self.plan else "ok"
        if step == "crash":
            raise Crash
        if step == "fail":
            return TaskOutcome(
                status=ExecutionStatus.FAILED, attempts=1, duration_ms=5, error="HTTP 500"
            )
        return TaskOutcome(status=ExecutionStatus.SUCCEEDED, attempts=1, duration_ms=5)


def put(fakes: FakeAdapters, **changes: Any) -> Schedule:
    schedule = Schedule.model_validate(
        {
            "id": new_schedule_id(),
            "tenant": TENANT,
            "name": "nightly",
            "status": ScheduleStatus.ACTIVE,
            "kind": ScheduleKind.RECURRING,
            "schedule": "rate(1 hour)",
            "expressions": ["rate(1 hour)"],
            "timezone": "UTC",
            "task": {"type": "http", "url": "https://example.com/hook"},
            "created_at": FIRE - timedelta(days=1),
            "updated_at": FIRE - timedelta(days=1),
            **changes,
        }
    )
    fakes.schedules.items[(TENANT, schedule.id)] = schedule
    for part in range(len(schedule.expressions)):
        name = f"{schedule.id}-{part}"
        fakes.entries.entries[name] = EntrySpec(
            tenant=TENANT,
            schedule_id=schedule.id,
            part=part,
            name=name,
            expression=schedule.expressions[part],
            timezone="UTC",
            state="ENABLED",
            one_off=False,
            flexible_window_minutes=0,
            max_retries=2,
            max_event_age_seconds=3600,
            start_date=None,
        )
    return schedule


def deliver(
    schedule: Schedule, fire: datetime = FIRE, *, at: datetime | None = None, **extra: Any
) -> str:
    """One delivery of ``fire``, handled at ``at`` (a minute after the fire by default)."""
    payload = ExecutorPayload.model_validate(
        {
            "tenant": TENANT,
            "schedule_id": schedule.id,
            "trigger": "schedule",
            "scheduled_time": fire,
            "attempt_number": "1",
            **extra,
        }
    )
    when = at or fire + timedelta(minutes=1)
    clock = executor.Clock(now=lambda: when, sleep=lambda _: None)
    return executor.execute(payload, remaining_ms=REMAINING_MS, clock=clock).status


def stored(fakes: FakeAdapters, schedule: Schedule) -> Schedule:
    return fakes.schedules.items[(TENANT, schedule.id)]


def records(fakes: FakeAdapters, schedule: Schedule) -> list[Execution]:
    partition = fakes.history.records.get((TENANT, schedule.id), {})
    return [partition[key] for key in sorted(partition)]
