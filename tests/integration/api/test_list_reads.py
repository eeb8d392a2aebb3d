"""Lists served from the narrow indexes: GSI1 and GSI2 hold keys and the attributes their
filters read; the items themselves come from the table with BatchGetItem, in the
index's order, fresh, tenant-isolated, and an item that moved between the Query and
the read is left out rather than shown where it no longer belongs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from tests.integration.api.conftest import OTHER_TENANT, TENANT, Api, table_name


def _names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["items"]]


def _index(name: str) -> dict[str, Any]:
    description = boto3.client("dynamodb").describe_table(TableName=table_name())["Table"]
    indexes = {i["IndexName"]: dict(i) for i in description["GlobalSecondaryIndexes"]}
    return indexes[name]


def test_the_list_indexes_hold_only_what_their_filters_read(api: Api) -> None:
    assert _index("GSI1")["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["status", "task", "tags"],
    }
    assert _index("GSI2")["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["status"],
    }
    created = api.create(name="narrow")
    entries = boto3.client("dynamodb").query(
        TableName=table_name(),
        IndexName="GSI1",
        KeyConditionExpression="GSI1PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"TENANT#{TENANT}#LIVE"}},
    )["Items"]
    assert [e["SK"]["S"] for e in entries] == [f"SCHEDULE#{created['id']}"]
    # What a run changes is not in the index.
    assert {"total_runs", "last_run_at", "next_run_at", "running_execution"}.isdisjoint(entries[0])


def test_list_shows_the_items_as_the_table_holds_them(api: Api) -> None:
    created = api.create(name="counted")
    # What the executor writes (not projected into GSI1) still shows in the list.
    boto3.resource("dynamodb").Table(table_name()).update_item(
        Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{created['id']}"},
        UpdateExpression="SET total_runs = :n, last_status = :s",
        ExpressionAttributeValues={":n": 41, ":s": "FAILED"},
    )
    page = api.request("list", query={}).json
    assert [(i["name"], i["total_runs"], i["last_status"]) for i in page["items"]] == [
        ("counted", 41, "FAILED")
    ]


def test_pages_keep_order_cursor_and_tenant_across_batch_reads(api: Api) -> None:
    names = [f"job-{i:02d}" for i in range(23)]
    for name in reversed(names):
        api.create(name=name)
    for i in range(5):
        api.create(OTHER_TENANT, name=f"job-{i:02d}x")
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "7"} | ({"cursor": cursor} if cursor else {})
        page = api.request("list", query=query).json
        assert len(page["items"]) <= 7
        seen += _names(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == names
    other = api.request("list", query={"limit": "100"}, tenant=OTHER_TENANT).json
    assert _names(other) == [f"job-{i:02d}x" for i in range(5)]


def test_an_item_that_moves_between_index_and_read_is_left_out(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobscheduler.dal import schedules

    kept = api.create(name="kept")
    gone = api.create(name="gone")
    paused = api.create(name="paused")
    original = schedules._index_keys

    def then_writes(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        # Between the Query and the BatchGetItem: one deleted, one paused.
        assert api.request("delete", path=f"/schedules/{gone['id']}").status == 204
        assert api.request("pause", path=f"/schedules/{paused['id']}/pause").status == 200
        monkeypatch.setattr(schedules, "_index_keys", original)
        return found

    monkeypatch.setattr(schedules, "_index_keys", then_writes)
    page = api.request("list", query={"status": "ACTIVE"}).json
    assert _names(page) == [kept["name"]]
    assert _names(api.request("list", query={}).json) == ["kept", "paused"]


def _unprocessed_first(client: Any, keys_left: int, times: int = 1) -> list[int]:
    """Make the first ``times`` BatchGetItem calls leave their last ``keys_left`` keys
    unprocessed (as DynamoDB does under throttling); returns the calls' key counts."""
    sizes: list[int] = []
    real = client.batch_get_item

    def batch_get_item(**request: Any) -> Any:
        name, body = next(iter(request["RequestItems"].items()))
        sizes.append(len(body["Keys"]))
        if len(sizes) > times:
            return real(**request)
        left = min(keys_left, len(body["Keys"]))
        kept = body["Keys"][:-left]
        served = real(RequestItems={name: {"Keys": kept}}) if kept else {"Responses": {}}
        served["UnprocessedKeys"] = {name: {"Keys": body["Keys"][-left:]}}
        return served

    client.batch_get_item = batch_get_item
    return sizes


