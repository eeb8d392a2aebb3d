"""Each drift kind, injected, then repaired by a reconciler pass (with its events)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobscheduler.logic.reconcile import run_pass
from jobscheduler.logic.reconcile_sweep import run_sweep
from tests.integration.api.conftest import assert_consistent, create_body, quota
from tests.integration.reconciler.conftest import (
    TENANT,
    Api,
    after_settle,
    create,
    delete_entry,
    entries,
    repaired_kinds,
    schedule_item,
    set_entry_state,
    table,
)

pytestmark = pytest.mark.usefixtures("aws")


def test_a_fresh_write_is_checked_once_then_leaves_the_index(api: Api, sns_events: Any) -> None:
    created = create(api)
    assert "check_at" in (schedule_item(created["id"]) or {})
    sns_events.read()
    report = run_pass(after_settle())
    assert report.checked == 1
    assert not report.repairs
    assert "check_at" not in (schedule_item(created["id"]) or {})
    assert run_pass(after_settle()).checked == 0
    assert sns_events.types() == []


def test_not_checked_before_the_settle_delay(api: Api) -> None:
    created = create(api)
    delete_entry(f"{created['id']}-0")
    assert run_pass(datetime.now(UTC)).checked == 0
    assert f"{created['id']}-0" not in entries()


def test_deleted_entry_is_restored(api: Api, sns_events: Any) -> None:
    created = create(api)
    delete_entry(f"{created['id']}-0")
    sns_events.read()
    report = run_pass(after_settle())
    assert report.repairs == {"entry_missing": 1}
    assert_consistent(created["id"])
    assert repaired_kinds(sns_events.read()) == ["entry_missing"]


def test_disabled_entry_of_an_active_schedule_is_enabled(api: Api, sns_events: Any) -> None:
    created = create(api)
    set_entry_state(f"{created['id']}-0", "DISABLED")
    sns_events.read()
    assert run_pass(after_settle()).repairs == {"entry_state": 1}
    assert entries()[f"{created['id']}-0"]["State"] == "ENABLED"
    assert repaired_kinds(sns_events.read()) == ["entry_state"]


def test_enabled_entry_of_a_paused_schedule_is_disabled(api: Api) -> None:
    created = create(api)
    paused = api.request("pause", path=f"/schedules/{created['id']}/pause", body={})
    assert paused.status == 200, paused.text
    set_entry_state(f"{created['id']}-0", "ENABLED")
    assert run_pass(after_settle()).repairs == {"entry_state": 1}
    assert_consistent(created["id"])


def test_entry_left_by_a_failed_delete_is_removed(api: Api, inject: Any, sns_events: Any) -> None:
    created = create(api)
    inject("scheduler", "DeleteSchedule", on=(1,))
    deleted = api.request("delete", path=f"/schedules/{created['id']}")
    assert deleted.status in (204, 503), deleted.text
    assert f"{created['id']}-0" in entries()  # the failed call left it
    sns_events.read()
    assert run_pass(after_settle()).repairs == {"entry_orphan": 1}
    assert entries() == {}
    assert repaired_kinds(sns_events.read()) == ["entry_orphan"]


def test_stuck_pending_create_is_rolled_back(api: Api, inject: Any, sns_events: Any) -> None:
    inject("scheduler", "CreateSchedule", on=(1,))
    inject("scheduler", "DeleteSchedule", on=(1,))  # and so does the API's undo
    failed = api.request("create", body=create_body(name="stuck", schedule="rate(1 hour)"))
    assert failed.status == 503, failed.text
    pending = [i for i in table().scan()["Items"] if i.get("status") == "PENDING"]
    assert len(pending) == 1
    assert quota() == 1
    sns_events.read()
    report = run_pass(after_settle())
    assert report.repairs == {"pending_rolled_back": 1}
    assert [i for i in table().scan()["Items"] if str(i["SK"]).startswith("SCHEDULE#")] == []
    assert quota() == 0
    assert entries() == {}
    assert repaired_kinds(sns_events.read()) == ["pending_rolled_back"]


def test_a_failed_repair_is_postponed_not_dropped(api: Api, inject: Any) -> None:
    created = create(api)
    delete_entry(f"{created['id']}-0")
    inject("scheduler", "CreateSchedule", on=(1,))
    now = after_settle()
    report = run_pass(now)
    assert report.failed == 1
    assert not report.repairs
    assert run_pass(now).checked == 0  # postponed, not retried on every pass
    later = run_pass(now + timedelta(seconds=200))
    assert later.repairs == {"entry_missing": 1}
    assert_consistent(created["id"])


def test_a_newer_write_keeps_its_own_check(api: Api) -> None:
    created = create(api)
    item = schedule_item(created["id"]) or {}
    first = str(item["check_at"])
    from jobscheduler.dal import reconcile_index

    table().update_item(
        Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{created['id']}"},
        UpdateExpression="SET check_at = :later",
        ExpressionAttributeValues={":later": "2999-01-01T00:00:00Z"},
    )
    assert not reconcile_index.clear_check(TENANT, created["id"], first)
    assert (schedule_item(created["id"]) or {})["check_at"] == "2999-01-01T00:00:00Z"


def test_sweep_deletes_entries_whose_item_is_gone(api: Api) -> None:
    keep = create(api, name="keep")
    gone = create(api, name="gone")
    run_pass(after_settle())
    table().delete_item(Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{gone['id']}"})
    report = run_sweep(datetime.now(UTC), sleep=lambda _s: None)
    assert report.orphans_deleted == 1
    assert report.finished
    assert set(entries()) == {f"{keep['id']}-0"}


def test_sweep_is_bounded_and_resumes(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from jobscheduler.settings import reset_settings

    for index in range(5):
        create(api, name=f"s{index}")
    monkeypatch.setenv("RECONCILE_SWEEP_BATCH", "2")
    reset_settings()
    sleeps: list[float] = []
    seen = 0
    for _ in range(3):
        report = run_sweep(datetime.now(UTC), sleep=sleeps.append)
        assert report.entries <= 2
        seen += report.entries
    assert seen == 5
    assert report.finished
    assert len(sleeps) == 5
    assert all(s > 0 for s in sleeps)


def test_sweep_queues_items_without_the_due_index(api: Api) -> None:
    created = create(api)
    run_pass(after_settle())
    table().update_item(
        Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{created['id']}"},
        UpdateExpression="REMOVE due_pk",
    )
    assert run_sweep(datetime.now(UTC), sleep=lambda _s: None).queued_for_check == 1
    assert "due_pk" in (schedule_item(created["id"]) or {})
    assert run_pass(datetime.now(UTC) + timedelta(seconds=1)).checked == 1
