"""pause_after_failures on in-memory adapters: N failed runs in a row pause the schedule
and publish schedule.auto_paused once; a success ends the streak; the owner's change
made during the run wins; a pause or event that fails never fails the run.
tests/integration/executor/test_auto_pause.py drives the same through the handler and
moto; tests/contract/test_auto_pause.py holds the fake pause to the real one's rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from jobscheduler.logic import executor
from jobscheduler.logic.runner import RunContext, TaskOutcome
from jobscheduler.models.executions import ExecutionStatus
from jobscheduler.models.schedules import Schedule, ScheduleStatus
from jobscheduler.models.tasks import Task
from tests.fakes.adapters import FakeAdapters
from tests.unit.executor.on_fakes import FIRE, TENANT, Task_, deliver, put, stored

LIMIT = 3


def _runs(schedule: Schedule, count: int, *, start: int = 0) -> list[str]:
    """``count`` hourly fires from FIRE + ``start`` hours, one delivery each."""
    return [deliver(schedule, FIRE + timedelta(hours=h)) for h in range(start, start + count)]


def _auto_paused(fakes: FakeAdapters) -> list[dict[str, object]]:
    return [e.data for e in fakes.events.events if e.event_type == "schedule.auto_paused"]


def test_n_failures_in_a_row_pause_once(fakes: FakeAdapters, task: Task_) -> None:
    schedule = put(fakes, pause_after_failures=LIMIT)
    task.plan = ["fail"] * 5
    assert _runs(schedule, LIMIT - 1) == ["FAILED"] * (LIMIT - 1)
    before = stored(fakes, schedule)
    assert (before.status, before.consecutive_failures) == (ScheduleStatus.ACTIVE, LIMIT - 1)
    assert _auto_paused(fakes) == []

    assert _runs(schedule, 1, start=LIMIT - 1) == ["FAILED"]
    after = stored(fakes, schedule)
    assert after.status == ScheduleStatus.PAUSED
    assert after.next_run_at is None
    assert after.consecutive_failures == LIMIT
    assert after.version == before.version + 1
    assert after.pause_note == (
        f"paused automatically after {LIMIT} failed runs in a row (last error: HTTP 500)"
    )
    assert (TENANT, schedule.id) in fakes.pauses.marked  # the reconciler disables entries
    [data] = _auto_paused(fakes)
    assert (data["consecutive_failures"], data["pause_after_failures"]) == (LIMIT, LIMIT)
    assert data["note"] == after.pause_note
    schedule_data = data["schedule"]
    assert isinstance(schedule_data, dict)
    assert schedule_data["status"] == "PAUSED"
    assert "task" not in schedule_data

    # Fires already queued meet a PAUSED schedule: skipped, no second pause or event.
    assert _runs(schedule, 2, start=LIMIT) == ["SKIPPED"] * 2
    assert task.runs == LIMIT
    assert len(_auto_paused(fakes)) == 1
    assert stored(fakes, schedule).version == after.version


def test_a_success_in_between_resets_the_count(fakes: FakeAdapters, task: Task_) -> None:
    schedule = put(fakes, pause_after_failures=LIMIT)
    task.plan = ["fail", "fail", "ok", "fail", "fail"]
    assert _runs(schedule, 5) == ["FAILED", "FAILED", "SUCCEEDED", "FAILED", "FAILED"]
    after = stored(fakes, schedule)
    assert (after.status, after.consecutive_failures) == (ScheduleStatus.ACTIVE, 2)
    assert after.failed_runs == 4
    assert _auto_paused(fakes) == []


def test_no_limit_never_pauses(fakes: FakeAdapters, task: Task_) -> None:
    schedule = put(fakes)
    task.plan = ["fail"] * 6
    assert _runs(schedule, 6) == ["FAILED"] * 6
    assert stored(fakes, schedule).status == ScheduleStatus.ACTIVE
    assert _auto_paused(fakes) == []


def _failing_while(monkeypatch: pytest.MonkeyPatch, edit: Callable[[], None]) -> None:
    """The task fails, and the owner changes the schedule while it runs."""

    def run(task: Task, ctx: RunContext) -> TaskOutcome:
        edit()
        return TaskOutcome(status=ExecutionStatus.FAILED, attempts=1, duration_ms=5, error="boom")

    monkeypatch.setattr(executor, "run_task", run)


def test_an_edit_during_the_failing_run_wins(
    fakes: FakeAdapters, task: Task_, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule = put(fakes, pause_after_failures=LIMIT)
    task.plan = ["fail"] * (LIMIT - 1)
    _runs(schedule, LIMIT - 1)

    def rename() -> None:
        current = stored(fakes, schedule)
        edited = current.model_copy(update={"name": "renamed"})
        fakes.schedules.update(edited, ["name"], expected_version=current.version)

    _failing_while(monkeypatch, rename)
    assert _runs(schedule, 1, start=LIMIT - 1) == ["FAILED"]
    after = stored(fakes, schedule)
    # The run is counted, the owner's edit stands, nothing is paused or announced.
    assert (after.status, after.name) == (ScheduleStatus.ACTIVE, "renamed")
    assert after.consecutive_failures == LIMIT
    assert after.pause_note is None
    assert _auto_paused(fakes) == []

    # The next failure reads the edited schedule and pauses it.
    _failing_while(monkeypatch, lambda: None)
    assert _runs(schedule, 1, start=LIMIT) == ["FAILED"]
    assert stored(fakes, schedule).status == ScheduleStatus.PAUSED
    [data] = _auto_paused(fakes)
    assert data["consecutive_failures"] == LIMIT + 1


def test_a_pause_by_the_owner_during_the_run_keeps_its_note(
    fakes: FakeAdapters, task: Task_, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule = put(fakes, pause_after_failures=1)

    def owner_pauses() -> None:
        current = stored(fakes, schedule)
        paused = current.model_copy(
            update={"status": ScheduleStatus.PAUSED, "pause_note": "maintenance"}
        )
        fakes.schedules.update(paused, ["status", "pause_note"], expected_version=current.version)

    _failing_while(monkeypatch, owner_pauses)
    assert _runs(schedule, 1) == ["FAILED"]
    after = stored(fakes, schedule)
    assert (after.status, after.pause_note) == (ScheduleStatus.PAUSED, "maintenance")
    assert after.version == schedule.version + 1  # the owner's write only
    assert _auto_paused(fakes) == []


def test_the_pause_failing_once_does_not_fail_the_run(fakes: FakeAdapters, task: Task_) -> None:
    schedule = put(fakes, pause_after_failures=LIMIT)
    task.plan = ["fail"] * (LIMIT + 1)
    fakes.pauses.faults.fail("pause_item", on=(1,))
    assert _runs(schedule, LIMIT) == ["FAILED"] * LIMIT
    after = stored(fakes, schedule)
    assert (after.status, after.consecutive_failures) == (ScheduleStatus.ACTIVE, LIMIT)
    assert fakes.events.types().count("execution.failed") == LIMIT
    assert _auto_paused(fakes) == []

    # The count stays at or over the limit: the next failure pauses.
    assert _runs(schedule, 1, start=LIMIT) == ["FAILED"]
    assert stored(fakes, schedule).status == ScheduleStatus.PAUSED
    [data] = _auto_paused(fakes)
    assert data["consecutive_failures"] == LIMIT + 1


def test_the_event_failing_keeps_the_pause(fakes: FakeAdapters, task: Task_) -> None:
    schedule = put(fakes, pause_after_failures=1)
    task.plan = ["fail"]
    # The run's own execution.failed is publish 1, schedule.auto_paused publish 2.
    fakes.events.faults.fail("publish", on=(2,))
    assert _runs(schedule, 1) == ["FAILED"]
    assert stored(fakes, schedule).status == ScheduleStatus.PAUSED
    assert fakes.events.types() == ["execution.failed"]
