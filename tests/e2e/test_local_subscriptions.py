"""Subscriptions on the local stack, end to end over HTTP: two tenants subscribe http
endpoints through the API, run their schedules, and each receives exactly its own
events; filters, deletion and an operator's --subscribe-http filter behave as in AWS."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.e2e.conftest import Stack, Webhooks, start_stack, wait_for

pytestmark = pytest.mark.e2e

FINAL = {"SUCCEEDED", "FAILED", "SKIPPED", "TIMED_OUT"}
OUTCOMES = {"execution.succeeded", "execution.failed"}
A, B = "e2e-subs alice", "e2e-subs bob"


class Inbox:
    """Receives SNS http notifications; keeps (path, attributes, cloudevent)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                note = json.loads(self.rfile.read(length) or b"{}")
                attributes = {k: v["Value"] for k, v in note.get("MessageAttributes", {}).items()}
                inbox.received.append((self.path, attributes, json.loads(note["Message"])))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{path}"

    def at(self, path: str) -> list[tuple[dict[str, str], dict[str, Any]]]:
        return [(a, e) for p, a, e in list(self.received) if p == f"/{path}"]

    def outcomes(self, path: str) -> list[dict[str, str]]:
        return [a for a, _ in self.at(path) if a.get("type") in OUTCOMES]


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    yield box
    box.server.shutdown()
    box.server.server_close()


@pytest.fixture(scope="module")
def stack(inbox: Inbox) -> Iterator[Stack]:
    running = start_stack(
        "--no-events",
        "--subscribe-http",
        inbox.url("operator-failed"),
        '{"type": ["execution.failed"]}',
    )
    try:
        yield running
    finally:
        assert running.stop() == 0, running.output()


@pytest.fixture(scope="module")
def hooks() -> Iterator[Webhooks]:
    hooks = Webhooks()
    yield hooks
    hooks.close()


def _subscribe(stack: Stack, tenant: str, endpoint: str, **filters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"protocol": "http", "endpoint": endpoint}
    if filters:
        body["filter"] = filters
    status, made = stack.request("POST", "/subscriptions", body, token=tenant)
    assert status == 201, made
    return dict(made)


def _schedule(stack: Stack, tenant: str, url: str) -> dict[str, Any]:
    body = {
        "name": f"subs-{int(time.time() * 1000)}",
        "schedule": "0 0 1 1 *",
        "task": {"type": "http", "url": url, "method": "POST"},
        "retry": {"max_attempts": 1},
    }
    status, created = stack.request("POST", "/schedules", body, token=tenant)
    assert status == 201, created
    return dict(created)


def _run(stack: Stack, tenant: str, schedule_id: str, times: int) -> None:
    """Run now ``times`` times, one after the other (an overlap would be skipped)."""
    for _ in range(times):
        status, accepted = stack.request("POST", f"/schedules/{schedule_id}/run", token=tenant)
        assert status == 202, accepted
        execution_id = accepted["execution_id"]

        def done(execution_id: str = execution_id) -> bool:
            code, item = stack.request(
                "GET", f"/schedules/{schedule_id}/executions/{execution_id}", token=tenant
            )
            return code == 200 and item["status"] in FINAL

        assert wait_for(done, timeout=20), stack.output()


def _finished(stack: Stack, tenant: str, schedule_id: str) -> list[str]:
    status, page = stack.request(
        "GET", f"/schedules/{schedule_id}/executions?limit=100", token=tenant
    )
    assert status == 200, page
    return [e["status"] for e in page["items"] if e["status"] in FINAL]


def test_two_tenants_each_receive_exactly_their_own_events(
    stack: Stack, inbox: Inbox, hooks: Webhooks
) -> None:
    sched_a = _schedule(stack, A, hooks.url + "/ok/a")
    sched_a_bad = _schedule(stack, A, hooks.url + "/fail/a")
    sched_b = _schedule(stack, B, hooks.url + "/ok/b")
    _subscribe(stack, A, inbox.url("a-all"))
    _subscribe(stack, A, inbox.url("a-failed"), event_types=["execution.failed"])
    _subscribe(stack, A, inbox.url("a-one"), schedule_ids=[sched_a["id"]], statuses=["SUCCEEDED"])
    _subscribe(stack, B, inbox.url("b-all"))
    # B asks for A's schedules: the server's tenant term still holds.
    _subscribe(stack, B, inbox.url("b-spy"), schedule_ids=[sched_a["id"], sched_a_bad["id"]])

    _run(stack, A, sched_a["id"], 3)
    _run(stack, A, sched_a_bad["id"], 2)
    _run(stack, B, sched_b["id"], 2)

    runs_a = _finished(stack, A, sched_a["id"]) + _finished(stack, A, sched_a_bad["id"])
    runs_b = _finished(stack, B, sched_b["id"])
    assert sorted(runs_a) == ["FAILED"] * 2 + ["SUCCEEDED"] * 3
    assert runs_b == ["SUCCEEDED"] * 2
    assert wait_for(lambda: len(inbox.outcomes("a-all")) >= 5, timeout=15)
    assert wait_for(lambda: len(inbox.outcomes("b-all")) >= 2, timeout=15)
    time.sleep(1)  # anything extra would arrive now

    a_all, b_all = inbox.at("a-all"), inbox.at("b-all")
    assert {attrs["tenant"] for attrs, _ in a_all} == {A}
    assert {attrs["tenant"] for attrs, _ in b_all} == {B}
    assert len(inbox.outcomes("a-all")) == len(runs_a)
    assert len(inbox.outcomes("b-all")) == len(runs_b)
    assert [a["status"] for a in inbox.outcomes("a-failed")] == ["FAILED", "FAILED"]
    assert {a["type"] for a, _ in inbox.at("a-failed")} == {"execution.failed"}
    one = inbox.at("a-one")
    assert len(one) == 3
    assert {(a["schedule_id"], a["status"]) for a, _ in one} == {(sched_a["id"], "SUCCEEDED")}
    assert inbox.at("b-spy") == []
    # The event's source names the tenant as one percent-encoded URI segment.
    assert {e["source"] for _, e in a_all} == {"/jobscheduler/tenants/e2e-subs%20alice"}
    # The operator's --subscribe-http filter saw every tenant's failures, nothing else.
    operator = inbox.at("operator-failed")
    assert {a["type"] for a, _ in operator} == {"execution.failed"}
    assert len([a for a, _ in operator if a["tenant"] == A]) == 2


