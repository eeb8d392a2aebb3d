"""Runs one task: dispatch to its target, retries with backoff, sequences of steps.

Time is the scarce resource: every attempt is bounded by the task's own timeout and by
the deadline (the Lambda's remaining time minus what recording the result needs), and a
retry is only started when its delay and a minimal attempt still fit before it.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

from jobscheduler.gateways import http_client, targets
from jobscheduler.gateways.secrets import get_or_create_signing_secret
from jobscheduler.logic import http_rules
from jobscheduler.logic.task_policy import OwnResources, http_task_problems, own_resource_reason
from jobscheduler.models.executions import ExecutionStatus, StepOutcome
from jobscheduler.models.ids import message_id
from jobscheduler.models.schedules import RetryPolicy
from jobscheduler.models.tasks import (
    EventBridgeTask,
    HttpTask,
    LambdaTask,
    SequenceTask,
    SnsTask,
    SqsTask,
    StepFunctionsTask,
)
from jobscheduler.observability import logger
from jobscheduler.settings import get_settings

# An attempt with less time than this is not started: it could only time out.
MIN_ATTEMPT_SECONDS = 0.5
RESULT_BODY_BYTES = 1024
USER_AGENT = "job-scheduler/1 (+https://github.com/; Standard Webhooks)"
# RFC 9110 section 10.2.3: delay-seconds is 1*DIGIT, ASCII digits only (str.isdigit()
# also accepts superscripts and other scripts' digits).
_DELAY_SECONDS = re.compile(r"^[0-9]+$", re.ASCII)

# Informational (not signed): which schedule, execution and sequence step sent this.
SCHEDULE_HEADER = "X-Schedule-Id"
EXECUTION_HEADER = "X-Execution-Id"
STEP_HEADER = "X-Step-Id"
_OWN_HEADERS = frozenset(
    h.lower()
    for h in (
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        SCHEDULE_HEADER,
        EXECUTION_HEADER,
        STEP_HEADER,
    )
)

LeafTask = HttpTask | LambdaTask | SqsTask | SnsTask | EventBridgeTask | StepFunctionsTask


class TaskFailure(Exception):
    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        timed_out: bool = False,
        retry_after: float | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.timed_out = timed_out
        self.retry_after = retry_after
        self.result = result


@dataclass
class RunContext:
    """What a run needs besides the task; clocks, sleep and randomness are injectable."""

    tenant: str
    schedule_id: str
    execution_id: str
    retry: RetryPolicy
    deadline: float  # on the ``monotonic`` clock
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    uniform: Callable[[float, float], float] = random.uniform
    wall_clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class TaskOutcome:
    status: ExecutionStatus
    attempts: int
    duration_ms: int
    result: dict[str, Any] | None = None
    error: str | None = None
    steps: list[StepOutcome] | None = None


def backoff_delay(
    retry_number: int, policy: RetryPolicy, uniform: Callable[[float, float], float]
) -> float:
    """Exponential backoff with full jitter before retry ``retry_number`` (1-based)."""
    ceiling = min(
        policy.max_backoff_seconds,
        policy.backoff_seconds * policy.backoff_multiplier ** (retry_number - 1),
    )
    return uniform(0.0, ceiling) if ceiling > 0 else 0.0


def run_task(task: LeafTask | SequenceTask, ctx: RunContext) -> TaskOutcome:
    if isinstance(task, SequenceTask):
        return _run_sequence(task, ctx)
    return run_with_retries(task, ctx, run_key=ctx.execution_id)


def run_with_retries(task: LeafTask, ctx: RunContext, *, run_key: str) -> TaskOutcome:
    started = ctx.monotonic()
    attempts = 0
    last: TaskFailure | None = None
    while True:
        remaining = ctx.deadline - ctx.monotonic()
        if remaining < MIN_ATTEMPT_SECONDS:
            last = TaskFailure(
                "no time left for an attempt" + (f" after: {last}" if last is not None else ""),
                retryable=False,
                timed_out=True,
                result=last.result if last is not None else None,
            )
            break
        attempts += 1
        try:
            result = _dispatch(task, ctx, run_key=run_key, timeout=remaining)
        except TaskFailure as failure:
            last = failure
        except Exception as error:  # noqa: BLE001 (a task or target must never wedge a run)
            # Anything else is a defect or input no check foresaw: fail the run with the
            # error, never leave it RUNNING; not retried, it would fail the same way.
            logger.exception("unexpected error in a task attempt")
            last = TaskFailure(f"unexpected error: {describe_error(error)}", retryable=False)
        else:
            return TaskOutcome(
                status=ExecutionStatus.SUCCEEDED,
                attempts=attempts,
                duration_ms=_ms_since(started, ctx),
                result=result,
            )
        if not last.retryable or attempts >= ctx.retry.max_attempts:
            break
        delay = backoff_delay(attempts, ctx.retry, ctx.uniform)
        if last.retry_after is not None:
            delay = max(delay, min(last.retry_after, ctx.retry.max_backoff_seconds))
        if ctx.monotonic() + delay + MIN_ATTEMPT_SECONDS > ctx.deadline:
            # Retrying would outlive the Lambda: report the last failure as it is.
            break
        ctx.sleep(delay)
    return TaskOutcome(
        status=ExecutionStatus.TIMED_OUT if last.timed_out else ExecutionStatus.FAILED,
        attempts=attempts,
        duration_ms=_ms_since(started, ctx),
        result=last.result,
        error=str(last),
    )


def _ms_since(started: float, ctx: RunContext) -> int:
    return max(0, int((ctx.monotonic() - started) * 1000))


def _run_sequence(task: SequenceTask, ctx: RunContext) -> TaskOutcome:
    """Steps in order; a step whose dependency did not succeed is SKIPPED, the others
    still run. FAILED if any step failed, else TIMED_OUT if one timed out."""
    started = ctx.monotonic()
    outcomes: dict[str, StepOutcome] = {}
    for step in task.steps:
        blocked = [dep for dep in step.depends_on if outcomes[dep].status != "SUCCEEDED"]
        if blocked:
            outcomes[step.id] = StepOutcome(
                id=step.id,
                status=ExecutionStatus.SKIPPED,
                error=f"skipped: {', '.join(blocked)} did not succeed",
            )
            continue
        outcome = run_with_retries(step.task, ctx, run_key=f"{ctx.execution_id}.{step.id}")
        outcomes[step.id] = StepOutcome(
            id=step.id,
            status=outcome.status,
            attempts=outcome.attempts,
            duration_ms=outcome.duration_ms,
            result=outcome.result,
            error=outcome.error,
        )
    steps = list(outcomes.values())
    statuses = [s.status for s in steps]
    if ExecutionStatus.FAILED in statuses:
        status = ExecutionStatus.FAILED
    elif ExecutionStatus.TIMED_OUT in statuses:
        status = ExecutionStatus.TIMED_OUT
    else:
        status = ExecutionStatus.SUCCEEDED
    first_bad = next((s for s in steps if s.status in ("FAILED", "TIMED_OUT")), None)
    counts = {value.value: statuses.count(value) for value in ExecutionStatus if value in statuses}
    return TaskOutcome(
        status=status,
        attempts=sum(s.attempts for s in steps),
        duration_ms=_ms_since(started, ctx),
        result={"steps": counts},
        error=f"step {first_bad.id}: {first_bad.error}" if first_bad else None,
        steps=steps,
    )


def describe_error(error: BaseException, limit: int = 500) -> str:
    """``Type: message``, bounded, and safe to store (no lone surrogates)."""
    text = f"{type(error).__name__}: {error}"
    if len(text) > limit:
        text = text[:limit] + "..."
    return text.encode("utf-8", "replace").decode("utf-8")


def _dispatch(task: LeafTask, ctx: RunContext, *, run_key: str, timeout: float) -> dict[str, Any]:
    # Refused at create and update too (logic.task_policy); checked again here for items
    # written before those checks existed or by hand.
    found = own_resource_reason(task, OwnResources.of(get_settings()))
    if found is not None:
        field, reason = found
        raise TaskFailure(f"{task.type} task targets {reason} ({field}); refused", retryable=False)
    if isinstance(task, HttpTask):
        return _run_http(task, ctx, run_key=run_key, timeout=timeout)
    # Targets de-duplicate on this key (SQS/SNS FIFO, Step Functions names): it must be
    # unique across schedules and tenants, not only within one schedule.
    run_key = message_id(ctx.tenant, ctx.schedule_id, run_key)
    try:
        if isinstance(task, LambdaTask):
            return targets.invoke_lambda(task, timeout=timeout)
        if isinstance(task, SqsTask):
            return targets.send_sqs(task, run_key=run_key, timeout=timeout)
        if isinstance(task, SnsTask):
            return targets.publish_sns(
                task, run_key=run_key, default_group=ctx.schedule_id, timeout=timeout
            )
        if isinstance(task, EventBridgeTask):
            return targets.put_event(task, timeout=timeout)
        return targets.start_execution(task, run_key=run_key, timeout=timeout)
    except targets.TargetError as error:
        raise TaskFailure(
            str(error), retryable=error.retryable, timed_out=error.timed_out, result=error.result
        ) from error


def _run_http(task: HttpTask, ctx: RunContext, *, run_key: str, timeout: float) -> dict[str, Any]:
    settings = get_settings()
    problems = http_task_problems(task, settings, at_run_time=True)
    if problems:
        raise TaskFailure(
            "the task breaks the HTTP task rules: " + "; ".join(p.msg for p in problems),
            retryable=False,
        )
    body = None if task.body is None else targets.encode(task.body)
    headers = _signed(_task_headers(task, body), ctx, run_key=run_key, body=body)
    try:
        response = http_client.request(
            task.method,
            str(task.url),
            headers=headers,
            body=None if body is None else body.encode(),
            timeout=min(task.timeout_seconds, timeout),
            follow_redirects=task.follow_redirects,
            max_redirects=task.max_redirects,
            max_response_bytes=settings.http_max_response_bytes,
            allow_loopback=settings.allow_loopback_targets,
        )
    except http_client.HttpTimeout as error:
        raise TaskFailure(str(error), retryable=True, timed_out=True) from error
    except http_client.HttpError as error:
        raise TaskFailure(str(error), retryable=error.retryable) from error
    result = _http_result(response)
    if task.is_success(response.status_code):
        return result
    code = response.status_code
    raise TaskFailure(
        f"HTTP {code} from {task.url.host}",
        retryable=code in (408, 425, 429) or code >= 500,
        retry_after=retry_after_seconds(response.headers.get("retry-after"), ctx.wall_clock()),
        result=result,
    )


def _task_headers(task: HttpTask, body: str | None) -> dict[str, str]:
    """The task's headers, with our User-Agent and a Content-Type where it set none."""
    # Host, Content-Length, Transfer-Encoding, webhook-* and the like belong to the
    # client: a task stored before the create-time rules never sends its own.
    own = {k: v for k, v in task.headers.items() if not http_rules.is_client_owned(k)}
    lower = {name.lower() for name in own}
    # The task's own User-Agent, if any, replaces ours (one header, whatever its case).
    headers = {} if "user-agent" in lower else {"User-Agent": USER_AGENT}
    headers.update(own)
    if body is not None and "content-type" not in lower:
        headers["Content-Type"] = (
            "text/plain; charset=utf-8" if isinstance(task.body, str) else "application/json"
        )
    return headers


