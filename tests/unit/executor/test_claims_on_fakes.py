"""The executor's claim paths on in-memory adapters (tests/fakes): duplicate
deliveries, a crashed attempt taken over, overlap, max_runs, and each store call
failing once. tests/integration/executor/test_claims.py drives the same paths through
the handler and moto; tests/contract checks that the fake ledger keeps dal/runs.py's
rules, so these take milliseconds without trusting a fake blindly."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from jobscheduler.errors import DependencyUnavailable
from jobscheduler.models.executions import ExecutionStatus
from jobscheduler.models.ids import scheduled_execution_id
from jobscheduler.models.schedules import ScheduleStatus
from tests.fakes.adapters import FakeAdapters
from tests.unit.executor.on_fakes import (
    FIRE,
    TENANT,
    Crash,
    Task_,
    deliver,
    put,
    records,
    stored,
)


def test_duplicate_deliveries_run_the_task_once(fakes: FakeAdapters, task: Task_) -> None:
    schedule = put(fakes)
    assert [deliver(schedule) for _ in range(4)] == ["SUCCEEDED"] + ["DUPLICATE"] * 3
    assert task.runs == 1
    assert [r.status for r in records(fakes, schedule)] == [ExecutionStatus.SUCCEEDED]
    assert stored(fakes, schedule).total_runs == 1
    assert fakes.events.types() == ["execution.succeeded"]


@pytest.mark.parametrize("overlap", ["skip", "allow"])
def test_twenty_concurrent_deliveries_run_once(
    fakes: FakeAdapters, task: Task_, overlap: str
) -> None:
    schedule = put(fakes, overlap=overlap)
    barrier = threading.Barrier(20)
    results: list[str] = []

    def one() -> None:
        barrier.wait()
        results.append(deliver(schedule))

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["DUPLICATE"] * 19 + ["SUCCEEDED"]
    assert task.runs == 1
    assert stored(fakes, schedule).total_runs == 1


@pytest.mark.parametrize("overlap", ["skip", "allow"])
def test_a_crashed_attempt_is_taken_over_after_its_lease(
    fakes: FakeAdapters, task: Task_, overlap: str
) -> None:
    schedule = put(fakes, overlap=overlap)
    task.plan = ["crash"]
    with pytest.raises(Crash):
        deliver(schedule)
    # Within the lease a retry is a duplicate of a live run; after it, a take-over.
    assert deliver(schedule, at=FIRE + timedelta(minutes=1, seconds=30)) == "DUPLICATE"
    assert deliver(schedule, at=FIRE + timedelta(minutes=3)) == "SUCCEEDED"
    assert task.runs == 2
    [record] = records(fakes, schedule)
    assert (record.status, record.attempts) == (ExecutionStatus.SUCCEEDED, 2)
    assert stored(fakes, schedule).total_runs == 1
    assert fakes.runs.marks[(TENANT, schedule.id)].running_execution is None
    assert deliver(schedule, at=FIRE + timedelta(minutes=4)) == "DUPLICATE"


def test_overlap_skip_records_a_skip_while_a_run_holds_the_schedule(
    fakes: FakeAdapters, task: Task_
) -> None:
    schedule = put(fakes)
    task.plan = ["crash"]
    with pytest.raises(Crash):
        deliver(schedule)  # leaves its hold, live for a minute
    later = FIRE + timedelta(minutes=1)
    assert deliver(schedule, later, at=later + timedelta(seconds=1)) == "SKIPPED"
    skipped = fakes.history.get(TENANT, schedule.id, scheduled_execution_id(later))
    assert skipped is not None
    assert skipped.skip_reason == "overlap"
    assert fakes.events.types() == ["execution.skipped"]
    assert task.runs == 1
    # Once the hold's lease has passed, the next fire runs.
    after = FIRE + timedelta(minutes=5)
    assert deliver(schedule, after) == "SUCCEEDED"


def test_overlap_allow_runs_alongside(fakes: FakeAdapters, task: Task_) -> None:
    schedule = put(fakes, overlap="allow")
    task.plan = ["crash"]
    with pytest.raises(Crash):
        deliver(schedule)
    later = FIRE + timedelta(minutes=1)
    assert deliver(schedule, later, at=later + timedelta(seconds=1)) == "SUCCEEDED"


def test_max_runs_completes_once_and_removes_the_entries(fakes: FakeAdapters, task: Task_) -> None:
    schedule = put(fakes, max_runs=2, total_runs=1, version=5)
    assert deliver(schedule) == "SUCCEEDED"
    after = stored(fakes, schedule)
    assert (after.status, after.total_runs, after.version) == (ScheduleStatus.COMPLETED, 2, 6)
    assert fakes.entries.entries == {}
    assert fakes.events.types() == ["execution.succeeded", "schedule.completed"]
    later = FIRE + timedelta(hours=1)
    assert deliver(schedule, later) == "SKIPPED"
    assert task.runs == 1
    assert stored(fakes, schedule).total_runs == 2


def test_failures_count_and_a_success_ends_the_streak(fakes: FakeAdapters, task: Task_) -> None:
    schedule = put(fakes)
    task.plan = ["fail", "fail", "ok"]
    for hour in range(3):
        deliver(schedule, FIRE + timedelta(hours=hour))
    after = stored(fakes, schedule)
    assert (after.total_runs, after.failed_runs, after.consecutive_failures) == (3, 2, 0)


@pytest.mark.parametrize("method", ["read_schedule", "claim"])
def test_a_store_call_failing_before_the_task_is_retried(
    fakes: FakeAdapters, task: Task_, method: str
) -> None:
    schedule = put(fakes)
    fakes.runs.faults.fail(method)
    with pytest.raises(DependencyUnavailable):
        deliver(schedule)  # the delivery fails: Lambda's async retry delivers it again
    assert task.runs == 0
    assert deliver(schedule) == "SUCCEEDED"
    assert task.runs == 1
    assert stored(fakes, schedule).total_runs == 1


@pytest.mark.parametrize("overlap", ["skip", "allow"])
def test_a_failed_finish_is_never_stuck(fakes: FakeAdapters, task: Task_, overlap: str) -> None:
    schedule = put(fakes, overlap=overlap)
    fakes.runs.faults.fail("finish")
    with pytest.raises(DependencyUnavailable):
        deliver(schedule)
    assert stored(fakes, schedule).total_runs == 0
    # The retry that comes within the lease meets a live claim; one after it takes over.
    assert deliver(schedule, at=FIRE + timedelta(minutes=1, seconds=30)) == "DUPLICATE"
    assert deliver(schedule, at=FIRE + timedelta(minutes=3)) == "SUCCEEDED"
    assert stored(fakes, schedule).total_runs == 1
    [record] = records(fakes, schedule)
    assert record.status == ExecutionStatus.SUCCEEDED
    # And the schedule goes on: the next fire runs.
    assert deliver(schedule, FIRE + timedelta(hours=1)) == "SUCCEEDED"


def test_a_failed_finish_without_a_retry_does_not_block_the_next_fire(
    fakes: FakeAdapters, task: Task_
) -> None:
    schedule = put(fakes)
    fakes.runs.faults.fail("finish")
    with pytest.raises(DependencyUnavailable):
        deliver(schedule)
    assert deliver(schedule, FIRE + timedelta(hours=1)) == "SUCCEEDED"
    assert stored(fakes, schedule).total_runs == 1


def test_a_failed_skip_record_is_retried(fakes: FakeAdapters, task: Task_) -> None:
    schedule = put(fakes, status=ScheduleStatus.PAUSED)
    fakes.runs.faults.fail("put_skipped")
    with pytest.raises(DependencyUnavailable):
        deliver(schedule)
    assert deliver(schedule) == "SKIPPED"
    assert deliver(schedule) == "DUPLICATE"
    assert task.runs == 0


@pytest.mark.parametrize(("port", "method"), [("events", "publish"), ("entries", "delete_entry")])
def test_a_failing_side_call_never_fails_the_run(
    fakes: FakeAdapters, task: Task_, port: str, method: str
) -> None:
    schedule = put(fakes, max_runs=1)
    getattr(fakes, port).faults.fail(method)
    assert deliver(schedule) == "SUCCEEDED"
    assert stored(fakes, schedule).status == ScheduleStatus.COMPLETED
    if port == "entries":
        assert fakes.entries.entries != {}
        # A later fire of the completed schedule retries the cleanup.
        assert deliver(schedule, FIRE + timedelta(hours=1)) == "SKIPPED"
        assert fakes.entries.entries == {}
    else:
        assert fakes.events.types() == ["schedule.completed"]


def test_the_backfill_fence_keeps_a_fire_from_running_twice(
    fakes: FakeAdapters, task: Task_
) -> None:
    schedule = put(fakes)
    assert deliver(schedule) == "SUCCEEDED"
    assert deliver(schedule, trigger="backfill") == "DUPLICATE"
    earlier = FIRE - timedelta(hours=1)
    assert deliver(schedule, earlier, trigger="backfill") == "SUCCEEDED"
    # A late scheduled delivery of the backfilled fire: superseded, and its record is
    # the backfill's, so nothing is written.
    assert deliver(schedule, earlier) == "DUPLICATE"
    assert task.runs == 2
    assert stored(fakes, schedule).total_runs == 2


def test_a_failed_backfill_fence_is_retried(fakes: FakeAdapters, task: Task_) -> None:
    schedule = put(fakes)
    fakes.runs.faults.fail("backfill_fence")
    with pytest.raises(DependencyUnavailable):
        deliver(schedule, trigger="backfill")
    assert task.runs == 0
    assert deliver(schedule, trigger="backfill") == "SUCCEEDED"
    assert deliver(schedule) == "DUPLICATE"  # the scheduled delivery of the same fire
    assert task.runs == 1


THANKSGIVING_9AM = datetime(2030, 11, 28, 14, 0, tzinfo=UTC)


def test_an_excluded_fire_whose_count_failed_is_counted_once_on_retry(
    fakes: FakeAdapters, task: Task_
) -> None:
    from jobscheduler.models.calendars import HolidayRule

    schedule = put(
        fakes,
        schedule="cron(0 9 * * ? *)",
        expressions=["cron(0 9 * * ? *)"],
        timezone="America/New_York",
        exclude=[{"holidays": "US"}],
        exclusions=[HolidayRule(holidays="US")],
        created_at=datetime(2030, 11, 1, tzinfo=UTC),
    )
    fakes.runs.faults.fail("pass_excluded_fire")
    with pytest.raises(DependencyUnavailable):
        deliver(schedule, THANKSGIVING_9AM)
    assert stored(fakes, schedule).skipped_runs == 0
    # The record exists: the retry is a duplicate that still catches the schedule up.
    assert deliver(schedule, THANKSGIVING_9AM) == "DUPLICATE"
    assert deliver(schedule, THANKSGIVING_9AM) == "DUPLICATE"
    after = stored(fakes, schedule)
    assert (after.skipped_runs, after.next_run_at) == (1, datetime(2030, 11, 29, 14, 0, tzinfo=UTC))
    [record] = records(fakes, schedule)
    assert (record.status, record.skip_reason) == (
        ExecutionStatus.SKIPPED,
        "holiday: Thanksgiving Day",
    )
    assert task.runs == 0
