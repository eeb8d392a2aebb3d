"""Missed runs: an ACTIVE schedule's expected run with no execution after its grace
period is reported once (schedule.missed), and its entries are repaired."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from jobscheduler.dal import keys
from jobscheduler.logic.reconcile import run_pass
from tests.integration.api.conftest import assert_consistent
from tests.integration.reconciler.conftest import (
    TENANT,
    Api,
    after_settle,
    create,
    delete_entry,
    parse,
    repaired_kinds,
    schedule_item,
    table,
)

pytestmark = pytest.mark.usefixtures("aws")
GRACE = timedelta(seconds=600)  # the stack's default


def _settled(api: Api, sns_events: Any, **changes: Any) -> dict[str, Any]:
    created = create(api, **changes)
    run_pass(after_settle())  # the write's own check, out of the way
    sns_events.read()
    return created


def _missed(events: list[tuple[dict[str, Any], dict[str, str]]]) -> list[dict[str, Any]]:
    return [body["data"] for body, a in events if a["event_type"] == "schedule.missed"]


def test_missed_run_is_reported_once_and_next_run_moves_on(api: Api, sns_events: Any) -> None:
    created = _settled(api, sns_events)
    expected = parse(created["next_run_at"])
    now = expected + GRACE + timedelta(seconds=1)
    report = run_pass(now)
    assert report.missed == 1
    events = sns_events.read()
    [missed] = _missed(events)
    assert missed["expected_at"] == created["next_run_at"].replace("+00:00", "Z")
    assert missed["execution_id"] == keys.scheduled_execution_id(expected)
    assert missed["grace_seconds"] == 600
    assert "task" not in missed["schedule"]
    moved = parse(str((schedule_item(created["id"]) or {})["next_run_at"]))
    assert moved > now
    assert run_pass(now + timedelta(seconds=1)).missed == 0
    assert _missed(sns_events.read()) == []


def test_not_missed_within_the_grace_period(api: Api, sns_events: Any) -> None:
    created = _settled(api, sns_events)
    expected = parse(created["next_run_at"])
    assert run_pass(expected + GRACE - timedelta(seconds=1)).missed == 0
    assert parse(str((schedule_item(created["id"]) or {})["next_run_at"])) == expected
    assert _missed(sns_events.read()) == []


def test_per_schedule_grace_overrides_the_stack_default(api: Api, sns_events: Any) -> None:
    created = _settled(api, sns_events, missed_run_grace_seconds=3600)
    assert created["missed_run_grace_seconds"] == 3600
    expected = parse(created["next_run_at"])
    assert run_pass(expected + GRACE + timedelta(seconds=1)).missed == 0
    assert run_pass(expected + timedelta(seconds=3601)).missed == 1


def test_deleted_entry_causes_a_missed_run_and_is_restored(api: Api, sns_events: Any) -> None:
    created = _settled(api, sns_events)
    delete_entry(f"{created['id']}-0")
    expected = parse(created["next_run_at"])
    report = run_pass(expected + GRACE + timedelta(seconds=1))
    assert report.missed == 1
    assert report.repairs == {"entry_missing": 1}
    events = sns_events.read()
    assert len(_missed(events)) == 1
    assert repaired_kinds(events) == ["entry_missing"]
    assert_consistent(created["id"])


def test_a_run_that_happened_is_not_missed(api: Api, sns_events: Any) -> None:
    created = _settled(api, sns_events)
    expected = parse(created["next_run_at"])
    execution_id = keys.scheduled_execution_id(expected)
    table().put_item(
        Item={
            **keys.execution_key(TENANT, created["id"], execution_id),
            "id": execution_id,
            "schedule_id": created["id"],
            "status": "SKIPPED",
            "trigger": "schedule",
            "scheduled_time": created["next_run_at"],
        }
    )
    report = run_pass(expected + GRACE + timedelta(seconds=1))
    assert report.missed == 0
    assert report.repairs == {"stale_next_run": 1}
    assert _missed(sns_events.read()) == []


def test_a_run_still_in_flight_is_not_missed(api: Api, sns_events: Any) -> None:
    created = _settled(api, sns_events)
    expected = parse(created["next_run_at"])
    table().update_item(
        Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{created['id']}"},
        UpdateExpression="SET running_execution = :id",
        ExpressionAttributeValues={":id": keys.scheduled_execution_id(expected)},
    )
    report = run_pass(expected + GRACE + timedelta(seconds=1))
    assert report.missed == 0


def test_a_paused_schedule_is_never_missed(api: Api, sns_events: Any) -> None:
    created = _settled(api, sns_events)
    expected = parse(created["next_run_at"])
    assert api.request("pause", path=f"/schedules/{created['id']}/pause", body={}).status == 200
    report = run_pass(expected + GRACE + timedelta(days=1))
    assert report.due == 0
    assert report.missed == 0


def test_handler_runs_a_pass_and_a_sweep(api: Api) -> None:
    from reconciler_handler import lambda_handler
    from tests.integration.api.conftest import FakeContext

    create(api)
    assert lambda_handler({"mode": "pass"}, FakeContext())["mode"] == "pass"
    swept = lambda_handler({"mode": "sweep"}, FakeContext())
    assert swept["mode"] == "sweep"
    assert swept["entries"] == 1
    assert lambda_handler(None, FakeContext())["mode"] == "pass"
