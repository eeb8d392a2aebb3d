"""Lambda, SQS, SNS, EventBridge and Step Functions tasks against moto, through the
handler (the record) or the runner (the target's view)."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from jobscheduler.dal import executions as records
from jobscheduler.gateways import targets
from jobscheduler.logic.runner import RunContext, run_task
from jobscheduler.models.ids import message_id
from jobscheduler.models.schedules import RetryPolicy
from jobscheduler.models.tasks import (
    EventBridgeTask,
    LambdaTask,
    SnsTask,
    SqsTask,
    StepFunctionsTask,
)

from .conftest import TENANT, fire

ROLE = "arn:aws:iam::123456789012:role/target-role"


def _ctx(execution_id: str = "20260101T000000Z", **overrides) -> RunContext:
    values: dict[str, Any] = {
        "tenant": TENANT,
        "schedule_id": "sch_00000000000000000000",
        "execution_id": execution_id,
        "retry": RetryPolicy(max_attempts=3, backoff_seconds=0.01, max_backoff_seconds=0.02),
        "deadline": float("inf"),
        "sleep": lambda _s: None,
    }
    values.update(overrides)
    return RunContext(**values)


def _lambda_function(name: str = "target-fn") -> str:
    iam = boto3.client("iam")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="target-role", AssumeRolePolicyDocument="{}", Path="/")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
    )["FunctionArn"]


def test_lambda_task_both_invocation_types(handler, put_schedule, aws):
    arn = _lambda_function()
    schedule = put_schedule(
        task={"type": "lambda", "function": arn, "payload": {"k": 1}},
    )
    assert handler(fire(schedule, datetime.now(UTC)))["status"] == "SUCCEEDED"
    [record] = records.list_executions(TENANT, schedule.id)[0]
    assert record.result is not None
    assert record.result["status_code"] == 200
    assert record.result["payload"]  # moto's canned response, first 1 KB kept

    event_task = LambdaTask(type="lambda", function="target-fn", invocation_type="Event")
    outcome = run_task(event_task, _ctx())
    assert outcome.status == "SUCCEEDED"
    assert outcome.result
    assert outcome.result["status_code"] == 202


def _client_error(code: str, status: int) -> Exception:
    from botocore.exceptions import ClientError

    response: Any = {
        "Error": {"Code": code, "Message": code},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "Invoke")


class _FakeLambda:
    """Lambda's FunctionError and throttling, which moto's canned invoke cannot produce;
    replaced at the gateway's client boundary only."""

    def __init__(self, responses):
        self.responses = list(responses)
        self.calls = 0

    def invoke(self, **kwargs):
        self.calls += 1
        response = self.responses.pop(0)
        if isinstance(response, Exception):
            raise response
        return response


def test_lambda_function_error_is_a_failure_not_retried(monkeypatch):
    fake = _FakeLambda(
        [
            {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "Payload": io.BytesIO(b'{"errorMessage": "boom"}'),
            }
        ]
    )
    monkeypatch.setattr(targets, "_client", lambda *a: fake)
    outcome = run_task(LambdaTask(type="lambda", function="f"), _ctx())
    assert outcome.status == "FAILED"
    assert fake.calls == 1
    assert outcome.error
    assert "Unhandled" in outcome.error
    assert "boom" in outcome.error
    assert outcome.result == {
        "status_code": 200,
        "payload": '{"errorMessage": "boom"}',
        "function_error": "Unhandled",
    }


def test_lambda_missing_function_fails_without_retry(monkeypatch):
    missing = _client_error("ResourceNotFoundException", 404)
    fake = _FakeLambda([missing, missing])
    monkeypatch.setattr(targets, "_client", lambda *a: fake)
    outcome = run_task(LambdaTask(type="lambda", function="nope"), _ctx())
    assert outcome.status == "FAILED"
    assert outcome.attempts == 1
    assert fake.calls == 1
    assert outcome.error
    assert "ResourceNotFound" in outcome.error


def test_lambda_throttling_is_retried(monkeypatch):
    throttled = _client_error("TooManyRequestsException", 429)
    ok = {"StatusCode": 200, "Payload": io.BytesIO(b"null")}
    fake = _FakeLambda([throttled, throttled, ok])
    monkeypatch.setattr(targets, "_client", lambda *a: fake)
    delays: list[float] = []
    outcome = run_task(LambdaTask(type="lambda", function="f"), _ctx(sleep=delays.append))
    assert outcome.status == "SUCCEEDED"
    assert outcome.attempts == 3
    assert len(delays) == 2


