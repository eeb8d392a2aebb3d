"""AWS task targets: Lambda, SQS, SNS, EventBridge, Step Functions.

Each call raises ``TargetError`` saying whether a retry can help; the executor's runner
owns retries (backoff, the Lambda's remaining time), so these clients make one attempt
each (botocore's own retries would spend time the runner cannot see).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from pydantic import JsonValue

from jobscheduler.aws import AWS_ERRORS, error_code, error_message
from jobscheduler.models.tasks import (
    EventBridgeTask,
    LambdaTask,
    SnsTask,
    SqsTask,
    StepFunctionsTask,
)

RESULT_TEXT_BYTES = 1024
# Read timeouts are bucketed so a handful of cached clients serve every remaining time.
_TIMEOUT_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 900)
_RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "ProvisionedThroughputExceededException",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServiceError",
        "InternalServerException",
        "ServiceException",  # Lambda's 500
        "EC2ThrottledException",
        "KMSThrottlingException",
        "ResourceConflictException",  # Lambda: function being updated, try again
    }
)
_ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]+):")
_SQS_REGION = re.compile(r"^https?://sqs\.([a-z0-9-]+)\.amazonaws\.com")


class TargetError(Exception):
    """A target call failed. ``retryable``: a later attempt may succeed."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        timed_out: bool = False,
        result: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.timed_out = timed_out
        self.result = result


