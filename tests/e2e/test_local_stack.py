"""The local stack over real HTTP: schedules fire (or not) on time, as Scheduler would,
and the executions API and the SNS events say so.

The scheduled entries are created by a module fixture at the start, the other tests run
while the every-minute cron waits for its boundary, and the cron's assertions come last:
the module stays near the ~65 s the cron needs.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, EventQueue, Stack, Webhooks, subprocess_env, wait_for

pytestmark = pytest.mark.e2e

FINAL = {"SUCCEEDED", "FAILED", "SKIPPED", "TIMED_OUT"}


@dataclass
class Scenario:
    events: EventQueue
    one_off: dict[str, Any]
    one_off_at: datetime
    failing: dict[str, Any]
    cron: dict[str, Any]
    paused: dict[str, Any]
    created_at: datetime


def _http_task(url: str) -> dict[str, Any]:
    return {"type": "http", "url": url, "method": "POST", "body": {"hello": "e2e"}}


def _create(stack: Stack, body: dict[str, Any]) -> dict[str, Any]:
    status, schedule = stack.request("POST", "/schedules", body)
    assert status == 201, schedule
    return dict(schedule)


def _executions(stack: Stack, schedule_id: str) -> list[dict[str, Any]]:
    status, page = stack.request("GET", f"/schedules/{schedule_id}/executions")
    assert status == 200, page
    return list(page["items"])


def _final(stack: Stack, schedule_id: str, count: int = 1) -> list[dict[str, Any]]:
    items = [e for e in _executions(stack, schedule_id) if e["status"] in FINAL]
    return items if len(items) >= count else []


@pytest.fixture(scope="module")
def scenario(local_stack: Stack, webhooks: Webhooks) -> Scenario:
    events = EventQueue(local_stack)
    # A one-off due in 2 seconds (at() has one-second resolution: a whole second).
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    one_off = _create(
        local_stack,
        {
            "name": "one-off",
            "schedule": iso,
            "task": _http_task(webhooks.url + "/ok/one-off"),
            "notify_started": True,  # opts into execution.started (off by default)
        },
    )
    failing = _create(
        local_stack,
        {
            "name": "failing webhook",
            "schedule": iso,
            "task": _http_task(webhooks.url + "/fail"),
            "retry": {"max_attempts": 2, "backoff_seconds": 0.1},
        },
    )
    cron = _create(
        local_stack,
        {
            "name": "every minute",
            "schedule": "* * * * *",
            "task": _http_task(webhooks.url + "/ok/cron"),
        },
    )
    paused = _create(
        local_stack,
        {
            "name": "paused",
            "schedule": "* * * * *",
            "task": _http_task(webhooks.url + "/ok/paused"),
        },
    )
    status, body = local_stack.request("POST", f"/schedules/{paused['id']}/pause", {"note": "e2e"})
    assert status == 200, body
    assert body["status"] == "PAUSED"
    return Scenario(events, one_off, when, failing, cron, paused, datetime.now(UTC))


def test_one_off_fires_on_time_and_succeeds(local_stack: Stack, scenario: Scenario) -> None:
    done = wait_for(lambda: _final(local_stack, scenario.one_off["id"]), timeout=15)
    assert done, local_stack.output()
    (execution,) = done
    assert execution["status"] == "SUCCEEDED", execution
    assert execution["trigger"] == "schedule"
    assert execution["scheduled_time"] == scenario.one_off_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert 0 <= execution["lateness_ms"] <= 1000, execution
    assert wait_for(
        lambda: ("execution.succeeded", "SUCCEEDED") in scenario.events.of(scenario.one_off["id"]),
        timeout=5,
    ), scenario.events.events
    kinds = [kind for kind, _ in scenario.events.of(scenario.one_off["id"])]
    assert kinds[0] == "schedule.created"
    assert "execution.started" in kinds
    # ActionAfterCompletion DELETE: the Scheduler entry is gone once it has run.
    scheduler = local_stack.client("scheduler")
    assert wait_for(
        lambda: (
            not [
                s
                for s in scheduler.list_schedules()["Schedules"]
                if s["Name"].startswith(scenario.one_off["id"])
            ]
        ),
        timeout=5,
    )


def test_failing_webhook_ends_failed_after_retries(
    local_stack: Stack, scenario: Scenario, webhooks: Webhooks
) -> None:
    done = wait_for(lambda: _final(local_stack, scenario.failing["id"]), timeout=20)
    assert done, local_stack.output()
    (execution,) = done
    assert execution["status"] == "FAILED", execution
    assert execution["attempts"] == 2
    assert "500" in (execution["error"] or "")
    assert webhooks.hits("/fail") == 2
    assert wait_for(
        lambda: ("execution.failed", "FAILED") in scenario.events.of(scenario.failing["id"]),
        timeout=5,
    ), scenario.events.events
    # notify_started not set: the outcome is the run's only event.
    kinds = [kind for kind, _ in scenario.events.of(scenario.failing["id"])]
    assert "execution.started" not in kinds


def test_lambda_invoke_api_runs_the_template_functions(local_stack: Stack) -> None:
    client = local_stack.client("lambda")
    event = json.loads((ROOT / "events" / "api-health.json").read_text())
    for name in ("job-scheduler-local-api", "ApiFunction"):
        response = client.invoke(FunctionName=name, Payload=json.dumps(event).encode())
        assert response["StatusCode"] == 200
        assert "FunctionError" not in response
        result = json.loads(response["Payload"].read())
        assert result["statusCode"] == 200
        assert json.loads(result["body"])["status"] == "ok"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="not-a-function", Payload=b"{}")


def test_run_now_lands_in_history(local_stack: Stack, webhooks: Webhooks) -> None:
    schedule = _create(
        local_stack,
        {
            "name": "manual",
            "schedule": "0 0 1 1 *",
            "task": _http_task(webhooks.url + "/ok/manual"),
        },
    )
    status, body = local_stack.request("POST", f"/schedules/{schedule['id']}/run")
    assert status == 202, body
    execution_id = body["execution_id"]

    def finished() -> dict[str, Any] | None:
        code, item = local_stack.request(
            "GET", f"/schedules/{schedule['id']}/executions/{execution_id}"
        )
        return item if code == 200 and item["status"] in FINAL else None

    execution = wait_for(finished, timeout=15)
    assert execution, local_stack.output()
    assert execution["status"] == "SUCCEEDED"
    assert execution["trigger"] == "manual"
    assert webhooks.hits("/ok/manual") == 1
    # Run-now does not move the next scheduled run.
    status, after = local_stack.request("GET", f"/schedules/{schedule['id']}")
    assert after["next_run_at"] == schedule["next_run_at"]


def test_other_tenant_does_not_see_schedules(local_stack: Stack, scenario: Scenario) -> None:
    status, body = local_stack.request("GET", f"/schedules/{scenario.cron['id']}", token="mallory")
    assert status == 404, body
    assert set(body["error"]) == {"code", "message", "details"}


def test_invoke_cli_uses_the_running_stack(local_stack: Stack) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "local.invoke", "ApiFunction", "events/api-health.json"],
        cwd=ROOT,
        env=subprocess_env(MOTO_PORT=str(local_stack.moto_port)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "using the running local stack" in result.stderr
    assert json.loads(result.stdout)["statusCode"] == 200


def test_cron_fires_at_the_minute_boundary_and_paused_never_fires(
    local_stack: Stack, scenario: Scenario, webhooks: Webhooks
) -> None:
    # The first boundary strictly after the cron was created.
    boundary = datetime.fromtimestamp(
        math.floor(scenario.created_at.timestamp() / 60) * 60 + 60, UTC
    )
    remaining = (boundary - datetime.now(UTC)).total_seconds()
    done = wait_for(
        lambda: _final(local_stack, scenario.cron["id"]), timeout=max(remaining, 0) + 15
    )
    assert done, local_stack.output()
    execution = done[-1]  # newest first: the last item is the first run
    assert execution["scheduled_time"] == boundary.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert execution["status"] == "SUCCEEDED", execution
    assert 0 <= execution["lateness_ms"] <= 1000, execution
    assert webhooks.hits("/ok/cron") >= 1
    assert wait_for(
        lambda: ("execution.succeeded", "SUCCEEDED") in scenario.events.of(scenario.cron["id"]),
        timeout=5,
    )
    # The paused schedule: no execution, no execution event, no webhook call.
    time.sleep(1)
    assert _executions(local_stack, scenario.paused["id"]) == []
    paused_events = scenario.events.of(scenario.paused["id"])
    assert ("schedule.paused", "PAUSED") in paused_events
    assert not [kind for kind, _ in paused_events if kind.startswith("execution.")]
    assert webhooks.hits("/ok/paused") == 0
    status, body = local_stack.request("GET", f"/schedules/{scenario.paused['id']}")
    assert status == 200
    assert body["status"] == "PAUSED"
    assert body["total_runs"] == 0