def test_deleting_a_subscription_stops_deliveries(
    stack: Stack, inbox: Inbox, hooks: Webhooks
) -> None:
    tenant = "e2e-subs carol"
    schedule = _schedule(stack, tenant, hooks.url + "/ok/c")
    made = _subscribe(stack, tenant, inbox.url("c"), event_types=["execution.succeeded"])
    _run(stack, tenant, schedule["id"], 1)
    assert wait_for(lambda: len(inbox.at("c")) == 1, timeout=15)
    status, _ = stack.request("DELETE", f"/subscriptions/{made['id']}", token=tenant)
    assert status == 204
    _run(stack, tenant, schedule["id"], 2)
    time.sleep(1)
    assert len(inbox.at("c")) == 1


def test_bad_input_is_refused_and_writes_nothing(stack: Stack, inbox: Inbox) -> None:
    tenant = "e2e-subs dave"
    mine = _subscribe(stack, tenant, inbox.url("d"))
    for body, code in (
        ({"protocol": "gopher", "endpoint": "gopher://x"}, "validation_error"),
        ({"protocol": "http", "endpoint": "http//missing-colon"}, "invalid_endpoint"),
        ({"protocol": "http", "endpoint": "http://169.254.169.254/latest"}, "forbidden_endpoint"),
        ({"protocol": "https", "endpoint": "https://10.1.2.3/hook"}, "forbidden_endpoint"),
    ):
        status, answer = stack.request("POST", "/subscriptions", body, token=tenant)
        assert (status, answer["error"]["code"]) == (422, code), answer
    for method in ("GET", "DELETE"):
        status, answer = stack.request(method, f"/subscriptions/{mine['id']}", token="e2e-subs eve")
        assert (status, answer["error"]["code"]) == (404, "subscription_not_found")
    status, listed = stack.request("GET", "/subscriptions", token=tenant)
    assert [s["id"] for s in listed["items"]] == [mine["id"]]
    status, listed = stack.request("GET", "/subscriptions", token="e2e-subs eve")
    assert listed["items"] == []


def test_jobsched_subscriptions_commands(stack: Stack, inbox: Inbox, tmp_path: Any) -> None:
    """`jobsched` in a process of its own (this tree's cli/ package, which the shared
    venv's console script may not point at): create, list, get, delete, a refusal."""
    import os
    import subprocess
    import sys

    from tests.e2e.conftest import ROOT, subprocess_env

    env = subprocess_env(
        JOBSCHED_API_URL=stack.api_url,
        JOBSCHED_TOKEN="e2e-subs frank",
        JOBSCHED_CONFIG=str(tmp_path / "config.yaml"),
    )
    env.pop("JOBSCHED_PROFILE", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "cli"), env.get("PYTHONPATH", "")])
    entry = "from jobsched.main import main; main()"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", entry, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    made = cli(
        "subscriptions", "create", "http", inbox.url("f"),
        "--event-type", "execution.failed", "--status", "FAILED", "-o", "json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    created = json.loads(made.stdout)
    assert created["filter"]["event_types"] == ["execution.failed"]
    listed = cli("subscriptions", "list", "-o", "json")
    assert [s["id"] for s in json.loads(listed.stdout)["items"]] == [created["id"]]
    table = cli("subscriptions", "list")
    assert created["id"] in table.stdout, table.stdout
    got = cli("subscriptions", "get", created["id"], "-o", "json")
    assert json.loads(got.stdout)["status"] == "confirmed"
    refused = cli("subscriptions", "create", "http", "http://169.254.169.254/x")
    assert refused.returncode == 1
    assert "forbidden_endpoint" in refused.stderr + refused.stdout
    gone = cli("subscriptions", "delete", created["id"])
    assert gone.returncode == 0, gone.stderr
    missing = cli("subscriptions", "get", created["id"])
    assert missing.returncode == 1
