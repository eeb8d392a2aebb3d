"""Starts the local stack (`python -m local`) as a subprocess on free ports and talks to
it over real HTTP. One stack per test module (module-scoped fixture)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
# tests/e2e/loopback_only first: its sitecustomize keeps every launched process off DNS.
PYTHONPATH = os.pathsep.join(
    str(ROOT / p)
    for p in (
        "tests/e2e/loopback_only",
        "layers/common",
        "functions/api",
        "functions/executor",
        ".",
    )
)
CREDENTIALS = {
    "aws_access_key_id": "local",
    "aws_secret_access_key": "local",
    "region_name": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_ENDPOINT_URL") and k not in ("AWS_PROFILE", "STATE_FILE")
    }
    env["PYTHONPATH"] = PYTHONPATH
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@dataclass
class Stack:
    proc: subprocess.Popen[bytes]
    moto_port: int
    api_port: int
    lambda_port: int
    log_path: Path
    started_s: float = 0.0
    _clients: dict[str, Any] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = "e2e",
        timeout: float = 15,
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.api_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as err:
            raw, status = err.read(), err.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def client(self, service: str) -> Any:
        if service not in self._clients:
            url = f"http://127.0.0.1:{self.lambda_port}" if service == "lambda" else self.moto_url
            self._clients[service] = boto3.client(service, endpoint_url=url, **CREDENTIALS)  # type: ignore[call-overload]
        return self._clients[service]

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError(
                f"the stack did not stop in {timeout}s:\n{self.output()}"
            ) from None


def start_stack(*args: str, timeout: float = 60) -> Stack:
    ports = {"MOTO_PORT": free_port(), "API_PORT": free_port(), "LAMBDA_PORT": free_port()}
    log = Path(tempfile.mkstemp(prefix="local-stack-", suffix=".log")[1])
    began = time.monotonic()
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "local", "--allow-loopback-targets", *args],
            cwd=ROOT,
            env=subprocess_env(**{k: str(v) for k, v in ports.items()}),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    stack = Stack(proc, ports["MOTO_PORT"], ports["API_PORT"], ports["LAMBDA_PORT"], log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the stack exited with {proc.returncode}:\n{stack.output()}")
        try:
            status, _ = stack.request("GET", "/health", timeout=2)
            if status == 200:
                stack.started_s = time.monotonic() - began
                return stack
        except OSError:
            pass
        time.sleep(0.1)
    stack.stop()
    raise AssertionError(f"the stack did not answer /health in {timeout}s:\n{stack.output()}")


@pytest.fixture(scope="module")
def local_stack() -> Iterator[Stack]:
    stack = start_stack()
    try:
        yield stack
    finally:
        code = stack.stop()
        assert code == 0, stack.output()


class Webhooks:
    """A loopback HTTP server for HTTP tasks: /fail answers 500, anything else 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                hooks.requests.append((self.path, dict(self.headers.items()), body))
                status = 500 if self.path.startswith("/fail") else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def hits(self, prefix: str) -> int:
        return sum(1 for path, _, _ in self.requests if path.startswith(prefix))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def webhooks() -> Iterator[Webhooks]:
    hooks = Webhooks()
    yield hooks
    hooks.close()


class EventQueue:
    """An SQS queue of the test's own, subscribed to the events topic on the stack's moto."""

    def __init__(self, stack: Stack) -> None:
        self.sqs = stack.client("sqs")
        sns = stack.client("sns")
        topic = next(
            t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith("-events")
        )
        self.url = self.sqs.create_queue(QueueName=f"e2e-events-{os.getpid()}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        self.events: list[dict[str, Any]] = []

    def drain(self) -> list[dict[str, Any]]:
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                return self.events
            for message in messages:
                envelope = json.loads(message["Body"])
                attributes = {
                    k: v["Value"] for k, v in (envelope.get("MessageAttributes") or {}).items()
                }
                self.events.append({**attributes, "cloudevent": json.loads(envelope["Message"])})
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def of(self, schedule_id: str) -> list[tuple[str, str]]:
        self.drain()
        return [
            (e["event_type"], e["status"])
            for e in self.events
            if e.get("schedule_id") == schedule_id
        ]


def wait_for(predicate: Any, timeout: float, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
