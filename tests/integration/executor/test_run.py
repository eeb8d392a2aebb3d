"""One fire end to end through the handler: record, schedule counters, events, budget."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cloudevents.core.formats.json import JSONFormat

from jobscheduler.dal import codec, keys
from jobscheduler.dal import executions as records
from jobscheduler.models.schedules import ScheduleStatus

from .conftest import TENANT, fire

ROOT = Path(__file__).resolve().parents[3]


def _schedule_item(table, schedule):
    return table.get_item(Key=keys.schedule_key(TENANT, schedule.id))["Item"]


def _executions(schedule):
    return records.list_executions(TENANT, schedule.id, limit=100)[0]


def test_scheduled_sns_run_records_updates_publishes_within_budget(
    handler, put_schedule, table, target_topic, lifecycle, calls
):
    schedule = put_schedule()
    scheduled = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=2)

    summary = handler(fire(schedule, scheduled))
    reads, writes = calls.dynamodb_reads, calls.dynamodb_writes
    publishes = calls.count("sns", {"Publish"})

    assert summary["status"] == "SUCCEEDED"
    assert summary["execution_id"] == keys.scheduled_execution_id(scheduled)
    # The task's own call reached its topic, once.
    delivered = target_topic.messages()
    assert [json.loads(m["Message"]) for m in delivered] == [{"hello": "world"}]

    [record] = _executions(schedule)
    assert record.status == "SUCCEEDED"
    assert record.trigger == "schedule"
    assert record.scheduled_time == scheduled
    assert record.attempts == 1
    assert record.task_type == "sns"
    assert record.result is not None
    assert record.result["message_id"]
    assert record.started_at is not None
    assert record.finished_at is not None
    assert record.duration_ms is not None
    assert record.duration_ms >= 0
    assert record.lateness_ms is not None
    assert record.lateness_ms >= 2000
    raw = table.get_item(Key=keys.execution_key(TENANT, schedule.id, record.id))["Item"]
    assert "lease_until" not in raw
    assert int(raw["expires_at"]) > int((datetime.now(UTC) + timedelta(days=29)).timestamp())

    item = _schedule_item(table, schedule)
    stored = codec.schedule_from_item(item)
    assert stored.total_runs == 1
    assert stored.failed_runs == 0
    assert stored.last_status == "SUCCEEDED"
    assert stored.last_run_at is not None
    assert stored.next_run_at is not None
    assert stored.next_run_at > datetime.now(UTC)
    assert stored.status == ScheduleStatus.ACTIVE
    assert stored.version == schedule.version  # counters do not bump the version
    assert "running_execution" not in item
    assert "running_lease_until" not in item
    assert item["last_finished"] == record.id

    events = lifecycle.events()
    # One publish per run: the outcome (execution.started only when the schedule asks).
    assert [e["cloudevent"]["data"]["event_type"] for e in events] == ["execution.succeeded"]
    final = events[0]
    assert final["attributes"] == {
        "type": "execution.succeeded",
        "event_type": "execution.succeeded",
        "tenant": TENANT,
        "schedule_id": schedule.id,
        "status": "SUCCEEDED",
        "task_type": "sns",
    }
    data = final["cloudevent"]["data"]
    assert data["execution_id"] == record.id
    assert data["attempts"] == 1
    assert data["scheduled_time"] == scheduled.strftime("%Y-%m-%dT%H:%M:%SZ")
    # What a subscriber used to take from execution.started travels with the outcome.
    assert data["started_at"]
    assert data["finished_at"]
    assert data["task_type"] == "sns"
    assert "result" not in data  # what the target answered stays in the record
    assert data["next_run_at"] == stored.next_run_at.strftime("%Y-%m-%dT%H:%M:%SZ")

    # Budget: 1 read, 3 writes, 1 lifecycle publish (the task's publish is extra), plus
    # one refused publish to the tenant's topic: it has none, which the instance then
    # remembers for TENANT_TOPIC_CACHE_SECONDS (docs/subscriptions.md).
    assert (reads, writes, publishes) == (1, 3, 2)
    assert calls.count("ssm") == 0  # no signing secret for a non-HTTP task


def test_events_are_valid_cloudevents(handler, put_schedule, target_topic, lifecycle):
    schedule = put_schedule()
    handler(fire(schedule, datetime.now(UTC) - timedelta(minutes=1)))
    handler(fire(schedule, datetime.now(UTC) - timedelta(seconds=30)))
    messages = [m["Message"] for m in lifecycle.messages()]
    assert len(messages) == 2
    for text in messages:
        event = JSONFormat().read(None, text)  # validates the required attributes
        assert event.get_specversion() == "1.0"
        assert event.get_type().startswith("com.jobscheduler.execution.")
        assert event.get_source() == f"/jobscheduler/tenants/{TENANT}"
        assert event.get_subject() == schedule.id
        assert event.get_id()
        assert event.get_time() is not None
        assert isinstance(event.get_data(), dict)
    assert len({json.loads(m)["id"] for m in messages}) == 2


def test_duplicate_delivery_budget(handler, put_schedule, target_topic, lifecycle, calls):
    schedule = put_schedule()
    event = fire(schedule, datetime.now(UTC) - timedelta(minutes=1))
    handler(event)
    before = len(calls.calls)
    lifecycle.messages()

    assert handler(event)["status"] == "DUPLICATE"

    extra = calls.calls[before:]
    assert sum(1 for s, op in extra if s == "dynamodb" and op == "GetItem") == 1
    # The consistent read shows this fire already finished: no write at all.
    assert sum(1 for s, op in extra if op in ("PutItem", "UpdateItem")) == 0
    assert not any(s == "sns" for s, _ in extra)
    assert len(target_topic.messages()) == 1
    assert len(lifecycle.messages()) == 1  # nothing new


def test_failed_run_counts_and_publishes_failed(handler, put_schedule, table, lifecycle):
    # A topic that does not exist: NotFound is not retryable, so one attempt.
    schedule = put_schedule(
        task={
            "type": "sns",
            "topic_arn": "arn:aws:sns:us-east-1:123456789012:missing",
            "message": "x",
        }
    )
    summary = handler(fire(schedule, datetime.now(UTC)))
    assert summary["status"] == "FAILED"
    [record] = _executions(schedule)
    assert record.attempts == 1
    assert record.error
    assert "NotFound" in record.error
    stored = codec.schedule_from_item(_schedule_item(table, schedule))
    assert (stored.total_runs, stored.failed_runs, stored.last_status) == (1, 1, "FAILED")
    events = lifecycle.events()
    assert events[-1]["attributes"]["event_type"] == "execution.failed"
    assert events[-1]["attributes"]["status"] == "FAILED"
    assert events[-1]["cloudevent"]["data"]["error"] == record.error


def test_publish_failure_does_not_lose_the_record(handler, put_schedule, target_topic, monkeypatch):
    from botocore.exceptions import ClientError

    from jobscheduler.gateways import scheduler_cleanup

    def broken(event):
        raise ClientError({"Error": {"Code": "InternalError", "Message": "down"}}, "Publish")

    monkeypatch.setattr(scheduler_cleanup, "publish", broken)
    schedule = put_schedule()
    assert handler(fire(schedule, datetime.now(UTC)))["status"] == "SUCCEEDED"
    assert [e.status for e in _executions(schedule)] == ["SUCCEEDED"]


def test_malformed_payload_is_raised(handler, put_schedule):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        handler({"tenant": TENANT})
    with pytest.raises(ValidationError):
        handler({"tenant": TENANT, "schedule_id": "s", "scheduled_time": "not a time"})
    with pytest.raises(ValidationError):
        handler(
            {"tenant": TENANT, "schedule_id": "s", "scheduled_time": "2026-01-01T00:00:00Z", "x": 1}
        )


def test_payload_that_cannot_run_is_raised(handler, put_schedule):
    from jobscheduler.logic.executor import InvalidPayload

    schedule = put_schedule()
    with pytest.raises(InvalidPayload):
        handler(fire(schedule, datetime.now(UTC), trigger="manual", execution_id="EXEC#../x"))
    with pytest.raises(InvalidPayload):
        handler(fire(schedule, datetime.now(UTC), execution_id="20260101T000000Z"))
    assert _executions(schedule) == []


def test_sample_events_parse(handler, put_schedule, target_topic):
    from jobscheduler.models.executions import ExecutorPayload

    for name in ("scheduler-fire.json", "manual-run.json"):
        event = json.loads((ROOT / "events" / name).read_text())
        payload = ExecutorPayload.model_validate(event)
        assert payload.scheduled_time.tzinfo is not None
    # A missing schedule: the sample fire is recorded as skipped, not raised.
    fire_event = json.loads((ROOT / "events" / "scheduler-fire.json").read_text())
    assert handler(fire_event)["status"] == "SKIPPED"


def test_sequence_through_the_handler_keeps_each_step(handler, put_schedule, target_topic):
    ok = {"type": "sns", "topic_arn": target_topic.topic_arn, "message": "step"}
    refused = {"type": "http", "url": "http://169.254.169.254/latest/meta-data/"}
    schedule = put_schedule(
        task={
            "type": "sequence",
            "steps": [
                {"id": "notify", "task": ok},
                {"id": "fetch", "task": refused, "depends_on": ["notify"]},
                {"id": "after-fetch", "task": ok, "depends_on": ["fetch"]},
                {"id": "independent", "task": ok},
            ],
        }
    )
    summary = handler(fire(schedule, datetime.now(UTC)))
    assert summary["status"] == "FAILED"
    [record] = _executions(schedule)
    assert record.task_type == "sequence"
    assert record.steps is not None
    assert [(s.id, s.status) for s in record.steps] == [
        ("notify", "SUCCEEDED"),
        ("fetch", "FAILED"),
        ("after-fetch", "SKIPPED"),
        ("independent", "SUCCEEDED"),
    ]
    assert record.error is not None
    assert record.error.startswith("step fetch:")
    assert record.attempts == 3
    assert len(target_topic.messages()) == 2


def test_remaining_lambda_time_bounds_the_run(handler, put_schedule, allow_loopback):
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        schedule = put_schedule(
            task={
                "type": "http",
                "url": f"http://127.0.0.1:{silent.getsockname()[1]}/",
                "timeout_seconds": 60,
            },
            retry={"max_attempts": 5},
        )
        started = time.monotonic()
        # 6 s left, 3 s kept back to record the result: about 3 s for the task.
        summary = handler(fire(schedule, datetime.now(UTC)), remaining_ms=6000)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert summary["status"] == "TIMED_OUT"
    # Unbounded, 5 attempts of a 60 s timeout would take minutes; the deadline (~3 s
    # after the start) cuts the first attempt and leaves no time for a second one.
    assert elapsed < 10
    [record] = _executions(schedule)
    assert record.status == "TIMED_OUT"
    assert record.attempts == 1


def test_http_run_budget_and_cached_secret(
    handler, put_schedule, http_server, allow_loopback, calls
):
    schedule = put_schedule(task={"type": "http", "url": http_server.url})
    first = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    handler(fire(schedule, first))
    cold_ssm = calls.count("ssm")
    before = len(calls.calls)
    handler(fire(schedule, first + timedelta(minutes=5)))
    warm = calls.calls[before:]
    assert cold_ssm == 2  # GetParameter (missing) + PutParameter, once per container
    assert not any(s == "ssm" for s, _ in warm)
    assert sum(1 for s, op in warm if s == "dynamodb" and op == "GetItem") == 1
    assert sum(1 for s, op in warm if op in ("PutItem", "UpdateItem")) == 3
    assert sum(1 for s, op in warm if s == "sns") == 1  # the outcome event only
    assert len(http_server.requests) == 2
