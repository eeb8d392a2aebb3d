"""Drives functions/api/api_handler.lambda_handler with the API Gateway payload-v2 samples
of events/api-*.json under moto, and reads back what the API wrote."""

from __future__ import annotations

import copy
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

EVENTS_DIR = Path(__file__).resolve().parents[3] / "events"
TENANT = "0f8fad5b-d9cb-469f-a165-70867728950e"  # the samples' JWT "sub"
OTHER_TENANT = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
SAMPLE_NAMES = (
    "create",
    "list",
    "get",
    "update",
    "pause",
    "resume",
    "run",
    "delete",
    "executions",
    "execution-get",
    "preview",
    "health",
)
USED_SAMPLES: set[str] = set()


def load_event(name: str) -> dict[str, Any]:
    USED_SAMPLES.add(name)
    data: dict[str, Any] = json.loads((EVENTS_DIR / f"api-{name}.json").read_text())
    return data


@dataclass
class FakeContext:
    function_name: str = "job-scheduler-local-ApiFunction"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:job-scheduler-local-ApiFunction"
    )
    aws_request_id: str = "0e3a6a4c-4f7e-4c1e-9a55-9b1d6f7d9c11"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


@dataclass
class Result:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def error_code(self) -> str:
        return str(self.json["error"]["code"])


_UNSET: Any = object()


@dataclass
class Api:
    calls: list[dict[str, Any]] = field(default_factory=list)

    def request(
        self,
        sample: str,
        *,
        path: str | None = None,
        method: str | None = None,
        body: Any = _UNSET,
        raw_body: str | None = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        tenant: str | None = TENANT,
        authorizer: dict[str, Any] | None = None,
    ) -> Result:
        """The sample event ``sample``, changed as asked, through the real handler."""
        from api_handler import lambda_handler

        event = copy.deepcopy(load_event(sample))
        stage = event["requestContext"]["stage"]
        if path is not None:
            raw = path if stage == "$default" else f"/{stage}{path}"
            event["rawPath"] = raw
            event["requestContext"]["http"]["path"] = raw
            if (method or event["requestContext"]["http"]["method"]) == "GET" and path in (
                "/health",
                "/docs",
                "/openapi.json",
            ):
                # template.yaml's public routes: API Gateway sends their own route key,
                # no pathParameters and no authorizer.
                event["routeKey"] = event["requestContext"]["routeKey"] = f"GET {path}"
                event.pop("pathParameters", None)
                event["requestContext"].pop("authorizer", None)
            else:
                event["routeKey"] = event["requestContext"]["routeKey"] = "ANY /{proxy+}"
                event["pathParameters"] = {"proxy": path.lstrip("/")}
        if method is not None:
            event["requestContext"]["http"]["method"] = method
        if query is not None:
            event["queryStringParameters"] = query
            event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
            if not query:
                event.pop("queryStringParameters")
        if raw_body is not None:
            event["body"] = raw_body
            event["headers"]["content-type"] = "application/json"
        elif body is None:
            event.pop("body", None)
        elif body is not _UNSET:
            event["body"] = json.dumps(body)
            event["headers"]["content-type"] = "application/json"
        if headers:
            event["headers"].update(headers)
        if authorizer is not None:
            event["requestContext"]["authorizer"] = authorizer
        elif tenant is None:
            event["requestContext"].pop("authorizer", None)
        elif event["routeKey"] == "ANY /{proxy+}":
            authorizer = event["requestContext"].setdefault(
                "authorizer", {"jwt": {"claims": {}, "scopes": None}}
            )
            authorizer["jwt"]["claims"]["sub"] = tenant
        response = lambda_handler(event, FakeContext())
        self.calls.append(event)
        headers_out = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
        return Result(response["statusCode"], headers_out, response.get("body") or "")

    def create(self, tenant: str = TENANT, **changes: Any) -> dict[str, Any]:
        body = create_body(**changes)
        result = self.request("create", body=body, tenant=tenant)
        assert result.status == 201, result.text
        created: dict[str, Any] = result.json
        return created


def create_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(load_event("create")["body"])
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key, None)
        else:
            body[key] = value
    return body


_DROP: Any = object()
DROP = _DROP


@pytest.fixture
def api(aws: Any) -> Api:
    from jobscheduler.gateways.secrets import reset_secret_cache

    reset_secret_cache()
    return Api()


# --- reading back what the API wrote ------------------------------------------------------


def table_name() -> str:
    from jobscheduler.settings import get_settings

    return get_settings().table_name


def group_name() -> str:
    from jobscheduler.settings import get_settings

    return get_settings().schedule_group


def all_items() -> list[dict[str, Any]]:
    """Every item of the table (a Scan is fine in a test)."""
    items: list[dict[str, Any]] = boto3.resource("dynamodb").Table(table_name()).scan()["Items"]
    return items