def test_sqs_standard_and_fifo(aws):
    sqs = boto3.client("sqs")
    standard = sqs.create_queue(QueueName="work")["QueueUrl"]
    fifo = sqs.create_queue(QueueName="work.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]

    outcome = run_task(SqsTask(type="sqs", queue_url=standard, message={"a": 1}), _ctx())
    assert outcome.status == "SUCCEEDED"
    assert outcome.result
    assert outcome.result["message_id"]
    [message] = sqs.receive_message(QueueUrl=standard)["Messages"]
    assert json.loads(message["Body"]) == {"a": 1}

    task = SqsTask(type="sqs", queue_url=fifo, message="plain text", message_group_id="g1")
    first = run_task(task, _ctx("20260101T000000Z"))
    again = run_task(task, _ctx("20260101T000000Z"))  # a retried delivery of the run
    other = run_task(task, _ctx("20260101T000500Z"))
    # Same fire time, another schedule of another tenant: a different message.
    elsewhere = run_task(
        task, _ctx("20260101T000000Z", tenant="t-2", schedule_id="sch_11111111111111111111")
    )
    assert {first.status, again.status, other.status, elsewhere.status} == {"SUCCEEDED"}
    received = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10, AttributeNames=["All"])[
        "Messages"
    ]
    # The derived deduplication id drops the retried delivery of the same run only.
    assert [m["Body"] for m in received] == ["plain text"] * 3
    assert {m["Attributes"]["MessageGroupId"] for m in received} == {"g1"}
    assert received[0]["Attributes"]["MessageDeduplicationId"] == targets.dedup_id(
        message_id(TENANT, "sch_00000000000000000000", "20260101T000000Z")
    )

    explicit = SqsTask(
        type="sqs", queue_url=fifo, message="x", message_group_id="g2", deduplication_id="mine"
    )
    run_task(explicit, _ctx("20260101T001000Z"))
    [last] = sqs.receive_message(QueueUrl=fifo, AttributeNames=["All"])["Messages"]
    assert last["Attributes"]["MessageDeduplicationId"] == "mine"


def test_sqs_missing_queue_fails(aws):
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/missing"
    outcome = run_task(SqsTask(type="sqs", queue_url=url, message="x"), _ctx())
    assert outcome.status == "FAILED"
    assert outcome.attempts == 1


def test_sns_subject_attributes_and_fifo(target_topic):
    task = SnsTask(
        type="sns",
        topic_arn=target_topic.topic_arn,
        message={"n": 1},
        subject="Nightly",
        attributes={"kind": "report"},
    )
    outcome = run_task(task, _ctx())
    assert outcome.status == "SUCCEEDED"
    [delivered] = target_topic.messages()
    assert delivered["Subject"] == "Nightly"
    assert json.loads(delivered["Message"]) == {"n": 1}
    assert delivered["MessageAttributes"]["kind"]["Value"] == "report"

    sns = boto3.client("sns")
    fifo_arn = sns.create_topic(Name="target.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    fifo = SnsTask(type="sns", topic_arn=fifo_arn, message="m")
    assert run_task(fifo, _ctx()).status == "SUCCEEDED"  # group defaults to the schedule


def test_eventbridge_event_and_failed_entry(aws):
    events = boto3.client("events")
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="bus-tap")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="all", EventPattern=json.dumps({"source": ["my.app"]}))
    events.put_targets(Rule="all", Targets=[{"Id": "q", "Arn": queue_arn}])

    task = EventBridgeTask(
        type="eventbridge", source="my.app", detail_type="Report", detail={"ok": True}
    )
    outcome = run_task(task, _ctx())
    assert outcome.status == "SUCCEEDED"
    assert outcome.result
    assert outcome.result["event_id"]
    [message] = sqs.receive_message(QueueUrl=queue)["Messages"]
    body = json.loads(message["Body"])
    assert body["detail-type"] == "Report"
    assert body["detail"] == {"ok": True}

    bad = EventBridgeTask(
        type="eventbridge", source="my.app", detail_type="Report", detail="not json"
    )
    failed = run_task(bad, _ctx())
    assert failed.status == "FAILED"
    assert failed.attempts == 1
    assert failed.result == {"failed_entry_count": 1, "error_code": "MalformedDetail"}


