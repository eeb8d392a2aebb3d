"""The real `jobsched` executable against the local stack: every command, both output
modes, error exits, run --wait, apply/export/schema, and SigV4 (--iam) verified by the
stack. Each test is its own tenant (its own bearer token), so tests cannot see each other."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.e2e.conftest import ROOT, Stack, Webhooks, subprocess_env

pytestmark = pytest.mark.e2e

JOBSCHED = Path(sys.executable).parent / "jobsched"
EXAMPLE = ROOT / "examples" / "schedules.yaml"

# Exit codes (cli/jobsched/app.py ExitCode, docs/cli.md).
OK, ERROR, USAGE, INVALID_FILE, RUN_FAILED, CHANGES, ABORTED = 0, 1, 2, 3, 4, 6, 7


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def yaml(self) -> Any:
        return yaml.safe_load(self.out)


@dataclass
class Cli:
    stack: Stack
    home: Path
    token: str

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 90
    ) -> Result:
        assert JOBSCHED.exists(), f"{JOBSCHED} missing: pip install -e ./cli (make's venv step)"
        extra = {
            "JOBSCHED_API_URL": self.stack.api_url,
            "JOBSCHED_TOKEN": self.token,
            "JOBSCHED_CONFIG": str(self.home / "config.yaml"),
            # This checkout's CLI, whichever checkout the venv's editable install points at.
            "PYTHONPATH": str(ROOT / "cli"),
            "TZ": "Asia/Tokyo",
            "COLUMNS": "250",
        }
        proc = subprocess.run(
            [str(JOBSCHED), *args],
            env=subprocess_env(**(extra | (env or {}))),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, *args: str, code: int = OK, env: dict[str, str] | None = None) -> Result:
        result = self(*args, env=env)
        assert result.code == code, (args, result)
        return result


@pytest.fixture
def cli(local_stack: Stack, tmp_path: Path) -> Cli:
    return Cli(local_stack, tmp_path, f"cli-{uuid.uuid4().hex[:12]}")


def _one_error_line(result: Result, code: str) -> str:
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"error: {code}: "), result.err
    return lines[0]


def _create(cli: Cli, name: str, *extra: str) -> dict[str, Any]:
    result = cli.ok(
        "create",
        "--name",
        name,
        "--schedule",
        "every day at 9am",
        "--tz",
        "Europe/Paris",
        "--task-type",
        "http",
        "--url",
        "https://example.com/hook",
        *extra,
        "-o",
        "json",
    )
    created: dict[str, Any] = result.json
    return created


def test_help_lists_every_command_and_version(cli: Cli) -> None:
    result = cli.ok("--help")
    for command in (
        "configure",
        "create",
        "list",
        "get",
        "update",
        "pause",
        "resume",
        "run",
        "delete",
        "history",
        "clear-history",
        "preview",
        "tail",
        "apply",
        "export",
        "schema",
    ):
        assert f" {command} " in result.out, command
    assert cli.ok("--version").out.strip() == "jobsched 0.1.0"


def test_schedule_lifecycle_in_both_output_modes(cli: Cli) -> None:
    created = _create(cli, "lifecycle", "--tag", "team=data", "--description", "first")
    sid = created["id"]
    assert created["status"] == "ACTIVE"
    assert created["tags"] == {"team": "data"}
    assert created["task"]["url"] == "https://example.com/hook"

    table = cli.ok("get", sid).out
    assert "lifecycle" in table
    assert "Next runs" in table
    # The user's local time (TZ=Asia/Tokyo: 9am Paris is 17:00 JST) and the schedule's own.
    assert "17:00 JST [09:00 Europe/Paris]" in table
    assert "No executions yet." in table
    as_yaml = cli.ok("get", sid, "-o", "yaml").yaml
    assert as_yaml["schedule"]["id"] == sid
    assert len(as_yaml["next_runs"]) == 5
    assert as_yaml["executions"] == []

    for name in ("second", "third"):
        _create(cli, name)
    listed = cli.ok("list").out
    assert sid in listed
    assert "every day at 9am (Europe/Paris)" in listed
    page = cli.ok("list", "--limit", "1", "-o", "json").json
    assert len(page["items"]) == 1
    assert page["next_cursor"]
    everything = cli.ok("list", "--limit", "1", "--all", "-o", "json").json
    assert sorted(s["name"] for s in everything["items"]) == ["lifecycle", "second", "third"]
    assert everything["next_cursor"] is None
    one = cli.ok("list", "--tag", "team=data", "-o", "yaml").yaml
    assert [s["id"] for s in one["items"]] == [sid]
    more = cli.ok("list", "--limit", "1")
    assert "More: --cursor " in more.err

    updated = cli.ok("update", sid, "--description", "second", "-o", "json").json
    assert (updated["description"], updated["version"]) == ("second", 2)
    assert "Updated schedule" in cli.ok("update", sid, "--schedule", "every day at 10am").out
    stale = cli("update", sid, "--priority", "2", "--version", "1")
    assert stale.code == ERROR
    _one_error_line(stale, "version_conflict")

    paused = cli.ok("pause", sid, "--note", "maintenance", "-o", "json").json
    assert (paused["status"], paused["pause_note"]) == ("PAUSED", "maintenance")
    assert "maintenance" in cli.ok("get", sid).out
    assert "ACTIVE" in cli.ok("resume", sid).out

    assert cli.ok("delete", sid, "-o", "json").json == {"deleted": sid, "name": "lifecycle"}
    gone = cli("get", sid)
    assert gone.code == ERROR
    assert "suggestion:" in _one_error_line(gone, "not_found")
    other = _create(cli, "to-delete")["id"]
    assert f"Deleted {other}" in cli.ok("delete", other).out


def test_create_from_a_file_with_flags_on_top(cli: Cli, tmp_path: Path) -> None:
    body = tmp_path / "body.yaml"
    body.write_text(
        "name: from-file\nschedule: every monday at 8am\ntimezone: Europe/Paris\n"
        "task: {type: sqs, queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/q', "
        "message: {hi: 1}}\n"
    )
    created = cli.ok("create", "-f", str(body), "--name", "renamed", "-o", "json").json
    assert created["name"] == "renamed"
    assert created["task"]["type"] == "sqs"
    assert created["expressions"] == ["cron(0 8 ? * MON *)"]
    keyed = ("--idempotency-key", "k-1")
    first = cli.ok("create", "-f", str(body), *keyed, "-o", "json").json
    again = cli.ok("create", "-f", str(body), *keyed, "-o", "json").json
    assert first["id"] == again["id"]
    as_json = tmp_path / "body.json"
    as_json.write_text(json.dumps(yaml.safe_load(body.read_text())))
    assert cli.ok("create", "-f", str(as_json), "-o", "yaml").yaml["name"] == "from-file"


def test_errors_are_one_line_and_exit_non_zero(cli: Cli, tmp_path: Path) -> None:
    phrase = cli("create", "--name", "x", "--schedule", "every blursday", "--task-type", "http",
                 "--url", "https://example.com/")  # fmt: skip
    assert phrase.code == ERROR
    line = _one_error_line(phrase, "invalid_schedule")
    assert "blursday" in line
    assert "(suggestion: " in line
    assert phrase.out == ""

    invalid = cli("create", "--name", "x", "--schedule", "every day", "--task-type", "http",
                  "--url", "not a url", "-o", "json")  # fmt: skip
    assert invalid.code == ERROR
    assert "task.http.url" in _one_error_line(invalid, "validation_error")
    assert invalid.out == ""

    down = cli("list", env={"JOBSCHED_API_URL": "http://127.0.0.1:9"})
    assert down.code == ERROR
    assert "make run" in _one_error_line(down, "connection_failed")

    assert cli("list", "--bogus").code == USAGE
    assert cli("history", "--since", "last tuesday").code == USAGE
    assert cli("create", "--url", "https://x.io").code == USAGE  # a task field without a type
    assert cli("create", "--task-type", "sqs", "--url", "https://x.io").code == USAGE
    assert cli("update", "sch_00000000000000000000").code == USAGE  # nothing to change
    missing = cli("create", "-f", str(tmp_path / "absent.yaml"))
    assert missing.code == INVALID_FILE
    assert "cannot read the file" in missing.err
    unknown = cli("list", env={"JOBSCHED_PROFILE": "nope"})
    assert unknown.code == ERROR
    _one_error_line(unknown, "unknown_profile")


def test_run_wait_on_a_succeeding_and_a_failing_task(cli: Cli, webhooks: Webhooks) -> None:
    good = cli.ok("create", "--name", "good", "--schedule", "every day at 3am", "--task-type",
                  "http", "--url", f"{webhooks.url}/ok-cli", "--body", '{"n": 1}',
                  "-o", "json").json["id"]  # fmt: skip
    bad = cli.ok("create", "--name", "bad", "--schedule", "every day at 3am", "--task-type",
                 "http", "--url", f"{webhooks.url}/fail-cli", "-o", "json").json["id"]  # fmt: skip

    succeeded = cli.ok("run", good, "--wait", "--interval", "0.2")
    assert "SUCCEEDED" in succeeded.out
    assert "result: " in succeeded.out
    as_json = cli.ok("run", good, "--wait", "--interval", "0.2", "-o", "json").json
    assert as_json["status"] == "SUCCEEDED"
    assert as_json["trigger"] == "manual"
    assert webhooks.hits("/ok-cli") >= 2

    failed = cli("run", bad, "--wait", "--interval", "0.2")
    assert failed.code == RUN_FAILED
    assert "FAILED" in failed.out
    assert "error: run_failed: execution " in failed.err
    failed_yaml = cli("run", bad, "--wait", "--interval", "0.2", "-o", "yaml")
    assert failed_yaml.code == RUN_FAILED
    assert failed_yaml.yaml["status"] == "FAILED"

    started = cli.ok("run", good, "-o", "json").json
    assert started["schedule_id"] == good
    assert started["execution_id"]
    assert "Started execution" in cli.ok("run", good).out


def test_history_tail_and_clear(cli: Cli, webhooks: Webhooks) -> None:
    good = _create(cli, "hist-good", "--url", f"{webhooks.url}/ok-hist")["id"]
    bad = _create(cli, "hist-bad", "--url", f"{webhooks.url}/fail-hist")["id"]
    cli.ok("run", good, "--wait", "--interval", "0.2")
    cli("run", bad, "--wait", "--interval", "0.2")

    everything = cli.ok("history", "-o", "json").json["items"]
    assert {item["schedule_id"] for item in everything} == {good, bad}
    table = cli.ok("history").out
    assert good in table
    assert bad in table
    only_failed = cli.ok("history", "--status", "failed", "-o", "yaml").yaml["items"]
    assert [item["schedule_id"] for item in only_failed] == [bad]
    recent = cli.ok("history", good, "--since", "1h", "-o", "json").json["items"]
    assert [item["status"] for item in recent] == ["SUCCEEDED"]
    assert cli.ok("history", good, "--until", "2020-01-01T00:00", "-o", "json").json["items"] == []

    # tail prints what finishes after it started, and only that.
    tailed: dict[str, Result] = {}
    follower = threading.Thread(
        target=lambda: tailed.setdefault(
            "r", cli("tail", "--count", "1", "--interval", "0.3", "--timeout", "60", "-o", "json")
        )
    )
    follower.start()
    time.sleep(2.5)  # let tail read what already finished
    cli.ok("run", good, "--wait", "--interval", "0.2")
    follower.join(90)
    result = tailed["r"]
    assert result.code == OK, result
    [line] = result.out.splitlines()
    assert json.loads(line)["schedule_id"] == good
    quiet = cli("tail", "--count", "1", "--interval", "0.3", "--timeout", "1")
    assert quiet.code == 5  # nothing new finished: gave up waiting
    assert cli.ok("tail", "--timeout", "1", "--interval", "0.3").code == OK

    refused = cli("clear-history", good)
    assert refused.code == ABORTED
    cleared = cli.ok("clear-history", good, "--yes", "-o", "json").json
    assert cleared == {"deleted": 2}
    assert "No results." in cli.ok("history", good).out
    assert "Deleted 1 execution record(s)" in cli.ok("clear-history", bad, "-y").out


def test_preview(cli: Cli) -> None:
    table = cli.ok("preview", "every monday at 8am", "--tz", "Europe/Paris", "--count", "5").out
    assert "cron(0 8 ? * MON *)" in table
    assert table.count("[08:00 Europe/Paris]") == 5
    answer = cli.ok("preview", "every monday at 8am", "--tz", "Europe/Paris", "-o", "json").json
    assert len(answer["next_runs"]) == 5
    assert answer["kind"] == "recurring"
    nonsense = cli("preview", "every blursday")
    assert nonsense.code == ERROR
    _one_error_line(nonsense, "invalid_schedule")


def _names(cli: Cli) -> dict[str, dict[str, Any]]:
    items = cli.ok("list", "--all", "-o", "json").json["items"]
    return {item["name"]: item for item in items}


def test_apply_create_noop_update_dry_run_prune_and_invalid(cli: Cli, tmp_path: Path) -> None:
    created = cli("apply", "-f", str(EXAMPLE), "--yes")
    assert created.code == CHANGES, created
    assert "+ nightly-report" in created.out
    assert "Applied: 3 created, 0 updated, 0 deleted." in created.out
    live = _names(cli)
    assert set(live) == {"nightly-report", "weekday-standup-reminder", "queue-heartbeat"}
    assert all(s["tags"]["managed-by"] == "jobsched" for s in live.values())

    again = cli.ok("apply", "-f", str(EXAMPLE), "--yes")
    assert "No changes: 3 schedule(s) up to date." in again.out
    as_json = cli.ok("apply", "-f", str(EXAMPLE), "-o", "json").json
    assert as_json["changes"] is False
    assert sorted(as_json["unchanged"]) == sorted(live)

    edited = tmp_path / "edited.yaml"
    edited.write_text(
        EXAMPLE.read_text()
        .replace("every day at 2am", "every day at 4am")
        .replace("timeout_seconds: 30", "timeout_seconds: 45")
    )
    dry = cli("apply", "-f", str(edited), "--dry-run")
    assert dry.code == CHANGES
    assert "~ nightly-report" in dry.out
    assert 'schedule: "every day at 2am" -> "every day at 4am"' in dry.out
    assert "task.timeout_seconds: 30.0 -> 45" in dry.out
    assert "Dry run: nothing was written." in dry.out
    assert _names(cli)["nightly-report"]["schedule"] == "every day at 2am"
    dry_yaml = cli("apply", "-f", str(edited), "--dry-run", "-o", "yaml")
    assert dry_yaml.code == CHANGES
    assert dry_yaml.yaml["steps"][0]["changes"][0]["field"] == "schedule"
    assert dry_yaml.yaml["applied"] is False

    declined = cli("apply", "-f", str(edited))  # not a terminal and no --yes
    assert declined.code == ABORTED
    assert _names(cli)["nightly-report"]["schedule"] == "every day at 2am"

    version = live["nightly-report"]["version"]
    applied = cli("apply", "-f", str(edited), "--yes", "-o", "json")
    assert applied.code == CHANGES
    assert applied.json["applied"] is True
    now = _names(cli)["nightly-report"]
    assert (now["schedule"], now["task"]["timeout_seconds"]) == ("every day at 4am", 45)
    assert now["version"] == version + 1
    cli.ok("apply", "-f", str(edited))

    # An unmanaged schedule is never pruned; a managed one the file dropped is.
    outsider = _create(cli, "outsider")["id"]
    fewer = tmp_path / "fewer.yaml"
    document = yaml.safe_load(edited.read_text())
    document["schedules"] = [s for s in document["schedules"] if s["name"] != "queue-heartbeat"]
    fewer.write_text(yaml.safe_dump(document))
    kept = cli.ok("apply", "-f", str(fewer), "--yes")
    assert "'queue-heartbeat'" in kept.err
    assert "--prune" in kept.err
    assert "queue-heartbeat" in _names(cli)
    pruned = cli("apply", "-f", str(fewer), "--prune", "--yes")
    assert pruned.code == CHANGES
    assert "- queue-heartbeat" in pruned.out
    assert set(_names(cli)) == {"nightly-report", "weekday-standup-reminder", "outsider"}
    assert _names(cli)["outsider"]["id"] == outsider

    invalid = tmp_path / "invalid.yaml"
    invalid.write_text(
        "schedules:\n"
        "  - name: new-one\n    schedule: every day\n    task: {type: http, url: https://a.io}\n"
        "  - name: new-one\n    schedule: every day\n    task: {type: http}\n    priority: 0\n"
    )
    refused = cli("apply", "-f", str(invalid), "--yes")
    assert refused.code == INVALID_FILE
    assert "error: invalid_file:" in refused.err
    assert "schedules[1].task: 'url' is a required property" in refused.err
    assert "schedules[1].priority: 0 is less than the minimum of 1" in refused.err
    assert "schedules[1].name: 'new-one' is already the name of schedules[0]" in refused.err
    assert "new-one" not in _names(cli)
    broken = tmp_path / "broken.yaml"
    broken.write_text("schedules: [\n")
    assert cli("apply", "-f", str(broken)).code == INVALID_FILE


def test_export_then_apply_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    cli.ok("apply", "-f", str(EXAMPLE), "--yes", code=CHANGES)
    outsider = _create(cli, "outsider", "--description", "made by hand")["id"]

    exported = cli.ok("export")
    document = yaml.safe_load(exported.out)
    names = [entry["name"] for entry in document["schedules"]]
    assert names == sorted(["nightly-report", "weekday-standup-reminder", "queue-heartbeat"])
    assert "managed-by" not in exported.out
    path = tmp_path / "exported.yaml"
    cli.ok("export", "-o", str(path))
    assert "No changes: 3 schedule(s) up to date." in cli.ok("apply", "-f", str(path)).out
    as_json = tmp_path / "exported.json"
    cli.ok("export", "-o", str(as_json), "--format", "json")
    cli.ok("apply", "-f", str(as_json), "--prune")

    # --all also writes the schedules no file manages; applying it adopts them once.
    everything = tmp_path / "all.yaml"
    cli.ok("export", "--all", "-o", str(everything))
    adopt = cli("apply", "-f", str(everything), "--yes")
    assert adopt.code == CHANGES
    assert "~ outsider" in adopt.out
    assert "adopt" in adopt.out
    assert _names(cli)["outsider"]["id"] == outsider
    assert _names(cli)["outsider"]["tags"] == {"managed-by": "jobsched"}
    cli.ok("apply", "-f", str(everything), "--prune")


def test_schema_validates_the_example_file(cli: Cli, tmp_path: Path) -> None:
    schema = cli.ok("schema").json
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    assert list(validator.iter_errors(yaml.safe_load(EXAMPLE.read_text()))) == []
    assert list(validator.iter_errors({"schedules": [{"name": "x"}]}))
    out = tmp_path / "schema.json"
    cli.ok("schema", "-o", str(out))
    assert json.loads(out.read_text()) == schema


def test_configure_saves_a_private_profile(cli: Cli, local_stack: Stack) -> None:
    saved = cli.ok("configure", "--profile", "staging", "--api-url", local_stack.api_url,
                   "--token", "profile-tenant", "-o", "json").json  # fmt: skip
    assert saved["token"] == "(set)"
    config = cli.home / "config.yaml"
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    # The profile's URL and token, whatever the environment would have said.
    env = {"JOBSCHED_API_URL": "", "JOBSCHED_TOKEN": ""}
    _create(cli, "mine")
    listed = cli.ok("--profile", "staging", "list", "-o", "json", env=env).json["items"]
    assert listed == []  # another tenant than this test's token
    assert "Saved profile" in cli.ok("configure", "--api-url", local_stack.api_url).out
    assert yaml.safe_load(config.read_text())["profiles"]["default"] == {
        "api_url": local_stack.api_url
    }


def test_iam_requests_are_signed_and_verified_by_the_stack(cli: Cli) -> None:
    key = f"AKID{uuid.uuid4().hex[:12].upper()}"
    signer = {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": "local", "JOBSCHED_TOKEN": ""}
    created = cli.ok("--iam", "create", "--name", "signed", "--schedule", "every day at 9am",
                     "--task-type", "http", "--url", "https://example.com/", "-o", "json",
                     env=signer).json  # fmt: skip
    # The stack checked the signature and made the IAM user the tenant.
    mine = cli.ok("--iam", "list", "-o", "json", env=signer).json["items"]
    assert [s["id"] for s in mine] == [created["id"]]
    assert cli("get", created["id"]).code == ERROR  # the bearer tenant cannot see it
    cli.ok("--iam", "history", "-o", "json", env=signer)
    cli.ok("--iam", "delete", created["id"], env=signer)

    forged = cli("--iam", "list", env=signer | {"AWS_SECRET_ACCESS_KEY": "not-the-secret"})
    assert forged.code == ERROR
    assert "signature" in _one_error_line(forged, "http_403")
    nothing = cli(
        "--iam",
        "list",
        env={
            "AWS_ACCESS_KEY_ID": "",
            "AWS_SECRET_ACCESS_KEY": "",
            "AWS_SESSION_TOKEN": "",
            "AWS_SECURITY_TOKEN": "",
            "AWS_SHARED_CREDENTIALS_FILE": str(cli.home / "none"),
            "AWS_CONFIG_FILE": str(cli.home / "none"),
            "AWS_EC2_METADATA_DISABLED": "true",
        },
    )
    assert nothing.code == ERROR
    _one_error_line(nothing, "no_credentials")
