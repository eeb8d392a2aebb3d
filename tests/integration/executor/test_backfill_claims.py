"""Backfill and replay in the executor: a backfilled fire runs once whatever else
delivers it (another backfill, the fire itself, concurrently or later); a replay is a
new execution linked to the original."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobscheduler.dal import executions as records
from jobscheduler.dal import keys
from tests.integration.executor.conftest import TARGET_TOPIC_ARN, TENANT, fire

FIRE = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def backfill(schedule: Any, scheduled_time: datetime = FIRE) -> dict[str, Any]:
    return fire(schedule, scheduled_time, trigger="backfill")


def _runs(target_topic: Any) -> int:
    return len(target_topic.messages())


def test_backfill_runs_a_fire_with_its_own_id(handler, put_schedule, target_topic):
    schedule = put_schedule()
    summary = handler(backfill(schedule))
    assert summary["status"] == "SUCCEEDED"
    assert summary["execution_id"] == keys.scheduled_execution_id(FIRE)
    record = records.get_execution(TENANT, schedule.id, summary["execution_id"])
    assert record is not None
    assert record.trigger == "backfill"
    assert _runs(target_topic) == 1


@pytest.mark.parametrize("overlap", ["skip", "allow"])
def test_a_fire_already_run_is_not_backfilled(handler, put_schedule, target_topic, overlap):
    schedule = put_schedule(overlap=overlap)
    assert handler(fire(schedule, FIRE))["status"] == "SUCCEEDED"
    # A later fire moved the mark past FIRE, so only the record can tell.
    assert handler(fire(schedule, FIRE + timedelta(minutes=5)))["status"] == "SUCCEEDED"
    assert handler(backfill(schedule))["status"] == "DUPLICATE"
    assert _runs(target_topic) == 2


@pytest.mark.parametrize("overlap", ["skip", "allow"])
def test_a_late_delivery_of_a_backfilled_fire_does_not_run(
    handler, put_schedule, target_topic, overlap
):
    schedule = put_schedule(overlap=overlap)
    assert handler(backfill(schedule))["status"] == "SUCCEEDED"
    assert handler(fire(schedule, FIRE))["status"] in ("DUPLICATE", "SKIPPED")
    assert _runs(target_topic) == 1


def test_a_fire_in_flight_is_not_backfilled(handler, put_schedule, table, target_topic):
    schedule = put_schedule()
    lease = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp() * 1000)
    table.update_item(
        Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{schedule.id}"},
        UpdateExpression="SET running_execution = :id, running_lease_until = :lease,"
        " claimed_through = :id",
        ExpressionAttributeValues={":id": keys.scheduled_execution_id(FIRE), ":lease": lease},
    )
    assert handler(backfill(schedule))["status"] == "DUPLICATE"
    assert _runs(target_topic) == 0


def test_backfill_ignores_a_run_holding_the_schedule(handler, put_schedule, table, target_topic):
    """Backfilled fires follow one another; the overlap rule is for live fires."""
    schedule = put_schedule()
    lease = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp() * 1000)
    later = keys.scheduled_execution_id(FIRE + timedelta(hours=1))
    table.update_item(
        Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{schedule.id}"},
        UpdateExpression="SET running_execution = :id, running_lease_until = :lease,"
        " claimed_through = :id",
        ExpressionAttributeValues={":id": later, ":lease": lease},
    )
    assert handler(backfill(schedule))["status"] == "SUCCEEDED"
    assert _runs(target_topic) == 1


@pytest.mark.parametrize("overlap", ["skip", "allow"])
@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_backfills_and_the_fire_itself_run_it_once(
    handler,
    put_schedule,
    target_topic,
    overlap,
    attempt,
    serialized_moto,
):
    schedule = put_schedule(overlap=overlap)
    events = [backfill(schedule) for _ in range(6)] + [fire(schedule, FIRE) for _ in range(2)]
    results: list[str] = []
    barrier = threading.Barrier(len(events))

    def deliver(event: dict[str, Any]) -> None:
        barrier.wait()
        results.append(handler(event)["status"])

    threads = [threading.Thread(target=deliver, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # At most one run; exactly one unless a live delivery lost its hold to a backfill's
    # fence and recorded the fire as superseded first (then none runs, and says so).
    assert results.count("SUCCEEDED") + results.count("SKIPPED") == 1, results
    assert _runs(target_topic) == results.count("SUCCEEDED")


def test_replay_is_a_new_linked_execution(handler, put_schedule, target_topic):
    schedule = put_schedule()
    original = handler(fire(schedule, FIRE))
    retry_id = keys.retry_execution_id(datetime.now(UTC))
    summary = handler(
        fire(
            schedule,
            FIRE,
            trigger="retry",
            execution_id=retry_id,
            retry_of=original["execution_id"],
        )
    )
    assert summary["status"] == "SUCCEEDED"
    assert summary["execution_id"] == retry_id
    record = records.get_execution(TENANT, schedule.id, retry_id)
    assert record is not None
    assert (record.trigger, record.retry_of, record.scheduled_time) == (
        "retry",
        original["execution_id"],
        FIRE,
    )
    # Delivered twice (Lambda's async retry): still one run.
    again = fire(schedule, FIRE, trigger="retry", execution_id=retry_id, retry_of="x")
    assert handler(again)["status"] == "DUPLICATE"
    assert _runs(target_topic) == 2


@pytest.mark.parametrize(
    "extra",
    [
        {"trigger": "retry", "retry_of": "20260101T090000Z"},  # no id
        {"trigger": "retry", "execution_id": "20260101T090000Z", "retry_of": "x"},  # not a retry id
        {"trigger": "retry", "execution_id": "20260101T090000Z-retry-ab12"},  # no retry_of
        {"trigger": "backfill", "execution_id": "20260101T090000Z-retry-ab12"},
    ],
)
def test_malformed_replay_and_backfill_payloads_are_refused(handler, put_schedule, extra):
    from jobscheduler.logic.executor import InvalidPayload

    schedule = put_schedule()
    with pytest.raises(InvalidPayload):
        handler(fire(schedule, FIRE, **extra))


def test_target_topic_is_the_schedule_task(put_schedule):
    assert put_schedule().task.topic_arn == TARGET_TOPIC_ARN
