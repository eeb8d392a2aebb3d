"""GET/DELETE /schedules/{id}/executions and GET .../executions/{execution_id}."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from tests.integration.api.conftest import OTHER_TENANT, TENANT, Api, FakeContext


def _seed(schedule_id: str, count: int, start: datetime) -> list[str]:
    """Execution records as the executor writes them (through its own dal)."""
    from jobscheduler.dal import executions as history
    from jobscheduler.dal import keys
    from jobscheduler.models.executions import Execution, ExecutionStatus, Trigger

    ids = []
    for index in range(count):
        when = start + timedelta(minutes=index)
        execution_id = keys.scheduled_execution_id(when)
        status = ExecutionStatus.FAILED if index % 2 else ExecutionStatus.SUCCEEDED
        history.put_skipped(
            TENANT,
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
                error="boom" if status == ExecutionStatus.FAILED else None,
            ),
            now=datetime.now(UTC),
        )
        ids.append(execution_id)
    return ids


def test_run_now_lands_in_the_history(api: Api, executor_function: list[dict[str, Any]]) -> None:
    from executor_handler import lambda_handler as executor

    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="run-now-target")["QueueUrl"]
    sid = api.create(task={"type": "sqs", "queue_url": queue, "message": {"hello": "world"}})["id"]
    accepted = api.request("run", path=f"/schedules/{sid}/run")
    assert accepted.status == 202
    execution_id = accepted.json["execution_id"]

    # What Lambda would deliver asynchronously: the payload the API sent.
    executor(executor_function[0]["Payload"], FakeContext(function_name="executor"))

    page = api.request("executions", path=f"/schedules/{sid}/executions", query={})
    assert page.status == 200, page.text
    [record] = page.json["items"]
    assert record["id"] == execution_id
    assert record["trigger"] == "manual"
    assert record["status"] == "SUCCEEDED"
    one = api.request("execution-get", path=f"/schedules/{sid}/executions/{execution_id}")
    assert one.status == 200
    assert one.json == record
    message = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    assert json.loads(message["Body"]) == {"hello": "world"}


def test_list_newest_first_with_filters_and_cursor(api: Api) -> None:
    sid = api.create()["id"]
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    ids = _seed(sid, 7, start)

    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        result = api.request("executions", path=f"/schedules/{sid}/executions", query=query)
        assert result.status == 200, result.text
        seen += [item["id"] for item in result.json["items"]]
        cursor = result.json["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))

    failed = api.request("executions", path=f"/schedules/{sid}/executions")  # sample: FAILED
    assert [item["status"] for item in failed.json["items"]] == ["FAILED"] * 3

    window = api.request(
        "executions",
        path=f"/schedules/{sid}/executions",
        query={
            "since": (start + timedelta(minutes=2)).isoformat(),
            "until": (start + timedelta(minutes=4)).isoformat(),
        },
    )
    assert [item["id"] for item in window.json["items"]] == list(reversed(ids[2:5]))

    backwards = api.request(
        "executions",
        path=f"/schedules/{sid}/executions",
        query={"since": start.isoformat(), "until": (start - timedelta(days=1)).isoformat()},
    )
    assert backwards.status == 422


def test_bad_cursor_other_tenant_and_missing_execution(api: Api) -> None:
    sid = api.create()["id"]
    _seed(sid, 3, datetime(2026, 11, 1, tzinfo=UTC))
    other = api.create(name="other")["id"]
    _seed(other, 3, datetime(2026, 11, 1, tzinfo=UTC))
    cursor = api.request(
        "executions", path=f"/schedules/{sid}/executions", query={"limit": "1"}
    ).json["next_cursor"]
    assert cursor

    wrong_schedule = api.request(
        "executions", path=f"/schedules/{other}/executions", query={"cursor": cursor}
    )
    assert wrong_schedule.status == 400
    assert wrong_schedule.json["error"]["code"] == "invalid_cursor"
    schedules_cursor = base64.urlsafe_b64encode(b'{"k":{},"s":"schedules"}').decode()
    assert (
        api.request(
            "executions",
            path=f"/schedules/{sid}/executions",
            query={"cursor": schedules_cursor},
        ).status
        == 400
    )
    assert (
        api.request("executions", path=f"/schedules/{sid}/executions", tenant=OTHER_TENANT).status
        == 404
    )
    assert (
        api.request("execution-get", path=f"/schedules/{sid}/executions/20990101T000000Z").json[
            "error"
        ]["code"]
        == "not_found"
    )
    assert (
        api.request(
            "execution-get",
            path=f"/schedules/{sid}/executions/20261101T000000Z",
            tenant=OTHER_TENANT,
        ).status
        == 404
    )


def test_clear_needs_confirmation_and_history_survives_delete(api: Api) -> None:
    sid = api.create()["id"]
    _seed(sid, 4, datetime(2026, 11, 1, tzinfo=UTC))
    path = f"/schedules/{sid}/executions"

    refused = api.request("executions", path=path, method="DELETE", query={})
    assert refused.status == 400
    assert refused.json["error"]["code"] == "confirmation_required"
    assert len(api.request("executions", path=path, query={}).json["items"]) == 4

    # Deleting the schedule keeps the history readable.
    assert api.request("delete", path=f"/schedules/{sid}").status == 204
    assert len(api.request("executions", path=path, query={}).json["items"]) == 4

    other = api.request(
        "executions", path=path, method="DELETE", query={"confirm": "true"}, tenant=OTHER_TENANT
    )
    assert other.status == 404
    cleared = api.request("executions", path=path, method="DELETE", query={"confirm": "true"})
    assert cleared.status == 200, cleared.text
    assert cleared.json == {"deleted": 4}
    assert api.request("executions", path=path, query={}).json == {
        "items": [],
        "next_cursor": None,
    }
