"""Exactly one run per fire: duplicates, crashed attempts, overlap, late fires, run-now,
completion."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from jobscheduler.dal import codec, keys, runs
from jobscheduler.dal import executions as records
from jobscheduler.models.executions import Execution, ExecutionStatus, Trigger
from jobscheduler.models.ids import scheduler_entry_name
from jobscheduler.models.schedules import ScheduleKind, ScheduleStatus
from jobscheduler.settings import get_settings

from .conftest import TENANT, fire


def _executions(schedule):
    return records.list_executions(TENANT, schedule.id, limit=100)[0]


def _stored(table, schedule):
    return codec.schedule_from_item(
        table.get_item(Key=keys.schedule_key(TENANT, schedule.id))["Item"]
    )


@pytest.mark.parametrize("deliveries", [1, 2, 3, 5])
def test_sequential_duplicates_run_once(handler, put_schedule, target_topic, lifecycle, deliveries):
    schedule = put_schedule()
    event = fire(schedule, datetime.now(UTC) - timedelta(minutes=1))
    statuses = [handler(event)["status"] for _ in range(deliveries)]
    assert statuses == ["SUCCEEDED"] + ["DUPLICATE"] * (deliveries - 1)
    assert len(target_topic.messages()) == 1
    assert [e.status for e in _executions(schedule)] == ["SUCCEEDED"]
    assert lifecycle.types() == ["execution.succeeded"]


@pytest.mark.parametrize(("deliveries", "overlap"), [(2, "skip"), (5, "skip"), (5, "allow")])
def test_concurrent_duplicates_run_once(
    handler, put_schedule, target_topic, table, deliveries, overlap, serialized_moto
):
    schedule = put_schedule(overlap=overlap)
    event = fire(schedule, datetime.now(UTC) - timedelta(minutes=1))
    barrier = threading.Barrier(deliveries)
    results: list[str] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(handler(event)["status"])
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(deliveries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == ["DUPLICATE"] * (deliveries - 1) + ["SUCCEEDED"]
    assert len(target_topic.messages()) == 1
    assert [e.status for e in _executions(schedule)] == ["SUCCEEDED"]
    assert _stored(table, schedule).total_runs == 1


def _running(schedule, scheduled, *, lease: datetime, attempts: int = 1) -> None:
    """The claim a crashed or still-running attempt leaves (the schedule's hold for
    overlap=skip, a RUNNING record for overlap=allow)."""
    record = Execution(
        id=keys.scheduled_execution_id(scheduled),
        schedule_id=schedule.id,
        status=ExecutionStatus.RUNNING,
        trigger=Trigger.SCHEDULE,
        scheduled_time=scheduled,
        started_at=scheduled,
        attempts=attempts,
        task_type=schedule.task_type,
    )
    snapshot = runs.read_schedule(TENANT, schedule.id)
    assert snapshot is not None
    outcome = runs.claim(
        TENANT,
        record,
        snapshot,
        now=lease - timedelta(minutes=5),
        lease_until=lease,
        scheduled=True,
    )
    assert outcome.result == runs.ClaimResult.CLAIMED


def test_crashed_attempt_is_taken_over(handler, put_schedule, target_topic, table, lifecycle):
    schedule = put_schedule()
    scheduled = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    # The first delivery claimed, then died (timeout, crash): its lease has expired.
    _running(schedule, scheduled, lease=datetime.now(UTC) - timedelta(seconds=1))

    summary = handler(fire(schedule, scheduled, attempt_number="2"))

    assert summary["status"] == "SUCCEEDED"
    [record] = _executions(schedule)
    assert record.status == "SUCCEEDED"
    assert record.attempts == 2  # the crashed delivery's attempt and ours
    assert len(target_topic.messages()) == 1
    stored = _stored(table, schedule)
    assert stored.total_runs == 1
    item = table.get_item(Key=keys.schedule_key(TENANT, schedule.id))["Item"]
    assert "running_execution" not in item
    # A further duplicate after the take-over does nothing.
    assert handler(fire(schedule, scheduled))["status"] == "DUPLICATE"


@pytest.mark.parametrize("overlap", ["skip", "allow"])
def test_duplicate_of_a_live_run_is_skipped_without_a_record(
    handler, put_schedule, target_topic, table, lifecycle, overlap
):
    schedule = put_schedule(overlap=overlap)
    scheduled = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    _running(schedule, scheduled, lease=datetime.now(UTC) + timedelta(minutes=5))

    summary = handler(fire(schedule, scheduled))

    assert summary == {
        "execution_id": keys.scheduled_execution_id(scheduled),
        "status": "DUPLICATE",
        "detail": "duplicate_running",
    }
    # overlap=skip: the schedule's hold is the lock, the record comes at the finish.
    expected = ["RUNNING"] if overlap == "allow" else []
    assert [e.status for e in _executions(schedule)] == expected
    assert target_topic.messages() == []
    assert lifecycle.messages() == []


def test_overlap_skip_records_skipped(handler, put_schedule, target_topic, table, lifecycle):
    schedule = put_schedule(overlap="skip")
    earlier = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    _running(schedule, earlier, lease=datetime.now(UTC) + timedelta(minutes=5))
    later = earlier + timedelta(minutes=5)

    summary = handler(fire(schedule, later))

    assert summary["status"] == "SKIPPED"
    assert summary["detail"] == "overlap"
    skipped = records.get_execution(TENANT, schedule.id, keys.scheduled_execution_id(later))
    assert skipped is not None
    assert skipped.status == "SKIPPED"
    assert skipped.skip_reason == "overlap"
    assert skipped.error
    assert keys.scheduled_execution_id(earlier) in skipped.error
    assert target_topic.messages() == []
    events = lifecycle.events()
    assert [e["attributes"]["event_type"] for e in events] == ["execution.skipped"]
    assert events[0]["attributes"]["status"] == "SKIPPED"
    assert events[0]["cloudevent"]["data"]["skip_reason"] == "overlap"
    # Not a run: the counters stay.
    assert _stored(table, schedule).total_runs == 0
    # A duplicate of the skipped fire records nothing new (the holder, overlap=skip, has
    # no record until it finishes).
    assert handler(fire(schedule, later))["status"] == "DUPLICATE"
    assert [e.status for e in _executions(schedule)] == ["SKIPPED"]


def test_overlap_after_the_holder_lease_expired_runs(handler, put_schedule, target_topic):
    schedule = put_schedule(overlap="skip")
    earlier = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    _running(schedule, earlier, lease=datetime.now(UTC) - timedelta(minutes=1))
    assert handler(fire(schedule, earlier + timedelta(minutes=5)))["status"] == "SUCCEEDED"


def test_overlap_allow_runs_alongside(handler, put_schedule, target_topic, table, calls):
    schedule = put_schedule(overlap="allow")
    earlier = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    _running(schedule, earlier, lease=datetime.now(UTC) + timedelta(minutes=5))
    before = len(calls.calls)

    assert handler(fire(schedule, earlier + timedelta(minutes=5)))["status"] == "SUCCEEDED"

    assert len(target_topic.messages()) == 1
    # Allow: the claim is a single conditional PutItem, the schedule is not held.
    ops = [op for s, op in calls.calls[before:] if s == "dynamodb"]
    assert ops == ["GetItem", "PutItem", "UpdateItem", "UpdateItem"]
    statuses = sorted(e.status for e in _executions(schedule))
    assert statuses == ["RUNNING", "SUCCEEDED"]


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (ScheduleStatus.PAUSED, "schedule_paused"),
        (ScheduleStatus.DELETED, "schedule_deleted"),
        (ScheduleStatus.PENDING, "schedule_pending"),
        (ScheduleStatus.COMPLETED, "schedule_completed"),
    ],
)
def test_late_fire_of_a_schedule_that_cannot_run_is_skipped(
    handler, put_schedule, target_topic, lifecycle, table, status, reason, calls
):
    schedule = put_schedule(status=status)
    scheduled = datetime.now(UTC) - timedelta(minutes=3)

    summary = handler(fire(schedule, scheduled))

    assert summary["status"] == "SKIPPED"
    assert summary["detail"] == reason
    [record] = _executions(schedule)
    assert record.status == "SKIPPED"
    assert record.skip_reason == reason
    assert record.task_type == "sns"
    assert target_topic.messages() == []
    assert lifecycle.types() == ["execution.skipped"]
    assert _stored(table, schedule).total_runs == 0
    assert calls.dynamodb_writes == 1
    # The same late fire again: recorded once, published once.
    assert handler(fire(schedule, scheduled))["status"] == "DUPLICATE"
    assert len(_executions(schedule)) == 1
    assert lifecycle.messages()
    assert len(lifecycle.seen) == 1


def test_fire_of_a_missing_schedule_is_skipped(handler, aws, lifecycle):
    event = {
        "tenant": TENANT,
        "schedule_id": "sch_00000000000000000000",
        "scheduled_time": "2026-01-01T00:00:00Z",
    }
    assert handler(event)["detail"] == "schedule_not_found"
    [record] = records.list_executions(TENANT, "sch_00000000000000000000")[0]
    assert record.skip_reason == "schedule_not_found"
    events = lifecycle.events()
    assert events[0]["attributes"]["task_type"] == "unknown"


def test_fire_of_a_completed_schedule_retries_the_entry_cleanup(handler, put_schedule, aws):
    schedule = put_schedule(status=ScheduleStatus.COMPLETED)
    _create_entries(schedule, 1)
    handler(fire(schedule, datetime.now(UTC)))
    assert _entries(schedule) == []


def test_manual_run_uses_the_given_id_and_keeps_next_run(
    handler, put_schedule, target_topic, table, lifecycle
):
    next_run = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=3)
    schedule = put_schedule(next_run_at=next_run, status=ScheduleStatus.PAUSED)
    requested = datetime.now(UTC).replace(microsecond=0)
    execution_id = keys.manual_execution_id(requested)
    event = {
        "tenant": TENANT,
        "schedule_id": schedule.id,
        "trigger": "manual",
        "scheduled_time": requested.isoformat(),
        "execution_id": execution_id,
    }

    assert handler(event)["status"] == "SUCCEEDED"
    assert handler(event)["status"] == "DUPLICATE"

    record = records.get_execution(TENANT, schedule.id, execution_id)
    assert record is not None
    assert record.trigger == "manual"
    assert record.lateness_ms is None
    stored = _stored(table, schedule)
    assert stored.next_run_at == next_run
    assert stored.total_runs == 1
    assert stored.status == ScheduleStatus.PAUSED  # run-now works on a paused schedule
    assert len(target_topic.messages()) == 1


def test_manual_run_of_a_deleted_schedule_is_skipped(handler, put_schedule, target_topic):
    schedule = put_schedule(status=ScheduleStatus.DELETED)
    event = {
        "tenant": TENANT,
        "schedule_id": schedule.id,
        "trigger": "manual",
        "scheduled_time": datetime.now(UTC).isoformat(),
        "execution_id": keys.manual_execution_id(datetime.now(UTC)),
    }
    assert handler(event)["detail"] == "schedule_deleted"
    assert target_topic.messages() == []


# --- completion ---------------------------------------------------------------------


def _create_entries(schedule, parts):
    scheduler = boto3.client("scheduler")
    for part in range(parts):
        scheduler.create_schedule(
            Name=scheduler_entry_name(schedule.id, part),
            GroupName=get_settings().schedule_group,
            ScheduleExpression=schedule.expressions[min(part, len(schedule.expressions) - 1)],
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={
                "Arn": "arn:aws:lambda:us-east-1:123456789012:function:executor",
                "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            },
        )


def _entries(schedule):
    scheduler = boto3.client("scheduler")
    listed = scheduler.list_schedules(GroupName=get_settings().schedule_group)["Schedules"]
    return [s["Name"] for s in listed if s["Name"].startswith(schedule.id)]


def test_one_off_completes_and_removes_its_entries(
    handler, put_schedule, target_topic, table, lifecycle
):
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    schedule = put_schedule(
        kind=ScheduleKind.ONE_TIME,
        schedule=at.isoformat(),
        expressions=[f"at({at.strftime('%Y-%m-%dT%H:%M:%S')})"],
        next_run_at=at,
    )
    _create_entries(schedule, 1)

    assert handler(fire(schedule, at))["status"] == "SUCCEEDED"

    stored = _stored(table, schedule)
    assert stored.status == ScheduleStatus.COMPLETED
    assert stored.next_run_at is None
    assert stored.version == schedule.version + 1
    assert _entries(schedule) == []
    assert lifecycle.types() == ["execution.succeeded", "schedule.completed"]
    # A stray later fire is skipped.
    assert handler(fire(schedule, at + timedelta(minutes=1)))["detail"] == "schedule_completed"


def test_max_runs_completes(handler, put_schedule, target_topic, table):
    schedule = put_schedule(
        max_runs=2,
        expressions=["cron(0/5 * * * ? *)", "cron(1/5 * * * ? *)"],
        schedule="two parts",
    )
    _create_entries(schedule, 2)
    base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    handler(fire(schedule, base))
    assert _stored(table, schedule).status == ScheduleStatus.ACTIVE
    assert len(_entries(schedule)) == 2
    handler(fire(schedule, base + timedelta(minutes=5)))
    stored = _stored(table, schedule)
    assert (stored.status, stored.total_runs) == (ScheduleStatus.COMPLETED, 2)
    assert _entries(schedule) == []


def test_end_at_reached_completes(handler, put_schedule, target_topic, table):
    now = datetime.now(UTC).replace(microsecond=0)
    end = now + timedelta(seconds=30)
    # A rate runs on a grid of whole minutes from its creation: created ten minutes
    # past a minute, its next run is 50 minutes away whatever the clock's seconds.
    created = (now - timedelta(days=1, minutes=10)).replace(second=0)
    schedule = put_schedule(
        expressions=["rate(1 hour)"], schedule="rate(1 hour)", end_at=end, created_at=created
    )
    _create_entries(schedule, 1)
    handler(fire(schedule, datetime.now(UTC) - timedelta(seconds=5)))
    stored = _stored(table, schedule)
    assert stored.status == ScheduleStatus.COMPLETED
    assert _entries(schedule) == []


def test_completion_does_not_override_a_pause_made_mid_run(
    handler, put_schedule, target_topic, table, monkeypatch
):
    """The one-off is paused while it runs: the run is recorded, the status stays."""
    from jobscheduler.logic import executor, runner

    at = datetime.now(UTC).replace(microsecond=0)
    schedule = put_schedule(kind=ScheduleKind.ONE_TIME, expressions=["at(2026-01-01T00:00:00)"])
    real_run = runner.run_task

    def run_then_pause(task, ctx):
        outcome = real_run(task, ctx)
        table.update_item(
            Key=keys.schedule_key(TENANT, schedule.id),
            UpdateExpression="SET #s = :p",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":p": "PAUSED"},
        )
        return outcome

    monkeypatch.setattr(executor, "run_task", run_then_pause)
    assert handler(fire(schedule, at))["status"] == "SUCCEEDED"
    stored = _stored(table, schedule)
    assert stored.status == ScheduleStatus.PAUSED
    assert stored.total_runs == 1
    assert [e.status for e in _executions(schedule)] == ["SUCCEEDED"]


def test_schedule_removed_mid_run_still_records_the_run(
    handler, put_schedule, target_topic, table, monkeypatch
):
    from jobscheduler.logic import executor, runner

    schedule = put_schedule(overlap="allow")
    real_run = runner.run_task

    def run_then_remove(task, ctx):
        outcome = real_run(task, ctx)
        table.delete_item(Key=keys.schedule_key(TENANT, schedule.id))
        return outcome

    monkeypatch.setattr(executor, "run_task", run_then_remove)
    assert handler(fire(schedule, datetime.now(UTC)))["status"] == "SUCCEEDED"
    assert [e.status for e in _executions(schedule)] == ["SUCCEEDED"]
    assert "Item" not in table.get_item(Key=keys.schedule_key(TENANT, schedule.id))


def test_duplicate_with_overlap_allow_costs_one_read_one_write(
    handler, put_schedule, target_topic, calls
):
    schedule = put_schedule(overlap="allow")
    event = fire(schedule, datetime.now(UTC) - timedelta(minutes=1))
    handler(event)
    before = len(calls.calls)
    assert handler(event)["status"] == "DUPLICATE"
    ops = [op for s, op in calls.calls[before:] if s == "dynamodb"]
    # The failed conditional put returns the existing item: no second read.
    assert ops == ["GetItem", "PutItem"]


def test_schedule_removed_between_read_and_claim_is_skipped(
    handler, put_schedule, target_topic, table, monkeypatch
):
    schedule = put_schedule()
    real_read = runs.read_schedule

    def read_then_remove(tenant, schedule_id):
        snapshot = real_read(tenant, schedule_id)
        table.delete_item(Key=keys.schedule_key(TENANT, schedule.id))
        return snapshot

    monkeypatch.setattr(runs, "read_schedule", read_then_remove)
    summary = handler(fire(schedule, datetime.now(UTC)))
    assert summary["detail"] == "schedule_not_found"
    assert target_topic.messages() == []
    [record] = _executions(schedule)
    assert record.status == "SKIPPED"


def test_manual_run_reaching_max_runs_completes(handler, put_schedule, target_topic, table):
    schedule = put_schedule(
        max_runs=1, next_run_at=datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    )
    _create_entries(schedule, 1)
    requested = datetime.now(UTC)
    event = {
        "tenant": TENANT,
        "schedule_id": schedule.id,
        "trigger": "manual",
        "scheduled_time": requested.isoformat(),
        "execution_id": keys.manual_execution_id(requested),
    }
    assert handler(event)["status"] == "SUCCEEDED"
    stored = _stored(table, schedule)
    assert stored.status == ScheduleStatus.COMPLETED
    assert stored.next_run_at is None
    assert _entries(schedule) == []
