"""GET /executions: the caller's executions across all its schedules, newest first."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from tests.integration.api.conftest import (
    OTHER_TENANT,
    TENANT,
    Api,
    FakeContext,
    all_items,
    table_name,
)

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _seed(
    schedule_id: str,
    minutes: list[int],
    *,
    tenant: str = TENANT,
    failed: set[int] | None = None,
) -> list[tuple[str, str]]:
    """Finished records at START + each minute, written by the executor's own dal.
    Returns (schedule_id, execution_id) pairs."""
    from jobscheduler.dal import executions as history
    from jobscheduler.dal import keys
    from jobscheduler.models.executions import Execution, ExecutionStatus, Trigger

    out = []
    for minute in minutes:
        when = START + timedelta(minutes=minute)
        status = (
            ExecutionStatus.FAILED if minute in (failed or set()) else ExecutionStatus.SUCCEEDED
        )
        execution_id = keys.scheduled_execution_id(when)
        history.put_skipped(
            tenant,
            Execution(
                id=execution_id,
                schedule_id=schedule_id,
                status=status,
                trigger=Trigger.SCHEDULE,
                scheduled_time=when,
                started_at=when,
                finished_at=when + timedelta(seconds=1),
                duration_ms=1000,
                attempts=1,
            ),
            now=datetime.now(UTC),
        )
        out.append((schedule_id, execution_id))
    return out


def _list(api: Api, tenant: str | None = TENANT, **query: str) -> Any:
    return api.request("executions", path="/executions", query=query, tenant=tenant)


def _all(api: Api, **query: str) -> list[tuple[str, str]]:
    """Follow next_cursor to the end."""
    seen: list[tuple[str, str]] = []
    cursor: str | None = None
    for _ in range(100):
        page = _list(api, **(query | ({"cursor": cursor} if cursor else {})))
        assert page.status == 200, page.text
        seen += [(item["schedule_id"], item["id"]) for item in page.json["items"]]
        cursor = page.json["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


def _newest_first(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(pairs, key=lambda pair: (pair[1], pair[0]), reverse=True)


def test_newest_first_across_schedules_every_page_size(api: Api) -> None:
    a = api.create(name="a")["id"]
    b = api.create(name="b")["id"]
    c = api.create(name="c")["id"]
    # Interleaved in time, and two schedules firing at the same minute (3).
    seeded = _seed(a, [0, 3, 6, 9]) + _seed(b, [1, 3, 7]) + _seed(c, [2, 5])
    expected = _newest_first(seeded)
    assert [pair[1] for pair in expected] == sorted((p[1] for p in seeded), reverse=True)
    for limit in ("1", "2", "3", "100"):
        assert _all(api, limit=limit) == expected, limit
    first = _list(api, limit="3").json
    assert len(first["items"]) == 3
    assert first["next_cursor"]
    # A full Execution, the same shape as a schedule's history.
    same = api.request("executions", path=f"/schedules/{a}/executions", query={"limit": "1"})
    assert first["items"][0] == same.json["items"][0]


def test_filters_status_window_and_schedule(api: Api) -> None:
    a = api.create(name="a")["id"]
    b = api.create(name="b")["id"]
    seeded = _seed(a, [0, 2, 4, 6], failed={2, 6}) + _seed(b, [1, 3, 5], failed={3})

    failed = _all(api, status="FAILED", limit="1")
    assert failed == _newest_first(
        [p for p in seeded if p[1].endswith(("0200Z", "0600Z", "0300Z"))]
    )
    assert {p[0] for p in failed} == {a, b}

    window = _all(
        api,
        since=(START + timedelta(minutes=2)).isoformat(),
        until=(START + timedelta(minutes=4)).isoformat(),
    )
    assert window == _newest_first([p for p in seeded if p[1][11:13] in ("02", "03", "04")])

    only_b = _all(api, schedule_id=b, limit="2")
    assert only_b == _newest_first([p for p in seeded if p[0] == b])
    failed_a_since = _all(
        api, schedule_id=a, status="FAILED", since=(START + timedelta(minutes=3)).isoformat()
    )
    assert failed_a_since == [(a, "20261101T090600Z")]

    # A deleted schedule's history stays readable for its retention, also here.
    assert api.request("delete", path=f"/schedules/{b}").status == 204
    assert _all(api, schedule_id=b) == only_b
    assert len(_all(api)) == len(seeded)


def test_empty_tenant_and_isolation(api: Api) -> None:
    assert _list(api).json == {"items": [], "next_cursor": None}
    mine = api.create(name="mine")["id"]
    theirs = api.create(name="theirs", tenant=OTHER_TENANT)["id"]
    _seed(mine, [0, 1])
    _seed(theirs, [0, 1, 2], tenant=OTHER_TENANT)
    assert {p[0] for p in _all(api)} == {mine}
    other = _list(api, tenant=OTHER_TENANT).json
    assert {item["schedule_id"] for item in other["items"]} == {theirs}
    # Another tenant's schedule id as a filter: not found, nothing leaks.
    refused = _list(api, schedule_id=theirs)
    assert refused.status == 404, refused.text
    assert refused.json["error"]["code"] == "not_found"

    # A cursor is bound to the tenant and to the list it came from.
    cursor = _list(api, tenant=OTHER_TENANT, limit="1").json["next_cursor"]
    stolen = _list(api, cursor=cursor)
    assert stolen.status == 400
    assert stolen.json["error"]["code"] == "invalid_cursor"
    schedule_cursor = api.request(
        "executions", path=f"/schedules/{mine}/executions", query={"limit": "1"}
    ).json["next_cursor"]
    assert _list(api, cursor=schedule_cursor).status == 400
    # ...but a schedule's cursor continues that schedule's list through the filter.
    continued = _list(api, schedule_id=mine, cursor=schedule_cursor)
    assert continued.status == 200
    assert [item["id"] for item in continued.json["items"]] == ["20261101T090000Z"]


def test_forged_cursors_are_refused(api: Api) -> None:
    from jobscheduler.dal import keys

    sid = api.create()["id"]
    _seed(sid, [0, 1, 2])
    cursor = _list(api, limit="1").json["next_cursor"]
    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert set(data["k"]) == {keys.PK, keys.SK, keys.GSI2PK, keys.GSI2SK}

    def forge(**changes: str) -> str:
        key = data["k"] | changes
        raw = json.dumps({"s": data["s"], "k": key}).encode()
        return base64.urlsafe_b64encode(raw).decode()

    for bad in (
        forge(GSI2PK=keys.tenant_executions_pk(OTHER_TENANT)),
        forge(PK=keys.executions_pk(OTHER_TENANT, sid)),
        forge(GSI2SK="SCHEDULE#x"),
        "not base64 at all!",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
    ):
        result = _list(api, cursor=bad)
        assert result.status == 400, (bad, result.text)
        assert result.json["error"]["code"] == "invalid_cursor"


def test_bad_queries_are_4xx(api: Api) -> None:
    for query in (
        {"limit": "0"},
        {"limit": "101"},
        {"status": "DONE"},
        {"since": "yesterday"},
        {"since": "2026-11-01T09:00:00"},  # no offset: ambiguous
        {"schedule_id": "nope"},
        {"schedule_id": "sch_" + "a" * 21},
    ):
        result = _list(api, **query)
        assert 400 <= result.status < 500, (query, result.text)
        assert result.json["error"]["code"], query
    backwards = _list(
        api, since=START.isoformat(), until=(START - timedelta(seconds=1)).isoformat()
    )
    assert backwards.status == 422
    assert backwards.json["error"]["details"]["suggestion"]
    unknown = _list(api, schedule_id="sch_" + "0" * 20)
    assert unknown.status == 404
    assert _list(api, tenant=None).status == 401


def test_served_by_a_query_on_gsi2_never_a_scan(api: Api) -> None:
    from jobscheduler.aws import table

    sid = api.create()["id"]
    _seed(sid, list(range(5)), failed={1, 3})
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(event_name: str, params: dict[str, Any], **_: Any) -> None:
        calls.append((event_name.rsplit(".", 1)[-1], params))

    events = table(table_name()).meta.client.meta.events
    events.register("provide-client-params.dynamodb.*", record)
    try:
        assert len(_all(api, limit="2")) == 5
        assert len(_all(api, status="FAILED")) == 2
        assert len(_all(api, schedule_id=sid)) == 5
    finally:
        events.unregister("provide-client-params.dynamodb.*", record)
    operations = {name for name, _ in calls}
    assert "Scan" not in operations
    queries = [params for name, params in calls if name == "Query"]
    tenant_wide = [q for q in queries if q.get("IndexName") == "GSI2"]
    # 3 pages of 2, and the status filter in one page.
    assert len(tenant_wide) == 4
    assert all(q["ScanIndexForward"] is False for q in queries)
    # The schedule filter reads that schedule's own partition, not the index.
    assert any("IndexName" not in q for q in queries)


def test_dynamodb_failure_is_a_retryable_503(api: Api, inject: Any) -> None:
    sid = api.create()["id"]
    _seed(sid, [0])
    fault = inject("dynamodb", "Query")
    failed = _list(api)
    assert failed.status == 503, failed.text
    assert failed.json["error"]["code"] == "dependency_unavailable"
    assert fault.raised == 1
    assert len(_list(api).json["items"]) == 1


def test_runs_of_the_executor_land_in_the_index(
    api: Api, executor_function: list[dict[str, Any]]
) -> None:
    """Claim (RUNNING), finish and clear all keep the index in step with the history."""
    from executor_handler import lambda_handler as executor

    queue = boto3.client("sqs").create_queue(QueueName="tenant-history")["QueueUrl"]
    task = {"type": "sqs", "queue_url": queue, "message": {"n": 1}}
    first = api.create(name="first", task=task)["id"]
    second = api.create(name="second", task=task)["id"]
    ids = []
    for sid in (first, second, first):
        accepted = api.request("run", path=f"/schedules/{sid}/run")
        assert accepted.status == 202, accepted.text
        ids.append((sid, accepted.json["execution_id"]))
    for invocation in executor_function:
        executor(invocation["Payload"], FakeContext(function_name="executor"))

    page = _list(api).json
    assert [(item["schedule_id"], item["id"]) for item in page["items"]] == _newest_first(ids)
    assert {item["status"] for item in page["items"]} == {"SUCCEEDED"}
    assert {item["trigger"] for item in page["items"]} == {"manual"}
    # Every execution record carries the index keys; nothing else does.
    indexed = [item for item in all_items() if "GSI2PK" in item]
    assert len(indexed) == 3
    assert all(item["SK"].startswith("EXEC#") for item in indexed)

    cleared = api.request(
        "executions",
        path=f"/schedules/{first}/executions",
        method="DELETE",
        query={"confirm": "true"},
    )
    assert cleared.json == {"deleted": 2}
    assert [item["schedule_id"] for item in _list(api).json["items"]] == [second]


def test_in_the_openapi_document(api: Api) -> None:
    document = api.request("health", path="/openapi.json", method="GET").json
    operation = document["paths"]["/executions"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {"status", "since", "until", "limit", "cursor", "schedule_id"}
    assert "200" in operation["responses"]
    assert boto3.client("dynamodb").describe_table(TableName=table_name())["Table"][
        "GlobalSecondaryIndexes"
    ]