def schedule_item(schedule_id: str, tenant: str = TENANT) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        boto3.resource("dynamodb")
        .Table(table_name())
        .get_item(Key={"PK": f"TENANT#{tenant}", "SK": f"SCHEDULE#{schedule_id}"})
        .get("Item")
    )
    return item


def quota(tenant: str = TENANT) -> int:
    item = (
        boto3.resource("dynamodb")
        .Table(table_name())
        .get_item(Key={"PK": f"TENANT#{tenant}", "SK": "QUOTA"})
        .get("Item")
    )
    return int(str(item["schedules"])) if item else 0


def entries() -> dict[str, dict[str, Any]]:
    """Every Scheduler entry of the stack's group, described in full, by name."""
    scheduler: Any = boto3.client("scheduler")
    names = [
        s["Name"]
        for s in scheduler.list_schedules(GroupName=group_name(), MaxResults=100)["Schedules"]
    ]
    return {n: scheduler.get_schedule(Name=n, GroupName=group_name()) for n in names}


def assert_consistent(schedule_id: str, tenant: str = TENANT) -> None:
    """DynamoDB and Scheduler agree: an ACTIVE/PENDING item has ENABLED entries for each
    expression, PAUSED has DISABLED ones, and any other state (or no item) has none."""
    item = schedule_item(schedule_id, tenant)
    own = {n: e for n, e in entries().items() if n.startswith(schedule_id + "-")}
    status = item["status"] if item else None
    if status in ("ACTIVE", "PENDING", "PAUSED"):
        assert item is not None
        expected = {f"{schedule_id}-{i}": x for i, x in enumerate(item["expressions"])}
        assert set(own) == set(expected), (status, sorted(own), sorted(expected))
        state = "DISABLED" if status == "PAUSED" else "ENABLED"
        for name, entry in own.items():
            assert entry["ScheduleExpression"] == expected[name]
            assert entry["ScheduleExpressionTimezone"] == item["timezone"]
            assert entry["State"] == state, (name, entry["State"], status)
    else:
        assert own == {}, (status, sorted(own))


# --- SNS lifecycle events ---------------------------------------------------------------


@dataclass
class EventQueue:
    url: str

    def read(self) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """(CloudEvent, message attributes) of every event published so far."""
        sqs = boto3.client("sqs")
        out: list[tuple[dict[str, Any], dict[str, str]]] = []
        while True:
            messages = sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                return out
            for message in messages:
                envelope = json.loads(message["Body"])
                attributes = {
                    k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()
                }
                out.append((json.loads(envelope["Message"]), attributes))
                sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def types(self) -> list[str]:
        return [attributes["event_type"] for _, attributes in self.read()]


@pytest.fixture
def sns_events(aws: Any) -> EventQueue:
    from jobscheduler.settings import get_settings

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="api-test-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("sns").subscribe(TopicArn=get_settings().topic_arn, Protocol="sqs", Endpoint=arn)
    return EventQueue(url)


# --- the executor function (run now) ----------------------------------------------------


@pytest.fixture
def executor_function(aws: Any) -> list[dict[str, Any]]:
    """Creates the executor function in moto (no Docker: invokes succeed without running
    code) and records the payload of every Invoke the API makes."""
    from jobscheduler.aws import client
    from jobscheduler.settings import get_settings

    iam = boto3.client("iam")
    role = iam.create_role(
        RoleName="executor-test-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    code = BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr(
            "executor_handler.py", "def lambda_handler(event, context):\n    return {}\n"
        )
    name = get_settings().executor_function_arn.rsplit(":", 1)[-1]
    boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="executor_handler.lambda_handler",
        Code={"ZipFile": code.getvalue()},
    )
    invokes: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        invokes.append(
            {
                "FunctionName": params["FunctionName"],
                "InvocationType": params["InvocationType"],
                "Payload": json.loads(params["Payload"]),
            }
        )

    client("lambda").meta.events.register("provide-client-params.lambda.Invoke", record)
    return invokes


# --- fault injection --------------------------------------------------------------------


@dataclass
class Fault:
    operation: str
    fail_on: set[int]
    seen: int = 0
    raised: int = 0

    def __call__(self, **_: Any) -> None:
        self.seen += 1
        if self.seen in self.fail_on:
            self.raised += 1
            response: Any = {
                "Error": {"Code": "ServiceUnavailable", "Message": "injected fault"},
                "ResponseMetadata": {"HTTPStatusCode": 503},
            }
            raise ClientError(response, self.operation)


@pytest.fixture
def inject() -> Callable[..., Fault]:
    """inject("scheduler", "CreateSchedule", on=(1,)) makes the 1st such call fail (the
    API's cached client; the call never reaches moto)."""

    def _inject(service: str, operation: str, on: tuple[int, ...] = (1,)) -> Fault:
        from jobscheduler.aws import client, table

        fault = Fault(operation, set(on))
        target = table(table_name()).meta.client if service == "dynamodb" else client(service)
        target.meta.events.register(f"before-call.{service}.{operation}", fault)
        return fault

    return _inject