def test_stepfunctions_start_and_duplicate_name_collapses(aws):
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="flow",
        definition=json.dumps({"StartAt": "S", "States": {"S": {"Type": "Pass", "End": True}}}),
        roleArn=ROLE,
    )["stateMachineArn"]
    task = StepFunctionsTask(type="stepfunctions", state_machine_arn=machine, input={"x": 1})

    first = run_task(task, _ctx("20260101T000000Z"))
    again = run_task(task, _ctx("20260101T000000Z"))

    assert first.status == again.status == "SUCCEEDED"
    assert first.result
    assert first.result["execution_name"] == targets.execution_name(
        message_id(TENANT, "sch_00000000000000000000", "20260101T000000Z")
    )
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert len(executions) == 1
    described = sfn.describe_execution(executionArn=executions[0]["executionArn"])
    assert json.loads(described["input"]) == {"x": 1}

    # The finished execution with the same name: ExecutionAlreadyExists, still ours.
    sfn.stop_execution(executionArn=executions[0]["executionArn"])
    third = run_task(task, _ctx("20260101T000000Z"))
    assert third.status == "SUCCEEDED"
    assert third.result
    assert third.result["already_started"]


def test_stepfunctions_missing_machine_fails(aws):
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:missing"
    outcome = run_task(StepFunctionsTask(type="stepfunctions", state_machine_arn=arn), _ctx())
    assert outcome.status == "FAILED"
    assert outcome.attempts == 1


@pytest.mark.parametrize(
    ("run_key", "expected"),
    [
        ("20260101T000000Z", "20260101T000000Z"),
        ("20260101T000000Z-manual-ab12.step:1", "20260101T000000Z-manual-ab12-step-1"),
    ],
)
def test_execution_names(run_key, expected):
    assert targets.execution_name(run_key) == expected
    long = targets.execution_name("x" * 200)
    assert len(long) == 80
    assert long != targets.execution_name("x" * 199)


def test_deadline_bounds_aws_tasks(aws):
    now = [0.0]
    ctx = _ctx(deadline=0.3, monotonic=lambda: now[0])
    outcome = run_task(SqsTask(type="sqs", queue_url="https://q/x", message="m"), ctx)
    assert outcome.status == "TIMED_OUT"
    assert outcome.attempts == 0


def test_region_of_targets():
    assert targets._region("arn:aws:sns:eu-west-1:123456789012:t") == "eu-west-1"
    assert targets._region("https://sqs.ap-south-1.amazonaws.com/1/q") == "ap-south-1"
    assert targets._region("my-function") is None
    assert targets._bucket(1) == 5
    assert targets._bucket(59) == 30
    assert targets._bucket(10_000) == 900


def test_sns_task_on_the_lifecycle_topic_fails_without_publishing(aws, lifecycle):
    # An item written before the API's check (or by hand) must still not forge events.
    task = SnsTask(type="sns", topic_arn=aws.ref("EventsTopic"), message="forged")
    outcome = run_task(task, _ctx())
    assert outcome.status == "FAILED"
    assert outcome.attempts == 1
    assert "own lifecycle or alarm topic" in (outcome.error or "")
    assert lifecycle.messages() == []


OWN_AT_RUN_TIME = [
    ("lambda", "ApiFunction"),
    ("lambda", "ExecutorFunction"),
    ("lambda", "{api}"),
    ("lambda", "{api_arn}:live"),
    ("lambda", "{executor_arn}"),
    ("sqs", "{dlq_url}"),
    ("sns", "{alarm_topic}"),
]


@pytest.mark.parametrize(("kind", "spelling"), OWN_AT_RUN_TIME)
def test_own_resources_refused_at_run_time(
    handler, put_schedule, aws, lifecycle, monkeypatch, kind, spelling
):
    """Items written before the API's checks (or by hand): the run refuses them, calls
    nothing, and ends FAILED with execution.failed."""
    calls: list[str] = []
    monkeypatch.setattr(targets, "invoke_lambda", lambda *a, **k: calls.append("lambda"))
    monkeypatch.setattr(targets, "send_sqs", lambda *a, **k: calls.append("sqs"))
    monkeypatch.setattr(targets, "publish_sns", lambda *a, **k: calls.append("sns"))
    names = {
        "api": aws.ref("ApiFunction"),
        "api_arn": aws.att("ApiFunction", "Arn"),
        "executor_arn": aws.att("ExecutorFunction", "Arn"),
        "dlq_url": aws.ref("DeadLetterQueue"),
        "alarm_topic": aws.ref("EventsTopic").rsplit("-", 1)[0] + "-alarms",
    }
    target = spelling.format(**names)
    task: dict[str, Any] = {
        "lambda": {"type": "lambda", "function": target},
        "sqs": {"type": "sqs", "queue_url": target, "message": "x"},
        "sns": {"type": "sns", "topic_arn": target, "message": "x"},
    }[kind]
    schedule = put_schedule(task=task)
    summary = handler(fire(schedule, datetime.now(UTC)))
    assert summary["status"] == "FAILED"
    assert summary["attempts"] == 1
    assert "refused" in summary["detail"]
    assert calls == []
    assert lifecycle.types()[-1] == "execution.failed"
