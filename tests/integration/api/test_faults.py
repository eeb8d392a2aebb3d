"""Fault injection at each step of create, update, pause, resume and delete: the client
gets a retryable 503 and DynamoDB and EventBridge Scheduler agree afterwards."""

from __future__ import annotations

from typing import Any

from tests.integration.api.conftest import (
    Api,
    EventQueue,
    all_items,
    assert_consistent,
    entries,
    quota,
    schedule_item,
)


def _assert_503(result: Any) -> None:
    assert result.status == 503, result.text
    error = result.json["error"]
    assert error["code"] == "dependency_unavailable"
    assert error["details"]["retryable"] is True


def _only_schedule_id() -> str | None:
    ids = [item["id"] for item in all_items() if item["SK"].startswith("SCHEDULE#")]
    assert len(ids) <= 1
    return ids[0] if ids else None


# --- create -------------------------------------------------------------------------------


def test_create_item_write_fails(api: Api, inject: Any, sns_events: EventQueue) -> None:
    fault = inject("dynamodb", "TransactWriteItems")
    _assert_503(api.request("create"))
    assert fault.raised == 1
    assert all_items() == []
    assert entries() == {}
    assert sns_events.read() == []


def test_create_entry_fails_is_undone(api: Api, inject: Any, sns_events: EventQueue) -> None:
    fault = inject("scheduler", "CreateSchedule")
    _assert_503(api.request("create"))
    assert fault.raised == 1
    assert _only_schedule_id() is None
    assert entries() == {}
    assert quota() == 0
    assert sns_events.read() == []
    # The quota unit came back: creating works again.
    assert api.request("create").status == 201


def test_create_second_entry_fails_deletes_the_first(api: Api, inject: Any) -> None:
    fault = inject("scheduler", "CreateSchedule", on=(2,))
    body = api.request("create").json  # warm-up: not affected (one part)
    assert fault.raised == 0
    _assert_503(
        api.request(
            "create",
            body={**_body(), "schedule": "0 9 1 * MON", "timezone": "UTC"},
        )
    )
    assert fault.raised == 1
    assert set(entries()) == {f"{body['id']}-0"}
    assert [i["id"] for i in all_items() if i["SK"].startswith("SCHEDULE#")] == [body["id"]]
    assert quota() == 1


def _body() -> dict[str, Any]:
    from tests.integration.api.conftest import create_body

    return create_body()


def test_create_activation_fails_is_undone(api: Api, inject: Any) -> None:
    fault = inject("dynamodb", "UpdateItem")
    _assert_503(api.request("create"))
    assert fault.raised == 1
    assert all_items() == [] or quota() == 0
    assert _only_schedule_id() is None
    assert entries() == {}


def test_create_with_failed_undo_leaves_a_visible_pending_schedule_delete_repairs(
    api: Api, inject: Any
) -> None:
    inject("dynamodb", "UpdateItem")  # activation fails
    inject("scheduler", "DeleteSchedule")  # and so does the undo of the entry
    _assert_503(api.request("create"))

    sid = _only_schedule_id()
    assert sid is not None
    item = schedule_item(sid)
    assert item is not None
    assert item["status"] == "PENDING"
    # Never an entry for a schedule the API does not show: the API shows it, PENDING.
    assert api.request("get", path=f"/schedules/{sid}").json["status"] == "PENDING"
    assert_consistent(sid)

    assert api.request("delete", path=f"/schedules/{sid}").status == 204
    assert entries() == {}
    assert quota() == 0
    assert_consistent(sid)


def test_publish_failure_does_not_fail_or_undo_the_write(
    api: Api, inject: Any, sns_events: EventQueue
) -> None:
    fault = inject("sns", "Publish")
    result = api.request("create")
    assert result.status == 201, result.text
    assert fault.raised == 1
    sid = result.json["id"]
    assert schedule_item(sid)["status"] == "ACTIVE"  # type: ignore[index]
    assert_consistent(sid)
    assert sns_events.read() == []
    # Later events flow again.
    assert api.request("pause", path=f"/schedules/{sid}/pause").status == 200
    assert sns_events.types() == ["schedule.paused"]


# --- update -------------------------------------------------------------------------------


def test_update_entry_fails_restores_old_entries(api: Api, inject: Any) -> None:
    sid = api.create(schedule="0 9 1 * MON", timezone="UTC")["id"]
    before = {n: e["ScheduleExpression"] for n, e in entries().items()}
    fault = inject("scheduler", "UpdateSchedule")

    _assert_503(api.request("update", path=f"/schedules/{sid}"))

    assert fault.raised == 1
    assert {n: e["ScheduleExpression"] for n, e in entries().items()} == before
    item = schedule_item(sid)
    assert item is not None
    assert item["version"] == 1
    assert_consistent(sid)


def test_update_stale_part_delete_fails_restores_both_parts(api: Api, inject: Any) -> None:
    sid = api.create(schedule="0 9 1 * MON", timezone="UTC")["id"]
    before = {n: e["ScheduleExpression"] for n, e in entries().items()}
    inject("scheduler", "DeleteSchedule")

    _assert_503(api.request("update", path=f"/schedules/{sid}"))

    assert {n: e["ScheduleExpression"] for n, e in entries().items()} == before
    assert_consistent(sid)


def test_update_item_write_fails_restores_entries(
    api: Api, inject: Any, sns_events: EventQueue
) -> None:
    sid = api.create(schedule="0 9 1 * MON", timezone="UTC")["id"]
    before = {n: e["ScheduleExpression"] for n, e in entries().items()}
    sns_events.read()
    fault = inject("dynamodb", "UpdateItem")

    _assert_503(api.request("update", path=f"/schedules/{sid}"))

    assert fault.raised == 1
    assert {n: e["ScheduleExpression"] for n, e in entries().items()} == before
    assert schedule_item(sid)["version"] == 1  # type: ignore[index]
    assert_consistent(sid)
    assert sns_events.read() == []