def test_unprocessed_keys_are_asked_again(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from jobscheduler.aws import table
    from jobscheduler.dal import batch_read

    monkeypatch.setattr(batch_read, "_BACKOFF_SECONDS", 0.0)
    for name in ("a", "b", "c", "d"):
        api.create(name=name)
    client = table(table_name()).meta.client
    sizes = _unprocessed_first(client, keys_left=2)
    try:
        page = api.request("list", query={}).json
    finally:
        del client.batch_get_item
    assert _names(page) == ["a", "b", "c", "d"]
    assert sizes == [4, 2]


def test_keys_left_unprocessed_every_time_answer_503(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobscheduler.aws import table
    from jobscheduler.dal import batch_read

    monkeypatch.setattr(batch_read, "_BACKOFF_SECONDS", 0.0)
    for name in ("a", "b"):
        api.create(name=name)
    client = table(table_name()).meta.client
    sizes = _unprocessed_first(client, keys_left=1, times=100)
    try:
        result = api.request("list", query={})
    finally:
        del client.batch_get_item
    assert result.status == 503
    assert result.error_code == "dependency_unavailable"
    assert len(sizes) == batch_read.MAX_ROUNDS


def test_batch_reads_split_at_one_hundred_keys(aws: Any) -> None:
    from jobscheduler.dal import batch_read

    table = boto3.resource("dynamodb").Table(table_name())
    with table.batch_writer() as writer:
        for i in range(150):
            writer.put_item(Item={"PK": "T#batch", "SK": f"S#{i:03d}", "n": i})
    wanted = [{"PK": "T#batch", "SK": f"S#{i:03d}"} for i in reversed(range(150))]
    wanted.insert(3, {"PK": "T#batch", "SK": "S#missing"})
    wanted.append(dict(wanted[0]))  # a repeated key is read once
    items = batch_read.items_in_order(wanted, action="test")
    assert [int(item["n"]) for item in items] == list(reversed(range(150)))


def test_tenant_executions_come_from_the_records(api: Api) -> None:
    from jobscheduler.dal import executions as history
    from jobscheduler.dal import keys
    from jobscheduler.models.executions import Execution, ExecutionStatus, Trigger

    created = api.create(name="runs")
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    for minute in range(3):
        when = start + timedelta(minutes=minute)
        history.put_skipped(
            TENANT,
            Execution(
                id=keys.scheduled_execution_id(when),
                schedule_id=created["id"],
                status=ExecutionStatus.SUCCEEDED,
                trigger=Trigger.SCHEDULE,
                scheduled_time=when,
                started_at=when,
                finished_at=when + timedelta(seconds=1),
                duration_ms=1000,
                attempts=1,
            ),
            now=datetime.now(UTC),
        )
    page = api.request("executions", path="/executions", query={"limit": "2"}).json
    assert [item["scheduled_time"][11:16] for item in page["items"]] == ["09:02", "09:01"]
    # Every field of the record, not only the index's keys and status.
    assert all(item["duration_ms"] == 1000 and item["attempts"] == 1 for item in page["items"])
    rest = api.request(
        "list", path="/executions", query={"limit": "2", "cursor": page["next_cursor"]}
    ).json
    assert [item["scheduled_time"][11:16] for item in rest["items"]] == ["09:00"]
    assert rest["next_cursor"] is None
    failed = api.request("executions", path="/executions", query={"status": "FAILED"}).json
    assert failed["items"] == []


def test_defaults_are_left_out_of_the_item_and_read_back(api: Api) -> None:
    """Every run writes the schedule item twice, billed per started KB: defaults are not
    stored, the model restores them, and an update back to a default removes it."""
    from tests.integration.api.conftest import DROP, schedule_item

    created = api.create(name="lean", tags={}, retry=DROP)
    sid = created["id"]
    item = schedule_item(sid)
    assert item is not None
    assert {"retry", "tags", "exclude", "exclusions"}.isdisjoint(item)
    shown = api.request("get", path=f"/schedules/{sid}").json
    assert shown["retry"] == created["retry"]
    assert (shown["tags"], shown["exclude"], shown["exclusions"]) == ({}, [], [])

    custom = {**created["retry"], "max_attempts": 5, "backoff_seconds": 2.0}
    for version, body in enumerate(
        ({"retry": custom, "tags": {"team": "ops"}}, {"retry": created["retry"], "tags": {}}),
        start=1,
    ):
        result = api.request(
            "update", path=f"/schedules/{sid}", body=body, headers={"if-match": f'"{version}"'}
        )
        assert result.status == 200, result.text
        stored = schedule_item(sid)
        assert stored is not None
        if version == 1:
            assert stored["retry"]["max_attempts"] == 5
            assert stored["tags"] == {"team": "ops"}
        else:
            assert {"retry", "tags"}.isdisjoint(stored)
        assert result.json["retry"] == body["retry"]
        assert result.json["tags"] == body["tags"]
