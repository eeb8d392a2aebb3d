"""The schedule commands' requests, read off a recording client (no network): the flags
create and update share, how each treats --tag, and the If-Match of pause/resume/delete."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner, Result

from jobsched import app as app_module
from jobsched.flags import schedule_flags
from jobsched.main import app

SCHEDULE = {"id": "sch_1", "name": "n", "version": 7, "status": "ACTIVE", "timezone": "UTC"}


@dataclass
class Call:
    method: str
    path: str
    body: Any
    headers: dict[str, str] | None


@dataclass
class RecordingClient:
    calls: list[Call] = field(default_factory=list)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Any = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        self.calls.append(Call(method, path, body, headers))
        return dict(SCHEDULE) if method != "DELETE" else None


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RecordingClient:
    recording = RecordingClient()
    monkeypatch.setattr(app_module, "Client", lambda connection: recording)
    monkeypatch.setenv("JOBSCHED_CONFIG", str(tmp_path / "config.yaml"))
    for name in ("JOBSCHED_API_URL", "JOBSCHED_TOKEN", "JOBSCHED_PROFILE", "JOBSCHED_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    return recording


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, ["--api-url", "http://api.test", "--token", "t", *args])


def _params(command: str) -> dict[str, Any]:
    commands = get_command(app).commands  # type: ignore[attr-defined]  # a group's
    return {param.name: param for param in commands[command].params}


def _options(command: str) -> set[str]:
    return set(_params(command))


def test_create_and_update_take_the_same_schedule_flags() -> None:
    create, update = _options("create"), _options("update")
    assert create - update == {"idempotency_key"}
    assert update - create == {"schedule_id", "version"}
    assert {"file", "url", "input_", "tag", "overlap", "priority"} <= create & update


def test_each_command_words_the_tag_flag_for_what_it_does() -> None:
    assert _params("create")["tag"].help == "KEY=VALUE (repeat)"
    assert _params("update")["tag"].help == "KEY=VALUE (replaces the tags)"
    # The reworded copy leaves the shared declaration alone.
    assert _params("create")["overlap"].help == "skip (default) or allow"
    assert _params("update")["overlap"].help == "skip or allow"


def test_a_help_text_for_no_shared_flag_is_refused() -> None:
    with pytest.raises(ValueError, match="no shared flag"):
        schedule_flags(tagz="typo")


def test_create_sends_the_file_with_the_flags_over_it(
    client: RecordingClient, tmp_path: Path
) -> None:
    body = tmp_path / "body.yaml"
    body.write_text("name: from-file\nschedule: every day\ntags: {team: a, env: dev}\n")
    result = _run(
        "create", "-f", str(body), "--name", "flag", "--tz", "Europe/Paris",
        "--task-type", "http", "--url", "https://example.com", "--header", "X-A: 1",
        "--body", '{"k": 1}', "--tag", "env=prod", "--idempotency-key", "k1", "-o", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [call] = client.calls
    assert (call.method, call.path, call.headers) == (
        "POST",
        "/schedules",
        {"Idempotency-Key": "k1"},
    )
    assert call.body == {
        "name": "flag",
        "schedule": "every day",
        "timezone": "Europe/Paris",
        "tags": {"team": "a", "env": "prod"},  # create merges --tag into the file's tags
        "task": {
            "type": "http",
            "url": "https://example.com",
            "headers": {"X-A": "1"},
            "body": {"k": 1},
        },
    }
    assert json.loads(result.stdout)["id"] == "sch_1"


def test_update_replaces_the_tags_and_reads_the_version_first(
    client: RecordingClient, tmp_path: Path
) -> None:
    body = tmp_path / "body.json"
    body.write_text('{"tags": {"team": "a"}, "priority": 3}')
    result = _run("update", "sch_1", "-f", str(body), "--tag", "env=prod", "-o", "json")
    assert result.exit_code == 0, result.output
    read, patch = client.calls
    assert (read.method, read.path) == ("GET", "/schedules/sch_1")
    assert (patch.method, patch.path) == ("PATCH", "/schedules/sch_1")
    assert patch.body == {"tags": {"env": "prod"}, "priority": 3, "version": 7}


def test_update_with_a_version_sends_it_without_reading(client: RecordingClient) -> None:
    result = _run("update", "sch_1", "--priority", "2", "--version", "4", "-o", "json")
    assert result.exit_code == 0, result.output
    [patch] = client.calls
    assert patch.body == {"priority": 2, "version": 4}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("update", "sch_1"), "nothing to change"),
        (("create", "--url", "https://x"), "need --task-type"),
        (("create", "--task-type", "http", "--function", "f"), "--function do(es) not apply"),
        (("create", "--tag", "novalue"), "must look like KEY=VALUE"),
        (("update", "sch_1", "--header", "no-colon", "--task-type", "http"), "KEY:VALUE"),
    ],
)
def test_bad_flags_exit_2_and_send_nothing(
    client: RecordingClient, args: tuple[str, ...], message: str
) -> None:
    result = _run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert client.calls == []


def test_an_invalid_body_file_exits_3_and_sends_nothing(
    client: RecordingClient, tmp_path: Path
) -> None:
    body = tmp_path / "body.yaml"
    body.write_text("- a list\n")
    result = _run("create", "-f", str(body))
    assert result.exit_code == 3, result.output
    assert client.calls == []


@pytest.mark.parametrize(
    ("args", "method", "path", "body"),
    [
        (("pause", "sch_1", "--note", "why"), "POST", "/schedules/sch_1/pause", {"note": "why"}),
        (("pause", "sch_1"), "POST", "/schedules/sch_1/pause", {}),
        (("resume", "sch_1"), "POST", "/schedules/sch_1/resume", None),
        (("delete", "sch_1"), "DELETE", "/schedules/sch_1", None),
    ],
)
def test_changes_of_state_send_the_version_just_read(
    client: RecordingClient, args: tuple[str, ...], method: str, path: str, body: Any
) -> None:
    result = _run(*args, "-o", "json")
    assert result.exit_code == 0, result.output
    read, change = client.calls
    assert (read.method, read.path) == ("GET", "/schedules/sch_1")
    assert (change.method, change.path, change.body) == (method, path, body)
    assert change.headers == {"If-Match": '"7"'}
