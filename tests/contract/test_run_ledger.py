"""The RunLedger contract (the executor's claim, finish and skips), run against the
in-memory fake and against dal/runs.py on moto: the executor's unit tests trust the
fake, so every rule they rely on is checked on both here."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobscheduler.models.executions import Execution, ExecutionStatus, Trigger
from jobscheduler.models.ids import new_schedule_id, scheduled_execution_id
from jobscheduler.models.runs import Claim, ClaimResult, LockKind, ScheduleChanges
from jobscheduler.models.schedules import Schedule, ScheduleKind, ScheduleStatus
from jobscheduler.ports import RunLedger
from tests.fakes.adapters import FakeAdapters

TENANT = "tenant-ledger"
T0 = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=1)
THREADS = 20


@dataclass
class Rig:
    """The port, and what a test needs around it: seed a schedule, read it back."""

    ledger: RunLedger
    put: Callable[[Schedule], None]
    stored: Callable[[str], Schedule]
    record: Callable[[str, str], Execution | None]
    set_status: Callable[[str, ScheduleStatus], None]
    remove: Callable[[str], None]
    on_moto: bool = False


def _fake_rig() -> Rig:
    fakes = FakeAdapters()

    def put(schedule: Schedule) -> None:
        fakes.schedules.items[(TENANT, schedule.id)] = schedule

    def stored(schedule_id: str) -> Schedule:
        return fakes.schedules.items[(TENANT, schedule_id)]

    def set_status(schedule_id: str, status: ScheduleStatus) -> None:
        put(stored(schedule_id).model_copy(update={"status": status}))

    def remove(schedule_id: str) -> None:
        del fakes.schedules.items[(TENANT, schedule_id)]

    def record(schedule_id: str, execution_id: str) -> Execution | None:
        return fakes.history.get(TENANT, schedule_id, execution_id)

    return Rig(fakes.runs, put, stored, record, set_status, remove)


def _real_rig() -> Rig:
    from jobscheduler.aws import table
    from jobscheduler.dal import codec, history, keys, runs, schedules
    from jobscheduler.settings import get_settings

    items = table(get_settings().table_name)

    def put(schedule: Schedule) -> None:
        items.put_item(Item=codec.schedule_to_item(schedule))

    def stored(schedule_id: str) -> Schedule:
        found = schedules.get(TENANT, schedule_id)
        assert found is not None
        return found

    def set_status(schedule_id: str, status: ScheduleStatus) -> None:
        items.update_item(
            Key=keys.schedule_key(TENANT, schedule_id),
            UpdateExpression="SET #status = :status",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":status": status.value},
        )

    def remove(schedule_id: str) -> None:
        items.delete_item(Key=keys.schedule_key(TENANT, schedule_id))

    def record(schedule_id: str, execution_id: str) -> Execution | None:
        return history.get(TENANT, schedule_id, execution_id)

    return Rig(runs, put, stored, record, set_status, remove, on_moto=True)


@pytest.fixture(params=["fake", "real"])
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    if request.param == "fake":
        yield _fake_rig()
        return
    request.getfixturevalue("aws")
    yield _real_rig()


def _schedule(rig: Rig, overlap: str = "skip", **changes: Any) -> Schedule:
    schedule = Schedule.model_validate(
        {
            "id": new_schedule_id(),
            "tenant": TENANT,
            "name": "job",
            "schedule": "rate(1 hour)",
            "timezone": "UTC",
            "kind": ScheduleKind.RECURRING,
            "expressions": ["rate(1 hour)"],
            "status": ScheduleStatus.ACTIVE,
            "version": 3,
            "overlap": overlap,
            "created_at": T0 - timedelta(days=1),
            "updated_at": T0 - timedelta(days=1),
            "next_run_at": T0,
            "task": {"type": "http", "url": "https://example.com/hook"},
            **changes,
        }
    )
    rig.put(schedule)
    return schedule


def _run(schedule: Schedule, fire: datetime, *, run_id: str | None = None) -> Execution:
    manual = run_id is not None
    return Execution(
        id=run_id or scheduled_execution_id(fire),
        schedule_id=schedule.id,
        status=ExecutionStatus.RUNNING,
        trigger=Trigger.MANUAL if manual else Trigger.SCHEDULE,
        scheduled_time=fire,
        started_at=fire,
        attempts=1,
        task_type="http",
    )


def _claim(
    rig: Rig, run: Execution, *, now: datetime = T0, lease: timedelta = LEASE, **kw: Any
) -> Claim:
    snapshot = rig.ledger.read_schedule(TENANT, run.schedule_id)
    assert snapshot is not None
    return rig.ledger.claim(
        TENANT,
        run,
        snapshot,
        now=now,
        lease_until=now + lease,
        scheduled=run.trigger == Trigger.SCHEDULE,
        **kw,
    )


def _finish(
    rig: Rig, run: Execution, lock: Claim, *, complete: bool = False, failed: bool = False
) -> bool:
    status = ExecutionStatus.FAILED if failed else ExecutionStatus.SUCCEEDED
    final = run.model_copy(update={"status": status, "finished_at": T0, "duration_ms": 5})
    changes = ScheduleChanges(
        last_run_at=run.started_at or T0,
        last_status=status,
        failed=failed,
        set_next_run_at=True,
        next_run_at=None if complete else run.scheduled_time + timedelta(hours=1),
        complete=complete,
    )
    return rig.ledger.finish(TENANT, final, changes, lock, now=T0)


def _fire(hour: int) -> datetime:
    return T0.replace(hour=hour)


def test_read_of_a_missing_schedule_is_none(rig: Rig) -> None:
    assert rig.ledger.read_schedule(TENANT, new_schedule_id()) is None


def test_hold_has_one_owner_and_refuses_the_rest(rig: Rig) -> None:
    schedule = _schedule(rig)
    stale = rig.ledger.read_schedule(TENANT, schedule.id)
    assert stale is not None
    first = _claim(rig, _run(schedule, _fire(8)))
    assert (first.result, first.kind, first.holds_schedule) == (
        ClaimResult.CLAIMED,
        LockKind.HOLD,
        True,
    )
    # A duplicate that read before the claim: its conditional write is refused.
    raced = rig.ledger.claim(
        TENANT,
        _run(schedule, _fire(8)),
        stale,
        now=T0,
        lease_until=T0 + LEASE,
        scheduled=True,
    )
    assert raced.result == ClaimResult.DUPLICATE_RUNNING
    assert _claim(rig, _run(schedule, _fire(8))).result == ClaimResult.DUPLICATE_RUNNING
    later = _claim(rig, _run(schedule, _fire(9)))
    assert (later.result, later.running_execution) == (
        ClaimResult.OVERLAP,
        scheduled_execution_id(_fire(8)),
    )
    assert _claim(rig, _run(schedule, _fire(7))).result == ClaimResult.SUPERSEDED


def test_finish_counts_once_records_and_releases(rig: Rig) -> None:
    schedule = _schedule(rig)
    run = _run(schedule, _fire(8))
    lock = _claim(rig, run)
    assert _finish(rig, run, lock, failed=True) is False
    assert _finish(rig, run, lock, failed=True) is False  # a retried finish
    stored = rig.stored(schedule.id)
    assert (stored.total_runs, stored.failed_runs, stored.consecutive_failures) == (1, 1, 1)
    assert (stored.last_status, stored.next_run_at) == ("FAILED", _fire(9))
    record = rig.record(schedule.id, run.id)
    assert record is not None
    assert record.status == ExecutionStatus.FAILED
    snapshot = rig.ledger.read_schedule(TENANT, schedule.id)
    assert snapshot is not None
    assert (snapshot.running_execution, snapshot.last_finished) == (None, run.id)
    assert _claim(rig, _run(schedule, _fire(8))).result == ClaimResult.DUPLICATE_FINISHED
    following = _run(schedule, _fire(9))
    assert _claim(rig, following).result == ClaimResult.CLAIMED
    _finish(rig, following, lock_of(rig, following))
    assert rig.stored(schedule.id).consecutive_failures == 0


def lock_of(rig: Rig, run: Execution) -> Claim:
    """The claim a run holds (read back: the test claimed it just before)."""
    snapshot = rig.ledger.read_schedule(TENANT, run.schedule_id)
    assert snapshot is not None
    assert snapshot.running_lease_until is not None
    return Claim(
        ClaimResult.CLAIMED, LockKind.HOLD, snapshot.running_lease_until, holds_schedule=True
    )


def test_an_expired_hold_is_taken_over_once_and_fences_the_late_finish(rig: Rig) -> None:
    schedule = _schedule(rig)
    run = _run(schedule, _fire(8))
    crashed = _claim(rig, run, lease=timedelta(seconds=1))
    later = T0 + timedelta(seconds=5)
    stale = rig.ledger.read_schedule(TENANT, schedule.id)
    assert stale is not None
    taker = rig.ledger.claim(
        TENANT, run, stale, now=later, lease_until=later + LEASE, scheduled=True
    )
    assert (taker.result, taker.previous_attempts, taker.finished_record) == (
        ClaimResult.TAKEN_OVER,
        1,
        None,
    )
    second = rig.ledger.claim(
        TENANT, run, stale, now=later, lease_until=later + LEASE, scheduled=True
    )
    assert second.result == ClaimResult.DUPLICATE_RUNNING
    assert _finish(rig, run, taker) is False
    assert _finish(rig, run, crashed) is False  # the crashed attempt, late
    assert rig.stored(schedule.id).total_runs == 1


def test_record_claims_let_fires_overlap_but_not_repeat(rig: Rig) -> None:
    schedule = _schedule(rig, overlap="allow")
    first, second = _run(schedule, _fire(8)), _run(schedule, _fire(9))
    lock = _claim(rig, first)
    assert (lock.result, lock.kind, lock.holds_schedule) == (
        ClaimResult.CLAIMED,
        LockKind.RECORD,
        False,
    )
    assert _claim(rig, second).result == ClaimResult.CLAIMED
    assert _claim(rig, first).result == ClaimResult.DUPLICATE_RUNNING
    record = rig.record(schedule.id, first.id)
    assert record is not None
    assert record.status == ExecutionStatus.RUNNING
    assert _finish(rig, first, lock) is False
    assert _finish(rig, first, lock) is False
    assert rig.stored(schedule.id).total_runs == 1
    record = rig.record(schedule.id, first.id)
    assert record is not None
    assert record.status == ExecutionStatus.SUCCEEDED
    assert _claim(rig, first).result == ClaimResult.DUPLICATE_FINISHED


def test_an_expired_record_is_taken_over_once(rig: Rig) -> None:
    schedule = _schedule(rig, overlap="allow")
    run = _run(schedule, _fire(8))
    crashed = _claim(rig, run, lease=timedelta(seconds=1))
    later = T0 + timedelta(seconds=5)
    taker = _claim(rig, run, now=later)
    assert (taker.result, taker.previous_attempts) == (ClaimResult.TAKEN_OVER, 1)
    assert _claim(rig, run, now=later).result == ClaimResult.DUPLICATE_RUNNING
    _finish(rig, run, taker, failed=True)
    _finish(rig, run, crashed)  # late: neither counts again nor overwrites the record
    assert rig.stored(schedule.id).total_runs == 1
    record = rig.record(schedule.id, run.id)
    assert record is not None
    assert record.status == ExecutionStatus.FAILED


def test_run_now_on_a_skip_schedule_holds_it_too(rig: Rig) -> None:
    schedule = _schedule(rig)
    manual = _run(schedule, T0, run_id="20300107T080000Z-manual-aa")
    lock = _claim(rig, manual)
    assert (lock.result, lock.kind, lock.holds_schedule) == (
        ClaimResult.CLAIMED,
        LockKind.RECORD,
        True,
    )
    other = _claim(rig, _run(schedule, T0, run_id="20300107T080001Z-manual-bb"))
    assert (other.result, other.kind, other.running_execution) == (
        ClaimResult.OVERLAP,
        LockKind.RECORD,
        manual.id,
    )
    assert other.lease_ms  # it owns the RUNNING record it must replace with a skip
    fire = _run(schedule, _fire(8))
    assert _claim(rig, fire).result == ClaimResult.OVERLAP
    _finish(rig, manual, lock)
    assert rig.stored(schedule.id).total_runs == 1
    assert _claim(rig, fire).result == ClaimResult.CLAIMED


def test_completion_only_from_active(rig: Rig) -> None:
    done = _schedule(rig, max_runs=1)
    run = _run(done, _fire(8))
    assert _finish(rig, run, _claim(rig, run), complete=True) is True
    stored = rig.stored(done.id)
    assert (stored.status, stored.version, stored.next_run_at) == (
        ScheduleStatus.COMPLETED,
        4,
        None,
    )
    paused = _schedule(rig, max_runs=1)
    run = _run(paused, _fire(8))
    lock = _claim(rig, run)
    rig.set_status(paused.id, ScheduleStatus.PAUSED)  # paused mid-run
    assert _finish(rig, run, lock, complete=True) is False
    stored = rig.stored(paused.id)
    assert (stored.status, stored.total_runs) == (ScheduleStatus.PAUSED, 1)


def test_a_vanished_schedule_is_gone_to_the_claim(rig: Rig) -> None:
    for overlap in ("skip", "allow"):
        schedule = _schedule(rig, overlap=overlap)
        snapshot = rig.ledger.read_schedule(TENANT, schedule.id)
        assert snapshot is not None
        rig.remove(schedule.id)
        manual = _run(schedule, T0, run_id="20300107T080000Z-manual-cc")
        for run in (_run(schedule, _fire(8)), manual):
            outcome = rig.ledger.claim(
                TENANT,
                run,
                snapshot,
                now=T0,
                lease_until=T0 + LEASE,
                scheduled=run.trigger == Trigger.SCHEDULE,
            )
            expected = ClaimResult.SCHEDULE_GONE if overlap == "skip" else ClaimResult.CLAIMED
            assert outcome.result == expected


def test_a_skip_is_recorded_once_or_replaces_its_own_running_record(rig: Rig) -> None:
    schedule = _schedule(rig, overlap="allow")
    skipped = _run(schedule, _fire(7)).model_copy(
        update={"status": ExecutionStatus.SKIPPED, "skip_reason": "overlap"}
    )
    assert rig.ledger.put_skipped(TENANT, skipped, now=T0) is True
    assert rig.ledger.put_skipped(TENANT, skipped, now=T0) is False
    run = _run(schedule, _fire(8))
    lock = _claim(rig, run)
    as_skip = run.model_copy(update={"status": ExecutionStatus.SKIPPED})
    assert rig.ledger.put_skipped(TENANT, as_skip, now=T0, replacing_lease=lock.lease_ms + 1) is (
        False
    )
    assert rig.ledger.put_skipped(TENANT, as_skip, now=T0, replacing_lease=lock.lease_ms) is True
    record = rig.record(schedule.id, run.id)
    assert record is not None
    assert record.status == ExecutionStatus.SKIPPED


def test_an_excluded_fire_is_counted_once_and_moves_next_run_forward(rig: Rig) -> None:
    schedule = _schedule(rig)
    fire_8, fire_9, fire_10 = (scheduled_execution_id(_fire(h)) for h in (8, 9, 10))
    ledger = rig.ledger

    def passed(run_id: str, next_run_at: datetime | None) -> bool:
        return ledger.pass_excluded_fire(
            TENANT, schedule.id, run_id, next_run_at=next_run_at, now=T0
        )

    assert passed(fire_9, _fire(10)) is False
    assert passed(fire_9, _fire(10)) is False  # a duplicate delivery
    assert passed(fire_8, _fire(9)) is False  # older than the newest counted
    stored = rig.stored(schedule.id)
    assert (stored.skipped_runs, stored.next_run_at) == (1, _fire(10))
    assert passed(fire_10, _fire(9)) is False  # never moves next_run_at back
    stored = rig.stored(schedule.id)
    assert (stored.skipped_runs, stored.next_run_at) == (2, _fire(10))
    rig.set_status(schedule.id, ScheduleStatus.PAUSED)
    assert passed(scheduled_execution_id(_fire(11)), _fire(12)) is False
    stored = rig.stored(schedule.id)
    assert (stored.skipped_runs, stored.next_run_at, stored.status) == (
        3,
        _fire(10),
        ScheduleStatus.PAUSED,
    )
    rig.set_status(schedule.id, ScheduleStatus.ACTIVE)
    assert passed(scheduled_execution_id(_fire(12)), None) is True
    stored = rig.stored(schedule.id)
    assert (stored.status, stored.next_run_at, stored.skipped_runs, stored.version) == (
        ScheduleStatus.COMPLETED,
        None,
        4,
        4,
    )


def test_the_backfill_fence_keeps_the_scheduled_path_off_a_fire(rig: Rig) -> None:
    schedule = _schedule(rig)
    ledger = rig.ledger
    fire_8 = _run(schedule, _fire(8))
    assert ledger.backfill_fence(TENANT, schedule.id, fire_8.id) is True
    assert _claim(rig, fire_8).result == ClaimResult.SUPERSEDED
    fire_9 = _run(schedule, _fire(9))
    lock = _claim(rig, fire_9)
    assert ledger.backfill_fence(TENANT, schedule.id, fire_9.id) is False  # in flight
    _finish(rig, fire_9, lock)
    assert ledger.backfill_fence(TENANT, schedule.id, fire_9.id) is False  # finished last
    assert ledger.backfill_fence(TENANT, schedule.id, fire_8.id) is True  # already past
    assert ledger.backfill_fence(TENANT, new_schedule_id(), fire_8.id) is True  # gone


@pytest.mark.parametrize("overlap", ["skip", "allow"])
def test_concurrent_claims_of_one_fire_have_one_winner(
    rig: Rig, overlap: str, request: pytest.FixtureRequest
) -> None:
    if rig.on_moto:
        request.getfixturevalue("serialized_moto")
    schedule = _schedule(rig, overlap=overlap)
    barrier = threading.Barrier(THREADS)
    results: list[ClaimResult] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(_claim(rig, _run(schedule, _fire(8))).result)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == THREADS
    assert results.count(ClaimResult.CLAIMED) == 1
    assert set(results) <= {ClaimResult.CLAIMED, ClaimResult.DUPLICATE_RUNNING}


@pytest.mark.parametrize("overlap", ["skip", "allow"])
def test_each_take_over_counts_the_attempts_before_it(rig: Rig, overlap: str) -> None:
    schedule = _schedule(rig, overlap=overlap)
    run = _run(schedule, _fire(8))
    brief = timedelta(seconds=1)
    assert _claim(rig, run, lease=brief).result == ClaimResult.CLAIMED
    for attempts, seconds in ((1, 5), (2, 10)):
        taker = _claim(rig, run, now=T0 + timedelta(seconds=seconds), lease=brief)
        assert (taker.result, taker.previous_attempts) == (ClaimResult.TAKEN_OVER, attempts)
