"""Run now: an asynchronous (InvocationType=Event) invoke of the executor function."""

from __future__ import annotations

from jobscheduler.aws import AWS_ERRORS, client
from jobscheduler.errors import DependencyUnavailable
from jobscheduler.models.executions import ExecutorPayload
from jobscheduler.settings import get_settings


def invoke_async(payload: ExecutorPayload) -> None:
    """Queue one run with Lambda's async invoke (202); the executor records it."""
    try:
        response = client("lambda").invoke(
            FunctionName=get_settings().executor_function_arn,
            InvocationType="Event",
            Payload=payload.model_dump_json(exclude_none=True).encode(),
        )
    except AWS_ERRORS as exc:
        raise DependencyUnavailable(
            "the executor could not be invoked; nothing was run, retry",
            details={"retryable": True, "dependency": "lambda"},
        ) from exc
    if int(response.get("StatusCode", 0)) != 202:
        raise DependencyUnavailable(
            f"the executor refused the run (status {response.get('StatusCode')}); retry",
            details={"retryable": True, "dependency": "lambda"},
        )
