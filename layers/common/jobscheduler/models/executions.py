"""Execution records and the executor's invocation payload."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class ExecutionStatus(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    SKIPPED = "SKIPPED"


FINAL_STATUSES = frozenset(
    {
        ExecutionStatus.SUCCEEDED,
        ExecutionStatus.FAILED,
        ExecutionStatus.TIMED_OUT,
        ExecutionStatus.SKIPPED,
    }
)


class Trigger(StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    RETRY = "retry"  # a replay of a finished execution (retry_of names it)
    BACKFILL = "backfill"  # a past fire run on request; same id and claim as the fire


class StepOutcome(BaseModel):
    id: str
    status: ExecutionStatus
    attempts: int = 0
    duration_ms: int = 0
    result: dict[str, Any] | None = None
    error: str | None = None


class Execution(BaseModel):
    """One run of a schedule, as GET /schedules/{id}/executions returns it."""

    model_config = ConfigDict(extra="ignore")

    id: str
    schedule_id: str
    status: ExecutionStatus
    trigger: Trigger
    scheduled_time: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    lateness_ms: int | None = None
    attempts: int = 0
    result: dict[str, Any] | None = None
    error: str | None = None
    skip_reason: str | None = None
    steps: list[StepOutcome] | None = None
    task_type: str | None = None
    retry_of: str | None = None


class ExecutorPayload(BaseModel):
    """What EventBridge Scheduler (Target.Input) or run-now sends to the executor.

    Carries ids and Scheduler's context attributes, never the task: the executor reads
    the schedule from DynamoDB so edits need no Scheduler call.
    """

    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=256)
    schedule_id: str = Field(min_length=1, max_length=64)
    trigger: Literal["schedule", "manual", "retry", "backfill"] = "schedule"
    # "<aws.scheduler.scheduled-time>" resolves to an ISO 8601 UTC time, e.g. 2026-11-22T09:00:00Z.
    scheduled_time: datetime
    scheduler_execution_id: str | None = None
    attempt_number: int | None = None
    # Set by run-now: the execution id the API already returned to the caller.
    execution_id: str | None = None
    part: int | None = None
    # Set by replay: the execution this run repeats.
    retry_of: str | None = Field(default=None, max_length=64)


def payload_template(tenant: str, schedule_id: str, part: int) -> dict[str, JsonValue]:
    """Target.Input for a Scheduler entry; Scheduler fills the <aws.scheduler.*> attributes."""
    return {
        "tenant": tenant,
        "schedule_id": schedule_id,
        "trigger": "schedule",
        "scheduled_time": "<aws.scheduler.scheduled-time>",
        "scheduler_execution_id": "<aws.scheduler.execution-id>",
        "attempt_number": "<aws.scheduler.attempt-number>",
        "part": part,
    }
