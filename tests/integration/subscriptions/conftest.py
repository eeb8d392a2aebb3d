"""Subscriptions under moto: the API handler, the executor handler and loopback http
endpoints, with SNS http deliveries as the local stack makes them (attributes
included, filter policies applied by moto)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from jobscheduler.dal import codec
from jobscheduler.models.schedules import Schedule
from jobscheduler.settings import get_settings, reset_settings
from tests.integration.api.conftest import Api
from tests.integration.executor.conftest import FakeContext, fire, make_schedule

TENANT_A = 'tenant a/"quoted"'  # a tenant that is no valid URI segment as it is
TENANT_B = "tenant-b"
TARGET_TOPIC = "subs-target-topic"


@dataclass
class Hooks:
    """A loopback server: every SNS notification it received, by path."""

    base: str
    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    headers: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"

    def events(self, path: str) -> list[dict[str, Any]]:
        """(attributes, cloudevent) pairs delivered to ``path``, after the queue drained."""
        from local.sns_delivery import WORKER

        assert WORKER.drain(10)
        out = []
        for note in self.received.get(path, []):
            attributes = {k: v["Value"] for k, v in note.get("MessageAttributes", {}).items()}
            out.append({"attributes": attributes, "event": json.loads(note["Message"])})
        return out

    def types(self, path: str) -> list[str]:
        return [e["attributes"]["type"] for e in self.events(path)]


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    lock = threading.Lock()
    hooks = Hooks("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            with lock:
                path = self.path.lstrip("/")
                hooks.received.setdefault(path, []).append(body)
                hooks.headers.setdefault(path, []).append(dict(self.headers))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hooks.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield hooks
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def env(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto + the local stack's http delivery + loopback endpoints allowed (as locally)."""
    from jobscheduler.gateways.tenant_topics import forget_presence
    from local.sns_delivery import install

    install()
    monkeypatch.setenv("ALLOW_LOOPBACK_TARGETS", "true")
    reset_settings()
    forget_presence()
    boto3.client("sns").create_topic(Name=TARGET_TOPIC)
    yield aws
    forget_presence()


@pytest.fixture
def api(env: Any) -> Api:
    return Api()


def subscribe(api: Api, tenant: str, protocol: str, endpoint: str, **filters: Any) -> Any:
    body: dict[str, Any] = {"protocol": protocol, "endpoint": endpoint}
    if filters:
        body["filter"] = filters
    return api.request("create", path="/subscriptions", body=body, tenant=tenant)


@dataclass
class Runner:
    """Schedules put straight into the table and fired through the executor handler."""

    fired: int = 0
    base: datetime = field(
        default_factory=lambda: datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    )

    def schedule(self, tenant: str, *, fails: bool = False) -> Schedule:
        arn = f"arn:aws:sns:us-east-1:123456789012:{'no-such-topic' if fails else TARGET_TOPIC}"
        schedule = make_schedule(
            tenant=tenant,
            task={"type": "sns", "topic_arn": arn, "message": {"hello": tenant}},
            retry={"max_attempts": 1},
        )
        boto3.resource("dynamodb").Table(get_settings().table_name).put_item(
            Item=codec.schedule_to_item(schedule)
        )
        return schedule

    def run(self, schedule: Schedule, times: int = 1) -> list[str]:
        from executor_handler import lambda_handler

        statuses = []
        for _ in range(times):
            self.fired += 1
            # Later fires have later times (the executor skips a fire older than the
            # last one it ran), all in the past.
            when = self.base + timedelta(minutes=self.fired)
            result = lambda_handler(fire(schedule, when), FakeContext())
            statuses.append(str(result["status"]))
        return statuses


@pytest.fixture
def runner(env: Any) -> Runner:
    return Runner()


def table_items() -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb").Table(get_settings().table_name)
    return list(table.scan()["Items"])


def sns_subscriptions() -> list[dict[str, Any]]:
    return [dict(s) for s in boto3.client("sns").list_subscriptions()["Subscriptions"]]


Snapshot = Callable[[], tuple[int, int]]


@pytest.fixture
def inject(env: Any) -> Callable[..., Any]:
    """inject("sns", "Subscribe", on=(1,)): the 1st such call of the functions' cached
    client fails with a 503 (never reaching moto)."""
    from tests.integration.api.conftest import Fault

    def _inject(service: str, operation: str, on: tuple[int, ...] = (1,)) -> Any:
        from jobscheduler.aws import client, table

        fault = Fault(operation, set(on))
        target = (
            table(get_settings().table_name).meta.client
            if service == "dynamodb"
            else client(service)
        )
        target.meta.events.register(f"before-call.{service}.{operation}", fault)
        return fault

    return _inject


@pytest.fixture
def atomic_transactions(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB applies a transaction atomically; moto checks and writes without a lock,
    so two threads can both pass a condition. Serialize moto's transactions so a test
    of concurrent requests tests our code, not moto's race."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.Lock()
    original = DynamoDBBackend.transact_write_items

    def serialized(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", serialized)
