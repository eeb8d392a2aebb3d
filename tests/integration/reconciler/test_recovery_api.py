"""POST /schedules/{id}/executions/{execution_id}/retry and POST /schedules/{id}/backfill
through the API handler: what they queue, and how they refuse bad requests."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from jobscheduler.dal import keys
from tests.integration.reconciler.conftest import TENANT, Api, create, table

pytestmark = pytest.mark.usefixtures("aws")


@pytest.fixture
def invokes(executor_function: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every Invoke the API makes (the executor's and, for backfills, the reconciler's)."""
    from jobscheduler.settings import get_settings

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("h.py", "def lambda_handler(event, context):\n    return {}\n")
    role = boto3.client("iam").get_role(RoleName="executor-test-role")["Role"]["Arn"]
    boto3.client("lambda").create_function(
        FunctionName=get_settings().reconciler_function_arn.rsplit(":", 1)[-1],
        Runtime="python3.12",
        Role=role,
        Handler="h.lambda_handler",
        Code={"ZipFile": code.getvalue()},
    )
    return executor_function


def _record(schedule_id: str, execution_id: str, status: str, when: datetime) -> None:
    table().put_item(
        Item={
            **keys.execution_key(TENANT, schedule_id, execution_id),
            "id": execution_id,
            "schedule_id": schedule_id,
            "status": status,
            "trigger": "schedule",
            "scheduled_time": when.isoformat().replace("+00:00", "Z"),
        }
    )


def _hourly(api: Api) -> dict[str, Any]:
    return create(api, schedule="0 * * * *")


# --- replay ---------------------------------------------------------------------------


def test_retry_queues_a_linked_run_with_the_original_time(api: Api, invokes: Any) -> None:
    created = _hourly(api)
    when = datetime(2026, 1, 1, 9, tzinfo=UTC)
    _record(created["id"], "20260101T090000Z", "FAILED", when)
    path = f"/schedules/{created['id']}/executions/20260101T090000Z/retry"
    result = api.request("run", path=path, method="POST")
    assert result.status == 202, result.text
    body = result.json
    assert body["retry_of"] == "20260101T090000Z"
    assert "-retry-" in body["execution_id"]
    assert result.headers["location"].endswith(body["execution_id"])
    [invoke] = invokes
    payload = invoke["Payload"]
    assert invoke["InvocationType"] == "Event"
    assert (payload["trigger"], payload["retry_of"], payload["execution_id"]) == (
        "retry",
        "20260101T090000Z",
        body["execution_id"],
    )
    assert payload["scheduled_time"].startswith("2026-01-01T09:00:00")


def test_retry_refuses_a_running_or_unknown_execution(api: Api, invokes: Any) -> None:
    created = _hourly(api)
    _record(created["id"], "20260101T090000Z", "RUNNING", datetime(2026, 1, 1, 9, tzinfo=UTC))
    base = f"/schedules/{created['id']}/executions"
    running = api.request("run", path=f"{base}/20260101T090000Z/retry", method="POST")
    assert running.status == 409
    assert running.error_code == "invalid_state"
    for missing in ("20260101T100000Z", "../../x", "%00"):
        result = api.request("run", path=f"{base}/{missing}/retry", method="POST")
        assert result.status == 404, (missing, result.text)
    other = api.request(
        "run", path=f"{base}/20260101T090000Z/retry", method="POST", tenant="someone-else"
    )
    assert other.status == 404
    assert invokes == []


# --- backfill -------------------------------------------------------------------------


def test_backfill_queues_the_fires_without_an_execution(api: Api, invokes: Any) -> None:
    created = _hourly(api)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    start = end - timedelta(hours=9)
    _record(created["id"], keys.scheduled_execution_id(start), "SUCCEEDED", start)
    result = api.request(
        "run",
        path=f"/schedules/{created['id']}/backfill",
        method="POST",
        body={"from": start.isoformat(), "to": end.isoformat()},
    )
    assert result.status == 202, result.text
    body = result.json
    assert (body["count"], body["already_run"], body["truncated"]) == (9, 1, False)
    [invoke] = invokes
    payload = invoke["Payload"]
    assert payload["mode"] == "backfill"
    assert payload["schedule_id"] == created["id"]
    fires = payload["fires"]
    assert fires == sorted(fires)
    assert len(fires) == 9
    assert fires[0].startswith((start + timedelta(hours=1)).strftime("%Y-%m-%dT%H"))


def test_backfill_caps_a_request_at_1000_fires(api: Api, invokes: Any) -> None:
    created = _hourly(api)
    end = datetime.now(UTC) - timedelta(hours=1)
    start = end - timedelta(hours=1500)
    result = api.request(
        "run",
        path=f"/schedules/{created['id']}/backfill",
        method="POST",
        body={"from": start.isoformat(), "to": end.isoformat()},
    )
    assert result.status == 202, result.text
    assert result.json["count"] == 1000
    assert result.json["truncated"] is True
    assert result.json["next_from"] > result.json["last"]
    assert len(invokes[0]["Payload"]["fires"]) == 1000


@pytest.mark.parametrize(
    "body",
    [
        {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"},  # backwards
        {"from": "2026-01-01T00:00:00Z", "to": "2999-01-01T00:00:00Z"},  # future
        {"from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00Z"},  # no zone
        {"from": "2026-01-01T00:00:00Z"},
        {"from": "yesterday", "to": "today"},
        {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "extra": 1},
        [],
    ],
)
def test_backfill_refuses_bad_windows(api: Api, invokes: Any, body: Any) -> None:
    created = _hourly(api)
    result = api.request(
        "run", path=f"/schedules/{created['id']}/backfill", method="POST", body=body
    )
    assert result.status == 422, result.text
    assert invokes == []


def test_backfill_of_an_unknown_schedule_is_404(api: Api, invokes: Any) -> None:
    result = api.request(
        "run",
        path="/schedules/sch_00000000000000000000/backfill",
        method="POST",
        body={"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"},
    )
    assert result.status == 404


def test_reconciler_paces_a_backfill(monkeypatch: pytest.MonkeyPatch) -> None:
    from jobscheduler.gateways import executor_invoke
    from jobscheduler.logic.backfill_runner import run_backfill

    sent: list[Any] = []
    monkeypatch.setattr(executor_invoke, "invoke_async", sent.append)
    sleeps: list[float] = []
    fires = [datetime(2026, 1, 1, h, tzinfo=UTC) for h in (3, 1, 2)]
    assert run_backfill(TENANT, "sch_x", fires, sleep=sleeps.append) == {"queued": 3, "failed": 0}
    assert [p.scheduled_time.hour for p in sent] == [1, 2, 3]
    assert {p.trigger for p in sent} == {"backfill"}
    assert sleeps == [0.1, 0.1]
