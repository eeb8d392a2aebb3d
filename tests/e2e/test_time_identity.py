"""The local stack, end to end: message identity and rate cadence (issue: exact time).

* Two schedules of two tenants firing at the same instant send different webhook-ids,
  each the same on every retry, each verifiable with its tenant's secret.
* A rate schedule paused and resumed after its start keeps its cadence: the entry's
  StartDate is on the original grid and the emulator fires on it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.e2e.conftest import Stack, Webhooks, wait_for

pytestmark = pytest.mark.e2e

FINAL = {"SUCCEEDED", "FAILED", "SKIPPED", "TIMED_OUT"}


def _create(stack: Stack, body: dict[str, Any], token: str) -> dict[str, Any]:
    status, schedule = stack.request("POST", "/schedules", body, token=token)
    assert status == 201, schedule
    return dict(schedule)


def _requests(hooks: Webhooks, path: str) -> list[tuple[dict[str, str], bytes]]:
    return [(headers, body) for p, headers, body in hooks.requests if p == path]


def _executions(stack: Stack, schedule_id: str, token: str) -> list[dict[str, Any]]:
    status, page = stack.request("GET", f"/schedules/{schedule_id}/executions", token=token)
    assert status == 200, page
    return [e for e in page["items"] if e["status"] in FINAL]


def _whole_second(seconds: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)


def test_same_instant_two_tenants_distinct_stable_webhook_ids(
    local_stack: Stack, webhooks: Webhooks
) -> None:
    when = _whole_second(3).strftime("%Y-%m-%dT%H:%M:%SZ")
    created = {}
    for tenant in ("tenant-a", "tenant-b"):
        created[tenant] = _create(
            local_stack,
            {
                "name": f"same instant {tenant}",
                "schedule": when,
                "task": {"type": "http", "url": f"{webhooks.url}/fail/{tenant}", "method": "POST"},
                "retry": {"max_attempts": 3, "backoff_seconds": 0.1},
            },
            tenant,
        )
    for tenant, schedule in created.items():
        assert wait_for(lambda s=schedule, t=tenant: _executions(local_stack, s["id"], t), 30)
    ids: dict[str, set[str]] = {}
    for tenant, schedule in created.items():
        sent = _requests(webhooks, f"/fail/{tenant}")
        assert len(sent) == 3  # the first attempt and two retries
        ids[tenant] = {headers["webhook-id"] for headers, _ in sent}
        assert len(ids[tenant]) == 1, "webhook-id changed between retries"
        assert {headers["X-Schedule-Id"] for headers, _ in sent} == {schedule["id"]}
        # The same fire time: the execution ids are equal, the message ids are not.
        assert {headers["X-Execution-Id"] for headers, _ in sent} == {
            when.replace("-", "").replace(":", "")
        }
        # A task without a body is signed over the empty string.
        status, secret = local_stack.request("GET", "/signing-secret", token=tenant)
        assert status == 200, secret
        for headers, body in sent:
            assert body == b""
            Webhook(secret["secret"]).verify(body, headers, json_parse=False)
    assert ids["tenant-a"].isdisjoint(ids["tenant-b"])


def test_rate_paused_and_resumed_after_its_start_keeps_its_cadence(
    local_stack: Stack, webhooks: Webhooks
) -> None:
    token = "tenant-rate"
    start = _whole_second(4)
    schedule = _create(
        local_stack,
        {
            "name": "rate cadence",
            "schedule": "rate(1 minute)",
            "start_at": start.isoformat(),
            "task": {"type": "http", "url": f"{webhooks.url}/ok/rate", "method": "POST"},
        },
        token,
    )
    sid = schedule["id"]
    assert schedule["next_run_at"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Scheduler's first run of a rate is StartDate itself (not one period later).
    first = wait_for(lambda: _executions(local_stack, sid, token), 30)
    assert [e["scheduled_time"] for e in first] == [start.strftime("%Y-%m-%dT%H:%M:%SZ")]

    for action in ("pause", "resume"):
        status, body = local_stack.request("POST", f"/schedules/{sid}/{action}", token=token)
        assert status == 200, body
    grid = start + timedelta(minutes=1)
    scheduler = local_stack.client("scheduler")
    group = next(
        g["Name"]
        for g in scheduler.list_schedule_groups()["ScheduleGroups"]
        if g["Name"] != "default"
    )
    entry = scheduler.get_schedule(GroupName=group, Name=f"{sid}-0")
    assert entry["StartDate"].astimezone(UTC) == grid
    status, body = local_stack.request("GET", f"/schedules/{sid}", token=token)
    assert body["next_run_at"] == grid.strftime("%Y-%m-%dT%H:%M:%SZ")

    # The emulator fires on the original grid, not a minute after the resume.
    runs = wait_for(lambda: len(_executions(local_stack, sid, token)) >= 2, 90)
    assert runs
    scheduled = sorted(e["scheduled_time"] for e in _executions(local_stack, sid, token))
    assert scheduled[:2] == [
        start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        grid.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]
