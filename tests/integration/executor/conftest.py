"""Fixtures for the executor: schedules written straight to the table, a Lambda context,
a loopback HTTP server, a queue subscribed to the lifecycle topic, and call counters."""

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
from jobscheduler.models.ids import new_schedule_id
from jobscheduler.models.schedules import Schedule, ScheduleKind, ScheduleStatus
from jobscheduler.settings import get_settings, reset_settings

TENANT = "tenant-a"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    from jobscheduler.gateways.secrets import reset_secret_cache
    from jobscheduler.gateways.targets import reset_target_clients

    reset_secret_cache()
    reset_target_clients()
    yield
    reset_secret_cache()
    reset_target_clients()


@dataclass
class FakeContext:
    remaining_ms: int = 60_000
    function_name: str = "executor"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:executor"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def make_schedule(**overrides: Any) -> Schedule:
    values: dict[str, Any] = {
        "id": new_schedule_id(),
        "tenant": TENANT,
        "name": "nightly",
        "status": ScheduleStatus.ACTIVE,
        "kind": ScheduleKind.RECURRING,
        "schedule": "rate(5 minutes)",
        "expressions": ["rate(5 minutes)"],
        "timezone": "UTC",
        "task": {"type": "sns", "topic_arn": TARGET_TOPIC_ARN, "message": {"hello": "world"}},
        "retry": {"max_attempts": 3, "backoff_seconds": 0.01, "max_backoff_seconds": 0.05},
        "created_at": NOW - timedelta(days=1),
        "updated_at": NOW - timedelta(days=1),
    }
    values.update(overrides)
    return Schedule.model_validate(values)


TARGET_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:target-topic"


@pytest.fixture
def table(aws: Any) -> Any:
    return boto3.resource("dynamodb").Table(get_settings().table_name)


@pytest.fixture
def put_schedule(table: Any) -> Callable[..., Schedule]:
    def put(**overrides: Any) -> Schedule:
        schedule = make_schedule(**overrides)
        table.put_item(Item=codec.schedule_to_item(schedule))
        return schedule

    return put


def fire(schedule: Schedule, scheduled_time: datetime, **extra: Any) -> dict[str, Any]:
    """The event Scheduler sends: Target.Input with the <aws.scheduler.*> resolved."""
    event: dict[str, Any] = {
        "tenant": schedule.tenant,
        "schedule_id": schedule.id,
        "trigger": "schedule",
        "scheduled_time": scheduled_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "scheduler_execution_id": "d1a7c4e0-0000-4000-8000-000000000001",
        "attempt_number": "1",
        "part": 0,
    }
    event.update(extra)
    return event


@pytest.fixture
def handler(aws: Any) -> Callable[..., dict[str, Any]]:
    from executor_handler import lambda_handler

    def call(event: dict[str, Any], remaining_ms: int = 60_000) -> dict[str, Any]:
        result: dict[str, Any] = lambda_handler(event, FakeContext(remaining_ms))
        return result

    return call


@pytest.fixture
def target_topic(aws: Any) -> Any:
    """A topic the SNS task publishes to, with a queue subscribed to read what arrived."""
    return _topic_with_queue("target-topic")


@pytest.fixture
def lifecycle(aws: Any) -> Any:
    return _topic_with_queue(None)


@dataclass
class TopicTap:
    topic_arn: str
    queue_url: str
    seen: list[dict[str, Any]] = field(default_factory=list)

    def messages(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs")
        while True:
            got = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not got:
                return self.seen
            for message in got:
                self.seen.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def events(self) -> list[dict[str, Any]]:
        """Lifecycle events: the CloudEvent and its SNS message attributes."""
        return [
            {
                "cloudevent": json.loads(m["Message"]),
                "attributes": {k: v["Value"] for k, v in m.get("MessageAttributes", {}).items()},
            }
            for m in self.messages()
        ]

    def types(self) -> list[str]:
        return [e["cloudevent"]["data"]["event_type"] for e in self.events()]


def _topic_with_queue(name: str | None) -> TopicTap:
    sns = boto3.client("sns")
    sqs = boto3.client("sqs")
    topic_arn = (
        get_settings().topic_arn if name is None else sns.create_topic(Name=name)["TopicArn"]
    )
    queue_name = f"tap-{(name or 'lifecycle')}"
    queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return TopicTap(topic_arn, queue_url)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class TestServer:
    """A loopback HTTP server; ``responses`` is consumed one per request (the last repeats)."""

    url: str
    requests: list[Recorded]
    responses: list[tuple[int, dict[str, str], bytes]]


@pytest.fixture
def http_server() -> Iterator[TestServer]:
    recorded: list[Recorded] = []
    responses: list[tuple[int, dict[str, str], bytes]] = [(200, {}, b"ok")]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with lock:
                recorded.append(Recorded(self.command, self.path, dict(self.headers), body))
                status, headers, payload = responses.pop(0) if len(responses) > 1 else responses[0]
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield TestServer(f"http://127.0.0.1:{server.server_address[1]}", recorded, responses)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def allow_loopback(monkeypatch: pytest.MonkeyPatch, aws: Any) -> Iterator[None]:
    """Loopback targets for this test only (the local-only setting)."""
    monkeypatch.setenv("ALLOW_LOOPBACK_TARGETS", "true")
    reset_settings()
    yield
    monkeypatch.delenv("ALLOW_LOOPBACK_TARGETS")
    reset_settings()


class CallCounter:
    """Counts AWS API calls per (service, operation) through botocore's before-call hook."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name))

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self)

    def count(self, service: str, operations: set[str] | None = None) -> int:
        return sum(
            1 for s, op in self.calls if s == service and (operations is None or op in operations)
        )

    @property
    def dynamodb_reads(self) -> int:
        return self.count("dynamodb", {"GetItem", "Query", "BatchGetItem", "TransactGetItems"})

    @property
    def dynamodb_writes(self) -> int:
        return self.count(
            "dynamodb",
            {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"},
        )


@pytest.fixture
def calls(aws: Any) -> CallCounter:
    """Counts the executor's own DynamoDB, SNS (lifecycle), SSM and Scheduler calls."""
    from jobscheduler.aws import client, table

    counter = CallCounter()
    counter.attach(table(get_settings().table_name).meta.client)
    for service in ("sns", "ssm", "scheduler"):
        counter.attach(client(service))
    return counter