def _signed(
    headers: dict[str, str], ctx: RunContext, *, run_key: str, body: str | None
) -> dict[str, str]:
    """``headers`` with the Standard Webhooks signature and our run headers.

    The id names one message (schedule, fire, step) and is stable across retries
    (receivers de-duplicate on it); the timestamp is fresh per attempt (receivers reject
    old ones). Ours win over same-named task headers.
    """
    secret = get_or_create_signing_secret(ctx.tenant)
    sent_at = ctx.wall_clock()
    msg_id = message_id(ctx.tenant, ctx.schedule_id, run_key)
    out = {k: v for k, v in headers.items() if k.lower() not in _OWN_HEADERS}
    out["webhook-id"] = msg_id
    out["webhook-timestamp"] = str(int(sent_at.timestamp()))
    out["webhook-signature"] = Webhook(secret).sign(msg_id, sent_at, body or "")
    out[SCHEDULE_HEADER] = ctx.schedule_id
    out[EXECUTION_HEADER] = ctx.execution_id
    if run_key != ctx.execution_id:
        out[STEP_HEADER] = run_key[len(ctx.execution_id) + 1 :]
    return out


def _http_result(response: http_client.HttpResponse) -> dict[str, Any]:
    """What the run records of the answer: status, the start of the body, redirects."""
    result: dict[str, Any] = {
        "status_code": response.status_code,
        "body": response.body[:RESULT_BODY_BYTES].decode("utf-8", "replace"),
    }
    if response.truncated or len(response.body) > RESULT_BODY_BYTES:
        result["body_truncated"] = True
    if response.redirects:
        result["redirects"] = response.redirects
    return result


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After per RFC 9110: delay-seconds or an HTTP-date; None when absent or bad.

    Anything else (signs, decimals, non-ASCII digits, dates that do not parse or do not
    exist) is ignored: the retry then waits for the backoff alone.
    """
    if not value:
        return None
    text = value.strip(" \t")
    if _DELAY_SECONDS.match(text):
        # Beyond any cap the caller applies; float() of many digits is inf, not an error.
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
