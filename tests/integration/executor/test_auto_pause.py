"""Auto-pause: N failed runs in a row pause the schedule (item PAUSED with a note, then
its entries DISABLED by the reconciler), publish schedule.auto_paused once; a success
ends the streak and resuming starts it afresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from jobscheduler.dal import codec
from jobscheduler.logic import entries
from jobscheduler.logic.reconcile import run_pass
from jobscheduler.settings import get_settings
from tests.integration.executor.conftest import TARGET_TOPIC_ARN, TENANT, fire

MISSING_TOPIC = "arn:aws:sns:us-east-1:123456789012:missing"


def _failing(put_schedule: Any, **extra: Any) -> Any:
    values: dict[str, Any] = {
        "task": {"type": "sns", "topic_arn": MISSING_TOPIC, "message": "x"},
        "pause_after_failures": 3,
    }
    values.update(extra)
    return put_schedule(**values)


def _stored(table: Any, schedule_id: str) -> Any:
    item = table.get_item(Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{schedule_id}"})
    return codec.schedule_from_item(item["Item"])


def _fire_at(handler: Any, schedule: Any, minutes: int) -> dict[str, Any]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    result: dict[str, Any] = handler(fire(schedule, start + timedelta(minutes=minutes)))
    return result


def test_pauses_after_n_failures_in_a_row(handler, put_schedule, table, lifecycle):
    schedule = _failing(put_schedule)
    for minute in range(2):
        assert _fire_at(handler, schedule, minute * 5)["status"] == "FAILED"
    assert _stored(table, schedule.id).status == "ACTIVE"
    assert _stored(table, schedule.id).consecutive_failures == 2
    assert _fire_at(handler, schedule, 10)["status"] == "FAILED"
    stored = _stored(table, schedule.id)
    assert stored.status == "PAUSED"
    assert stored.next_run_at is None
    assert stored.pause_note is not None
    assert stored.pause_note.startswith("paused automatically after 3 failed runs in a row")
    assert "NotFound" in stored.pause_note
    auto = [
        e for e in lifecycle.events() if e["attributes"]["event_type"] == "schedule.auto_paused"
    ]
    assert len(auto) == 1
    data = auto[0]["cloudevent"]["data"]
    assert data["consecutive_failures"] == 3
    assert data["pause_after_failures"] == 3
    assert "task" not in data["schedule"]
    # The next fire meets a PAUSED schedule: skipped, no second auto-pause.
    assert _fire_at(handler, schedule, 15)["status"] == "SKIPPED"
    assert [
        e for e in lifecycle.events() if e["attributes"]["event_type"] == "schedule.auto_paused"
    ] == auto


def test_a_success_ends_the_streak(handler, put_schedule, table, target_topic):
    schedule = _failing(put_schedule)
    for minute in range(2):
        _fire_at(handler, schedule, minute * 5)
    table.update_item(
        Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{schedule.id}"},
        UpdateExpression="SET task.topic_arn = :ok",
        ExpressionAttributeValues={":ok": TARGET_TOPIC_ARN},
    )
    assert _fire_at(handler, schedule, 10)["status"] == "SUCCEEDED"
    assert _stored(table, schedule.id).consecutive_failures == 0
    assert _stored(table, schedule.id).status == "ACTIVE"


def test_without_the_setting_a_schedule_never_pauses(handler, put_schedule, table):
    schedule = put_schedule(task={"type": "sns", "topic_arn": MISSING_TOPIC, "message": "x"})
    for minute in range(5):
        _fire_at(handler, schedule, minute * 5)
    stored = _stored(table, schedule.id)
    assert stored.status == "ACTIVE"
    assert stored.consecutive_failures == 5


def test_reconciler_disables_the_entries_without_calling_it_drift(handler, put_schedule, table):
    schedule = _failing(put_schedule, pause_after_failures=1)
    entries.apply(entries.entry_specs(schedule, now=datetime.now(UTC)))
    _fire_at(handler, schedule, 0)
    assert _stored(table, schedule.id).status == "PAUSED"
    report = run_pass(datetime.now(UTC) + timedelta(seconds=1))
    assert report.checked == 1
    assert not report.repairs
    entry = boto3.client("scheduler").get_schedule(
        Name=f"{schedule.id}-0", GroupName=get_settings().schedule_group
    )
    assert entry["State"] == "DISABLED"
    item = table.get_item(Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{schedule.id}"})["Item"]
    assert "apply_entries" not in item
    assert "check_at" not in item


def test_a_concurrent_owner_change_wins(handler, put_schedule, table, lifecycle):
    schedule = _failing(put_schedule, pause_after_failures=1)
    from jobscheduler.logic import auto_pause

    stale = schedule.model_copy(update={"version": schedule.version + 7})
    assert not auto_pause.pause(
        TENANT, stale, failures=1, execution_id="x", last_error=None, now=datetime.now(UTC)
    )
    assert _stored(table, schedule.id).status == "ACTIVE"
    assert "schedule.auto_paused" not in lifecycle.types()
