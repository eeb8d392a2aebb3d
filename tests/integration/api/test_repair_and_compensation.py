"""Bugs after the first write are compensated like dependency failures; a PENDING
schedule left by a half-failed create is repaired by resume; an item that no longer
fits the model does not break its tenant's list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from tests.integration.api.conftest import (
    TENANT,
    Api,
    EventQueue,
    all_items,
    assert_consistent,
    create_body,
    entries,
    quota,
    schedule_item,
    table_name,
)


def _bug(*_: Any, **__: Any) -> Any:
    raise RuntimeError("bug")


def test_a_bug_after_the_item_is_written_undoes_the_create(
    api: Api, monkeypatch: pytest.MonkeyPatch, sns_events: EventQueue
) -> None:
    from jobscheduler.dal import schedules as store

    monkeypatch.setattr(store, "update", _bug)  # activation raises something unexpected

    result = api.request("create")

    assert result.status == 500
    assert result.json["error"]["code"] == "internal_error"
    assert all_items() == [] or quota() == 0
    assert [i for i in all_items() if i["SK"].startswith("SCHEDULE#")] == []
    assert entries() == {}
    assert sns_events.read() == []


def test_a_bug_after_pause_writes_the_item_reverts_it(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobscheduler.logic import entries as entry_logic

    sid = api.create()["id"]
    real_apply = entry_logic.apply
    calls = {"n": 0}

    def apply_once_broken(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("bug")
        real_apply(*args, **kwargs)

    monkeypatch.setattr(entry_logic, "apply", apply_once_broken)
    result = api.request("pause", path=f"/schedules/{sid}/pause")

    assert result.status == 500
    assert schedule_item(sid)["status"] == "ACTIVE"  # type: ignore[index]
    assert_consistent(sid)


def _stuck_pending(api: Api, inject: Any) -> str:
    inject("dynamodb", "UpdateItem")  # activation fails
    inject("scheduler", "DeleteSchedule")  # and so does the undo of the entry
    assert api.request("create").status == 503
    [item] = [i for i in all_items() if i["SK"].startswith("SCHEDULE#")]
    assert item["status"] == "PENDING"
    return str(item["id"])


def test_resume_repairs_a_stuck_pending_schedule(
    api: Api, inject: Any, monkeypatch: pytest.MonkeyPatch, sns_events: EventQueue
) -> None:
    from jobscheduler.logic import pending
    from jobscheduler.logic.schedules import common

    sid = _stuck_pending(api, inject)
    sns_events.read()

    # While its create could still be running, resume refuses (409) and changes nothing.
    young = api.request("resume", path=f"/schedules/{sid}/resume")
    assert young.status == 409
    assert young.json["error"]["code"] == "schedule_pending"
    assert "resume" in young.json["error"]["message"]
    assert schedule_item(sid)["status"] == "PENDING"  # type: ignore[index]

    later = datetime.now(UTC) + pending.PENDING_ABANDONED_AFTER + timedelta(seconds=1)
    monkeypatch.setattr(common, "now_utc", lambda: later)
    repaired = api.request("resume", path=f"/schedules/{sid}/resume")

    assert repaired.status == 200, repaired.text
    assert repaired.json["status"] == "ACTIVE"
    assert_consistent(sid)
    assert quota() == 1
    assert sns_events.types() == ["schedule.created"]
    # Idempotent, and an ordinary schedule from now on.
    assert api.request("resume", path=f"/schedules/{sid}/resume").status == 200
    assert api.request("pause", path=f"/schedules/{sid}/pause").status == 200
    assert_consistent(sid)


def test_list_leaves_out_an_item_that_no_longer_fits_the_model(api: Api) -> None:
    good = api.create(name="good")["id"]
    bad = api.create(name="bad")["id"]
    boto3.resource("dynamodb").Table(table_name()).update_item(
        Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{bad}"},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "HALF_BAKED"},
    )
    result = api.request("list", query={})
    assert result.status == 200, result.text
    assert [s["id"] for s in result.json["items"]] == [good]


def test_the_store_refuses_an_item_with_an_empty_key() -> None:
    from jobscheduler.dal.codec import schedule_to_item
    from jobscheduler.errors import ValidationFailed
    from jobscheduler.models.schedules import Schedule

    body = create_body()
    now = datetime.now(UTC)
    schedule = Schedule.model_validate(
        {
            **body,
            "id": "sch_00000000000000000000",
            "tenant": TENANT,
            "status": "ACTIVE",
            "kind": "recurring",
            "expressions": ["rate(1 hour)"],
            "created_at": now,
            "updated_at": now,
        }
    )
    # Past the API's validation (model_copy does not validate): the store still refuses.
    broken = schedule.model_copy(
        update={"task": schedule.task.model_copy(update={"body": {"a": {"": 1}}})}
    )
    with pytest.raises(ValidationFailed, match=r"schedule\.task\.body\.a has an empty key"):
        schedule_to_item(broken)
