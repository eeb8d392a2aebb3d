"""The sample events of events/ against a running stack, as docs/local-stack.md walks
through them with `make invoke` (here `python -m local.invoke`, what make runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, Stack, subprocess_env

pytestmark = pytest.mark.e2e


def invoke(stack: Stack, function: str, sample: str, *args: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "local.invoke", function, f"events/{sample}.json", *args],
        cwd=ROOT,
        env=subprocess_env(MOTO_PORT=str(stack.moto_port), LAMBDA_PORT=str(stack.lambda_port)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "using the running local stack" in result.stderr
    # stdout holds the result alone (the handler's logs go to stderr).
    return json.loads(result.stdout)


def status_and_body(answer: dict[str, Any]) -> tuple[int, Any]:
    body = answer.get("body")
    return answer["statusCode"], json.loads(body) if body else None


def test_the_samples_walk_through_one_schedule_on_the_running_stack(local_stack: Stack) -> None:
    status, created = status_and_body(invoke(local_stack, "ApiFunction", "api-create"))
    assert status == 201, created
    sid = created["id"]
    # The samples' tenant sees it over HTTP too.
    tenant = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert local_stack.request("GET", f"/schedules/{sid}", token=tenant)[0] == 200

    by_id = ("--schedule-id", sid)
    status, body = status_and_body(invoke(local_stack, "ApiFunction", "api-get", *by_id))
    assert (status, body["id"], body["status"]) == (200, sid, "ACTIVE")

    # Before the run-now below, whose run would hold the overlap lease.
    fired = invoke(local_stack, "ExecutorFunction", "scheduler-fire", *by_id)
    # The sample task calls hooks.example.com, which does not resolve: a real, failed run.
    assert fired["execution_id"] == "20261122T090000Z"
    assert fired["status"] == "FAILED"

    status, run = status_and_body(invoke(local_stack, "ApiFunction", "api-run", *by_id))
    assert (status, run["schedule_id"]) == (202, sid)

    status, body = status_and_body(invoke(local_stack, "ApiFunction", "api-pause", *by_id))
    assert (status, body["id"], body["status"]) == (200, sid, "PAUSED")

    status, page = status_and_body(invoke(local_stack, "ApiFunction", "api-executions", *by_id))
    assert status == 200
    assert "20261122T090000Z" in [e["id"] for e in page["items"]]
    status, execution = status_and_body(
        invoke(
            local_stack,
            "ApiFunction",
            "api-execution-get",
            *by_id,
            "--execution-id",
            "20261122T090000Z",
        )
    )
    assert (status, execution["schedule_id"], execution["status"]) == (200, sid, "FAILED")
    # No DNS query left the machine: the launched process's lookup guard answered
    # (tests/e2e/loopback_only/sitecustomize.py).
    assert "the e2e tests resolve loopback names only" in execution["error"]

    status, _ = status_and_body(invoke(local_stack, "ApiFunction", "api-delete", *by_id))
    assert status == 204
    assert local_stack.request("GET", f"/schedules/{sid}", token=tenant)[0] == 404


def test_invoke_refuses_an_id_that_is_not_one() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "local.invoke",
            "ApiFunction",
            "events/api-get.json",
            "--schedule-id",
            "../../etc",
        ],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "is not a schedule id" in result.stderr