def test_concurrent_update_loses_and_entries_follow_the_winner(api: Api) -> None:
    """Two PATCHes read version 1; the loser's entries are replaced by the winner's."""
    from jobscheduler.dal import schedules as store

    sid = api.create()["id"]
    real_update = store.update
    calls = {"n": 0}

    def racing_update(schedule: Any, fields: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            # The winner's PATCH lands between our entries write and our item write.
            winner = api.request(
                "update", path=f"/schedules/{sid}", body={"schedule": "rate(2 hours)"}
            )
            assert winner.status == 200, winner.text
        return real_update(schedule, fields, **kwargs)

    import pytest

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "update", racing_update)
        loser = api.request("update", path=f"/schedules/{sid}")

    assert loser.status == 409
    assert loser.json["error"]["code"] == "version_conflict"
    item = schedule_item(sid)
    assert item is not None
    assert item["expressions"] == ["rate(2 hours)"]
    assert_consistent(sid)


# --- pause / resume -----------------------------------------------------------------------


def test_pause_item_write_fails(api: Api, inject: Any) -> None:
    sid = api.create()["id"]
    inject("dynamodb", "UpdateItem")
    _assert_503(api.request("pause", path=f"/schedules/{sid}/pause"))
    assert schedule_item(sid)["status"] == "ACTIVE"  # type: ignore[index]
    assert_consistent(sid)


def test_pause_entry_fails_reverts_the_item(api: Api, inject: Any, sns_events: EventQueue) -> None:
    sid = api.create()["id"]
    sns_events.read()
    fault = inject("scheduler", "CreateSchedule")

    _assert_503(api.request("pause", path=f"/schedules/{sid}/pause"))

    assert fault.raised == 1
    item = schedule_item(sid)
    assert item is not None
    assert item["status"] == "ACTIVE"
    assert "pause_note" not in item
    assert item["next_run_at"]
    assert_consistent(sid)
    assert sns_events.read() == []


def test_pause_with_failed_revert_converges_and_pausing_again_is_idempotent(
    api: Api, inject: Any
) -> None:
    sid = api.create()["id"]
    inject("scheduler", "UpdateSchedule")  # disabling the entry fails
    inject("dynamodb", "UpdateItem", on=(2,))  # and so does the revert to ACTIVE

    _assert_503(api.request("pause", path=f"/schedules/{sid}/pause"))

    # The item stays PAUSED; the compensation then converges the entries to it.
    assert schedule_item(sid)["status"] == "PAUSED"  # type: ignore[index]
    assert entries()[f"{sid}-0"]["State"] == "DISABLED"
    assert_consistent(sid)

    again = api.request("pause", path=f"/schedules/{sid}/pause")
    assert again.status == 200, again.text
    assert_consistent(sid)


def test_resume_entry_fails(api: Api, inject: Any) -> None:
    sid = api.create()["id"]
    api.request("pause", path=f"/schedules/{sid}/pause")
    fault = inject("scheduler", "UpdateSchedule")

    _assert_503(api.request("resume", path=f"/schedules/{sid}/resume"))

    assert fault.raised == 1
    assert schedule_item(sid)["status"] == "PAUSED"  # type: ignore[index]
    assert_consistent(sid)


def test_resume_item_write_fails_disables_the_entry_again(api: Api, inject: Any) -> None:
    sid = api.create()["id"]
    api.request("pause", path=f"/schedules/{sid}/pause")
    fault = inject("dynamodb", "UpdateItem")

    _assert_503(api.request("resume", path=f"/schedules/{sid}/resume"))

    assert fault.raised == 1
    assert schedule_item(sid)["status"] == "PAUSED"  # type: ignore[index]
    assert entries()[f"{sid}-0"]["State"] == "DISABLED"
    assert_consistent(sid)


# --- delete -------------------------------------------------------------------------------


def test_delete_item_write_fails(api: Api, inject: Any) -> None:
    sid = api.create()["id"]
    inject("dynamodb", "TransactWriteItems")
    _assert_503(api.request("delete", path=f"/schedules/{sid}"))
    assert schedule_item(sid)["status"] == "ACTIVE"  # type: ignore[index]
    assert quota() == 1
    assert_consistent(sid)


def test_delete_entry_fails_then_a_repeated_delete_cleans_up(
    api: Api, inject: Any, sns_events: EventQueue
) -> None:
    sid = api.create()["id"]
    sns_events.read()
    inject("scheduler", "DeleteSchedule")

    _assert_503(api.request("delete", path=f"/schedules/{sid}"))

    # The API already shows it deleted; the leftover entry only fires into a skip.
    assert schedule_item(sid)["status"] == "DELETED"  # type: ignore[index]
    assert api.request("get", path=f"/schedules/{sid}").status == 404
    assert f"{sid}-0" in entries()
    assert quota() == 0
    assert sns_events.types() == ["schedule.deleted"]

    assert api.request("delete", path=f"/schedules/{sid}").status == 204
    assert entries() == {}
    assert quota() == 0
    assert sns_events.read() == []
    assert_consistent(sid)


def test_read_failures_are_503(api: Api, inject: Any) -> None:
    sid = api.create()["id"]
    inject("dynamodb", "Query", on=(1, 2))
    inject("dynamodb", "GetItem", on=(1,))
    _assert_503(api.request("get", path=f"/schedules/{sid}"))
    _assert_503(api.request("list", query={}))
    _assert_503(api.request("executions", path=f"/schedules/{sid}/executions", query={}))
    assert api.request("list", query={}).status == 200
