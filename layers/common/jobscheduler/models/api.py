"""Request and response models specific to the HTTP API (the schedule and execution
shapes themselves live in models.schedules and models.executions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from jobscheduler.models.executions import Execution, ExecutionStatus
from jobscheduler.models.ids import SCHEDULE_ID_PATTERN
from jobscheduler.models.pagination import Page
from jobscheduler.models.schedules import IsoDatetime, Schedule, ScheduleKind, ScheduleStatus
from jobscheduler.models.tasks import TaskType

MAX_BODY_BYTES = 256 * 1024
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class ErrorInfo(BaseModel):
    code: str = Field(description="Machine-readable error code, e.g. validation_error")
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of the API has this shape."""

    error: ErrorInfo


class PreviewRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"schedule": "every weekday at 9am", "count": 3}]},
    )

    schedule: str = Field(min_length=1, max_length=256)
    timezone: str = Field(default="UTC", max_length=64)
    start_at: IsoDatetime | None = Field(
        default=None, description="Preview the runs after this moment instead of now"
    )
    end_at: IsoDatetime | None = None
    count: int = Field(default=5, ge=1, le=50)


class PreviewResponse(BaseModel):
    kind: ScheduleKind
    expressions: list[str] = Field(description="EventBridge Scheduler expressions")
    timezone: str
    description: str
    next_runs: list[datetime] = Field(
        description="ISO 8601 with the offset of the schedule's timezone"
    )


class RunResponse(BaseModel):
    execution_id: str
    schedule_id: str


class HealthChecks(BaseModel):
    table: bool
    schedule_group: bool
    topic: bool


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    checks: HealthChecks


class SigningSecretResponse(BaseModel):
    secret: str = Field(description='Standard Webhooks signing secret ("whsec_...")')
    scheme: Literal["standard-webhooks"] = "standard-webhooks"
    headers: list[str] = Field(
        default_factory=lambda: ["webhook-id", "webhook-timestamp", "webhook-signature"]
    )


class ScheduleListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ScheduleStatus | None = Field(
        default=None, description="DELETED lists deleted schedules (their history stays readable)"
    )
    task_type: TaskType | None = None
    tag: str | None = Field(
        default=None, pattern=r"^[^:]{1,128}:.{0,256}$", description="key:value"
    )
    name_prefix: str | None = Field(default=None, min_length=1, max_length=128)
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(default=None, max_length=2048)


class ExecutionListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ExecutionStatus | None = None
    since: IsoDatetime | None = None
    until: IsoDatetime | None = None
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(default=None, max_length=2048)


class TenantExecutionListQuery(ExecutionListQuery):
    """GET /executions: a schedule's history filters, plus an optional schedule."""

    schedule_id: str | None = Field(
        default=None,
        pattern=SCHEDULE_ID_PATTERN,
        description="Only this schedule's executions (deleted schedules included)",
    )


class ClearQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm: bool = False


class ClearResponse(BaseModel):
    deleted: int


class SchedulePage(Page[Schedule]):
    """A page of schedules (named so the OpenAPI document gets a readable schema)."""


class ExecutionPage(Page[Execution]):
    """A page of executions, newest first."""