def encode(value: JsonValue) -> str:
    """message/body/payload/detail/input: a string goes as is, JSON is serialized."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def dedup_id(run_key: str) -> str:
    """A deterministic deduplication id: a retried delivery of one run is dropped."""
    return hashlib.sha256(run_key.encode()).hexdigest()


def execution_name(run_key: str) -> str:
    """A Step Functions execution name (<= 80 of [A-Za-z0-9_-]) unique to one run."""
    name = re.sub(r"[^A-Za-z0-9_-]", "-", run_key)
    if len(name) > 80:
        name = name[:63] + "-" + dedup_id(run_key)[:16]
    return name


def _region(arn_or_url: str) -> str | None:
    match = _ARN_REGION.match(arn_or_url) or _SQS_REGION.match(arn_or_url)
    return match.group(1) if match else None


def _bucket(timeout: float) -> int:
    fitting = [b for b in _TIMEOUT_BUCKETS if b <= timeout]
    return fitting[-1] if fitting else _TIMEOUT_BUCKETS[0]


@cache
def _cached_client(service: str, region: str | None, read_timeout: int) -> Any:
    config = Config(
        connect_timeout=min(3, read_timeout),
        read_timeout=read_timeout,
        retries={"mode": "standard", "max_attempts": 1},
    )
    session = boto3.session.Session()
    return session.client(service, region_name=region, config=config)  # type: ignore[call-overload]


def _client(service: str, target: str, timeout: float) -> Any:
    return _cached_client(service, _region(target), _bucket(timeout))


def reset_target_clients() -> None:
    """Drop cached clients (tests switch moto instances and endpoints)."""
    _cached_client.cache_clear()


def _failure(error: Exception, what: str) -> TargetError:
    if isinstance(error, ClientError):
        code = error_code(error)
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        message = error_message(error) or str(error)
        retryable = code in _RETRYABLE_CODES or status >= 500 or status == 429
        return TargetError(f"{what}: {code}: {message}", retryable=retryable)
    if isinstance(error, ReadTimeoutError | ConnectTimeoutError):
        return TargetError(f"{what}: timed out", retryable=True, timed_out=True)
    if isinstance(error, EndpointConnectionError | ConnectionClosedError):
        return TargetError(f"{what}: {error}", retryable=True)
    # ParamValidationError and the like: the request itself is wrong.
    return TargetError(f"{what}: {error}", retryable=False)


def invoke_lambda(task: LambdaTask, *, timeout: float) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "FunctionName": task.function,
        "InvocationType": task.invocation_type,
    }
    if task.payload is not None:
        kwargs["Payload"] = encode(task.payload).encode()
    try:
        response = _client("lambda", task.function, timeout).invoke(**kwargs)
    except AWS_ERRORS as error:
        raise _failure(error, "lambda invoke") from error
    result: dict[str, Any] = {"status_code": int(response.get("StatusCode", 0))}
    if "Payload" in response:
        text = response["Payload"].read(RESULT_TEXT_BYTES + 1)
        if text:
            result["payload"] = text[:RESULT_TEXT_BYTES].decode("utf-8", "replace")
    if response.get("ExecutedVersion"):
        result["executed_version"] = response["ExecutedVersion"]
    if response.get("FunctionError"):
        result["function_error"] = response["FunctionError"]
        # The function ran and raised: running it again is the function's own business
        # (it may not be idempotent), so this is not retried.
        raise TargetError(
            f"lambda function error ({response['FunctionError']}): "
            f"{result.get('payload', '')[:300]}",
            retryable=False,
            result=result,
        )
    return result


def send_sqs(task: SqsTask, *, run_key: str, timeout: float) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"QueueUrl": task.queue_url, "MessageBody": encode(task.message)}
    if task.queue_url.endswith(".fifo"):
        kwargs["MessageGroupId"] = task.message_group_id
        kwargs["MessageDeduplicationId"] = task.deduplication_id or dedup_id(run_key)
    elif task.delay_seconds is not None:
        kwargs["DelaySeconds"] = task.delay_seconds
    try:
        response = _client("sqs", task.queue_url, timeout).send_message(**kwargs)
    except AWS_ERRORS as error:
        raise _failure(error, "sqs send_message") from error
    result = {"message_id": response["MessageId"]}
    if response.get("SequenceNumber"):
        result["sequence_number"] = response["SequenceNumber"]
    return result


def publish_sns(
    task: SnsTask, *, run_key: str, default_group: str, timeout: float
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"TopicArn": task.topic_arn, "Message": encode(task.message)}
    if task.subject:
        kwargs["Subject"] = task.subject
    if task.attributes:
        kwargs["MessageAttributes"] = {
            name: {"DataType": "String", "StringValue": value}
            for name, value in task.attributes.items()
        }
    if task.topic_arn.endswith(".fifo"):
        # FIFO topics require a group: default to one per schedule (runs stay ordered).
        kwargs["MessageGroupId"] = task.message_group_id or default_group
        kwargs["MessageDeduplicationId"] = dedup_id(run_key)
    try:
        response = _client("sns", task.topic_arn, timeout).publish(**kwargs)
    except AWS_ERRORS as error:
        raise _failure(error, "sns publish") from error
    return {"message_id": response["MessageId"]}


def put_event(task: EventBridgeTask, *, timeout: float) -> dict[str, Any]:
    entry = {
        "Source": task.source,
        "DetailType": task.detail_type,
        "Detail": encode(task.detail),
        "EventBusName": task.event_bus,
    }
    try:
        response = _client("events", task.event_bus, timeout).put_events(Entries=[entry])
    except AWS_ERRORS as error:
        raise _failure(error, "eventbridge put_events") from error
    entries = response.get("Entries", [])
    if int(response.get("FailedEntryCount", 0)) > 0:
        failed: dict[str, Any] = next((e for e in entries if e.get("ErrorCode")), {})
        code = str(failed.get("ErrorCode", "Unknown"))
        raise TargetError(
            f"eventbridge rejected the event: {code}: {failed.get('ErrorMessage', '')}",
            retryable=code in _RETRYABLE_CODES,
            result={"failed_entry_count": int(response["FailedEntryCount"]), "error_code": code},
        )
    return {"event_id": entries[0].get("EventId") if entries else None}


def start_execution(task: StepFunctionsTask, *, run_key: str, timeout: float) -> dict[str, Any]:
    name = execution_name(run_key)
    client = _client("stepfunctions", task.state_machine_arn, timeout)
    try:
        response = client.start_execution(
            stateMachineArn=task.state_machine_arn, name=name, input=encode(task.input)
        )
    except ClientError as error:
        if error_code(error) == "ExecutionAlreadyExists":
            # The name is unique to this run: an earlier delivery already started it.
            return {"execution_name": name, "already_started": True}
        raise _failure(error, "stepfunctions start_execution") from error
    except AWS_ERRORS as error:
        raise _failure(error, "stepfunctions start_execution") from error
    return {"execution_arn": response["executionArn"], "execution_name": name}
