"""Starting and stopping the local stack: Ctrl-C (SIGINT) and SIGTERM exit 0, and a
--state-file keeps the schedules across a restart; local.invoke without a running stack."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, free_port, start_stack, subprocess_env

pytestmark = pytest.mark.e2e


def test_state_file_keeps_schedules_across_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = start_stack("--state-file", str(state))
    try:
        status, created = first.request(
            "POST",
            "/schedules",
            {
                "name": "survives a restart",
                "schedule": "0 9 * * *",
                "timezone": "Europe/Paris",
                "task": {"type": "http", "url": "http://127.0.0.1:9/never"},
            },
        )
        assert status == 201, created
    finally:
        code = first.stop(signal.SIGINT)
    assert code == 0, first.output()
    assert "state saved" in first.output()
    saved = json.loads(state.read_text())
    assert saved["version"] == 1
    assert [s["Name"].split("-")[0] for s in saved["schedules"]] == [created["id"]]

    second = start_stack("--state-file", str(state))
    try:
        status, again = second.request("GET", f"/schedules/{created['id']}")
        assert status == 200, again
        assert again["name"] == "survives a restart"
        assert again["next_run_at"] == created["next_run_at"]
        entries = second.client("scheduler").list_schedules()["Schedules"]
        assert [e["Name"] for e in entries if e["Name"].startswith(created["id"])]
        assert "state restored" in second.output()
    finally:
        code = second.stop(signal.SIGTERM)
    assert code == 0, second.output()


def test_invoke_cli_without_a_running_stack_uses_an_ephemeral_moto() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "local.invoke", "ApiFunction", "events/api-health.json"],
        cwd=ROOT,
        env=subprocess_env(MOTO_PORT=str(free_port())),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ephemeral moto" in result.stderr
    out = json.loads(result.stdout)
    assert out["statusCode"] == 200
    assert json.loads(out["body"])["status"] == "ok"


def test_invoke_cli_unknown_function_and_bad_event(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    for args, message in (
        (["NoSuchFunction", "events/api-health.json"], "unknown function"),
        (["ApiFunction", str(bad)], "not JSON"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "local.invoke", *args],
            cwd=ROOT,
            env=subprocess_env(MOTO_PORT=str(free_port())),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
