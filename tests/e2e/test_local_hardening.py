"""The local stack used as a hostile user would, over real HTTP: concurrent requests stay
isolated, refused requests get the gateway's JSON, a busy port and signals end it
promptly, and `kill -9` loses no acknowledged change with --state-file."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.resources import plan
from tests.e2e.conftest import ROOT, Stack, free_port, start_stack, subprocess_env

pytestmark = pytest.mark.e2e

TASK = {"type": "http", "url": "http://127.0.0.1:9/never"}


def _create(stack: Stack, name: str, token: str) -> tuple[int, Any]:
    body = {"name": name, "schedule": "0 9 * * *", "timezone": "UTC", "task": TASK}
    return stack.request("POST", "/schedules", body, token=token)


# ---- isolation ---------------------------------------------------------------------------


@dataclass
class Answer:
    kind: str
    ok: bool
    detail: str


def _one_request(stack: Stack, n: int, target: str) -> Answer:
    """One of five kinds of request, each with an answer that only it can get."""
    kind = ("get", "run", "health", "create", "other-tenant")[n % 5]
    if kind == "get":
        status, body = stack.request("GET", f"/schedules/{target}", token="iso-owner")
        ok = status == 200 and body.get("id") == target
    elif kind == "run":
        status, body = stack.request("POST", f"/schedules/{target}/run", token="iso-owner")
        ok = status == 202 and body.get("schedule_id") == target
    elif kind == "health":
        status, body = stack.request("GET", "/health", token=None)
        ok = status == 200 and body.get("status") == "ok" and "checks" in body
    elif kind == "create":
        status, body = _create(stack, f"iso-{n}", token=f"iso-creator-{n}")
        ok = status == 201 and body.get("name") == f"iso-{n}"
    else:
        status, body = stack.request("GET", f"/schedules/{target}", token="iso-stranger")
        ok = status == 404 and body.get("error", {}).get("code") == "not_found"
    return Answer(kind, ok, f"{status} {str(body)[:200]}")


def test_sixty_concurrent_mixed_requests_each_get_their_own_answer(local_stack: Stack) -> None:
    status, target = _create(local_stack, "isolation target", token="iso-owner")
    assert status == 201, target
    answers: list[Answer] = []
    for first in (0, 60, 120):
        with ThreadPoolExecutor(60) as pool:
            answers += pool.map(
                lambda n: _one_request(local_stack, n, target["id"]), range(first, first + 60)
            )
    wrong = [a for a in answers if not a.ok]
    assert len(answers) == 180
    assert wrong == [], f"{len(wrong)} of 180 answers belong to another request: {wrong[:5]}"


# ---- refused before the function runs ----------------------------------------------------


def _raw(port: int, payload: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are and read one HTTP response."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, dict(response.getheaders()), response.read()


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "FOO", "get"])
def test_methods_the_gateway_cannot_route_get_its_json_404(local_stack: Stack, method: str) -> None:
    request = f"{method} /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode()
    status, headers, body = _raw(local_stack.api_port, request)
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("request_bytes", "status", "message"),
    [
        (b"GET /" + b"a" * 11_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "Request-URI Too Long"),
        # Past the stdlib's own limit (it used to answer with an HTML page).
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "Request-URI Too Long"),
        (
            b"GET /health HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 900) for i in range(12))
            + b"\r\n",
            431,
            "Request Header Fields Too Large",
        ),
        (
            b"GET /health HTTP/1.1\r\n"
            + b"".join(b"X-H%d: 1\r\n" % i for i in range(150))
            + b"\r\n",
            431,
            "Request Header Fields Too Large",
        ),
        (
            b"POST /schedules HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
            400,
            "Bad Request",
        ),
        (
            b"POST /schedules HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
            400,
            "Bad Request",
        ),
        (b"GARBAGE\r\n\r\n", 400, "Bad Request"),
        (b"GET /health HTTP/9.9\r\n\r\n", 505, "HTTP Version Not Supported"),
    ],
    ids=[
        "uri-11k",
        "uri-70k",
        "headers-over-10240",
        "150-headers",
        "content-length-text",
        "content-length-negative",
        "no-request-line",
        "http-9.9",
    ],
)
def test_oversized_and_malformed_requests_get_json_never_html(
    local_stack: Stack, request_bytes: bytes, status: int, message: str
) -> None:
    got, headers, body = _raw(local_stack.api_port, request_bytes)
    assert (got, json.loads(body)) == (status, {"message": message})
    assert headers["Content-Type"] == "application/json"


def test_the_lambda_api_answers_protocol_errors_in_json(local_stack: Stack) -> None:
    status, headers, body = _raw(
        local_stack.lambda_port, b"TRACE /2015-03-31/functions/x/invocations HTTP/1.1\r\n\r\n"
    )
    assert status == 501
    assert headers["Content-Type"] == "application/json"
    assert "message" in json.loads(body)


def test_the_stack_still_answers_after_the_refusals(local_stack: Stack) -> None:
    status, body = local_stack.request("GET", "/health", token=None)
    assert status == 200, body


# ---- busy ports and signals --------------------------------------------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    ("option", "env"),
    [("--moto-port", "MOTO_PORT"), ("--api-port", "API_PORT"), ("--lambda-port", "LAMBDA_PORT")],
)
def test_a_busy_port_stops_startup_within_2_s_naming_it(
    busy_port: int, option: str, env: str
) -> None:
    ports = {"MOTO_PORT": free_port(), "API_PORT": free_port(), "LAMBDA_PORT": free_port()}
    ports[env] = busy_port
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "local"],
        cwd=ROOT,
        env=subprocess_env(**{k: str(v) for k, v in ports.items()}),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    elapsed = time.monotonic() - began
    assert result.returncode == 1, result.stderr
    assert elapsed < 2.0, f"took {elapsed:.1f}s"
    assert f"port {busy_port}" in result.stderr
    assert "already in use" in result.stderr
    assert option in result.stderr
    assert f"{env}=" in result.stderr
    assert "Traceback" not in result.stderr


def _start_process(log: Path) -> subprocess.Popen[bytes]:
    ports = {"MOTO_PORT": free_port(), "API_PORT": free_port(), "LAMBDA_PORT": free_port()}
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "local"],
            cwd=ROOT,
            env=subprocess_env(**{k: str(v) for k, v in ports.items()}),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("after_s", [0.0, 0.4, 1.2])
def test_a_signal_during_startup_stops_it_promptly(
    tmp_path: Path, sig: signal.Signals, after_s: float
) -> None:
    log = tmp_path / "stack.log"
    proc = _start_process(log)
    # The first line comes once the signals are handled (before that the interpreter
    # itself is starting: a signal then ends it the default way).
    deadline = time.monotonic() + 15
    while "starting the local stack" not in log.read_text(errors="replace"):
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.02)
    time.sleep(after_s)
    sent = time.monotonic()
    proc.send_signal(sig)
    try:
        code = proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        raise AssertionError(f"still running 10 s after {sig.name}:\n{log.read_text()}") from None
    elapsed = time.monotonic() - sent
    output = log.read_text(errors="replace")
    assert "ready in" not in output, "the signal came after startup: the test proves nothing"
    assert code == 0, output
    assert elapsed < 6.0, f"{sig.name} took {elapsed:.1f}s"
    assert "Traceback" not in output, output


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_after_startup_stops_it_promptly(sig: signal.Signals) -> None:
    stack = start_stack()
    sent = time.monotonic()
    code = stack.stop(sig, timeout=10)
    assert code == 0, stack.output()
    assert time.monotonic() - sent < 6.0


# ---- the state file after kill -9 --------------------------------------------------------


def _entries(stack: Stack) -> dict[str, str]:
    scheduler = stack.client("scheduler")
    states: dict[str, str] = {}
    for page in scheduler.get_paginator("list_schedules").paginate():
        for entry in page["Schedules"]:
            states[entry["Name"]] = entry["State"]
    return states


def _disagreements(items: dict[str, str], entries: dict[str, str]) -> list[str]:
    """Schedules whose item status and entry states do not agree."""
    wrong = []
    for schedule_id, status in items.items():
        states = {state for name, state in entries.items() if name.startswith(f"{schedule_id}-")}
        agree = {
            "ACTIVE": states == {"ENABLED"},
            "PAUSED": states == {"DISABLED"},
        }.get(status, "ENABLED" not in states)
        if not agree:
            wrong.append(f"{schedule_id} {status} {sorted(states)}")
    return wrong


def _saved_view(state: Path) -> tuple[dict[str, str], dict[str, str]]:
    data = json.loads(state.read_text())
    items = {
        item["SK"]["S"].removeprefix("SCHEDULE#"): item["status"]["S"]
        for item in data["table_items"]
        if item["SK"]["S"].startswith("SCHEDULE#")
    }
    entries = {entry["Name"]: entry["State"] for entry in data["schedules"]}
    return items, entries


def test_kill_9_loses_no_acknowledged_change_and_never_splits_items_from_entries(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.json"
    first = start_stack("--state-file", str(state))
    expected: dict[str, str] = {}
    noise_stop = threading.Event()
    try:
        with ThreadPoolExecutor(6) as pool:
            created = list(pool.map(lambda n: _create(first, f"k9-{n}", "k9"), range(36)))
        for status, body in created:
            assert status == 201, body
            expected[body["id"]] = "ACTIVE"
        paused = list(expected)[:8]
        with ThreadPoolExecutor(4) as pool:
            outcomes = list(
                pool.map(
                    lambda sid: first.request("POST", f"/schedules/{sid}/pause", token="k9"), paused
                )
            )
        for sid, (status, body) in zip(paused, outcomes, strict=True):
            assert status == 200, body
            expected[sid] = "PAUSED"

        def noise() -> None:
            # Writes still in flight when the process dies: they may or may not be kept,
            # but what is kept must be whole.
            n = 0
            while not noise_stop.is_set():
                try:
                    status, body = _create(first, f"noise-{n}", "k9")
                    if status == 201 and n % 2:
                        first.request("POST", f"/schedules/{body['id']}/pause", token="k9")
                except OSError:
                    return
                n += 1

        writers = [threading.Thread(target=noise) for _ in range(3)]
        for writer in writers:
            writer.start()
        time.sleep(1.5)
        first.proc.kill()
        first.proc.wait(10)
    finally:
        noise_stop.set()
        if first.proc.poll() is None:
            first.proc.kill()
            first.proc.wait(10)
    for writer in writers:
        writer.join(20)

    items, entries = _saved_view(state)
    assert _disagreements(items, entries) == []
    assert set(expected) <= set(items)

    second = start_stack("--state-file", str(state))
    try:
        for schedule_id, want in expected.items():
            got, body = second.request("GET", f"/schedules/{schedule_id}", token="k9")
            assert (got, body.get("status")) == (200, want), body
        restored = {
            item["SK"]["S"].removeprefix("SCHEDULE#"): item["status"]["S"]
            for page in second.client("dynamodb")
            .get_paginator("scan")
            .paginate(TableName=plan().ref("Table"))
            for item in page["Items"]
            if item["SK"]["S"].startswith("SCHEDULE#")
        }
        assert restored == items
        assert _disagreements(restored, _entries(second)) == []
    finally:
        assert second.stop() == 0, second.output()
