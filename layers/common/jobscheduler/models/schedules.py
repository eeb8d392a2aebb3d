"""Schedule models: the API's request bodies and the stored/returned schedule."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
)

from jobscheduler.models.calendars import ExclusionRule, Exclusions
from jobscheduler.models.tasks import Task, refuse_unknown_task_type


class ScheduleStatus(StrEnum):
    PENDING = "PENDING"  # written, Scheduler entries not yet confirmed (dual-write window)
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    DELETED = "DELETED"


class ScheduleKind(StrEnum):
    ONE_TIME = "one_time"
    RECURRING = "recurring"


class RetryPolicy(BaseModel):
    """Retries inside one run (executor) and Scheduler's invocation retries."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(
        default=3, ge=1, le=10, description="Attempts per run, first included"
    )
    backoff_seconds: float = Field(default=1.0, ge=0, le=300, description="First retry delay")
    backoff_multiplier: float = Field(default=2.0, ge=1, le=10)
    max_backoff_seconds: float = Field(default=60.0, ge=0, le=900)
    # EventBridge Scheduler's own retry of the Lambda invocation (0-185) and event age.
    scheduler_max_retries: int = Field(default=2, ge=0, le=185)
    scheduler_max_event_age_seconds: int = Field(default=3600, ge=60, le=86400)


HolidayCountry = Annotated[str, Field(min_length=2, max_length=3, pattern=r"^[A-Za-z]{2,3}$")]


def _date_time_text(value: object) -> object:
    # pydantic would read a number as a Unix timestamp; the API's schema says a string.
    if not isinstance(value, str | datetime):
        raise ValueError("must be an ISO 8601 date-time string with an offset")
    return value


IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_date_time_text)]

# Characters a name may not hold: C0 and C1 controls, DEL, and the bidirectional
# controls that can make a name display as another (U+061C, U+200E/F, U+202A-E,
# U+2066-9). A name also needs one character that is not whitespace.
_NOT_IN_NAMES = r"\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
NAME_PATTERN = rf"^[^{_NOT_IN_NAMES}]*[^\s{_NOT_IN_NAMES}][^{_NOT_IN_NAMES}]*$"
Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=NAME_PATTERN,
        description="1-128 characters, not only whitespace; no control characters or "
        "bidirectional overrides",
    ),
]
TagMap = Annotated[dict[str, Annotated[str, Field(max_length=256)]], Field(max_length=50)]


def _tags_keys(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is not None:
        for key in value:
            if not 1 <= len(key) <= 128 or ":" in key:
                raise ValueError(f"tag key {key!r} must be 1-128 characters without ':'")
    return value


def empty_key_path(value: object, path: str) -> str | None:
    """The path of the first empty-string key in ``value`` (a JSON document), or None.
    DynamoDB cannot store a map with an empty key; refusing it here answers 422 with the
    place to fix instead of failing the write."""
    stack: list[tuple[object, str]] = [(value, path)]
    while stack:
        current, where = stack.pop()
        if isinstance(current, dict):
            for key, item in current.items():
                if key == "":
                    return where
                if key == "headers" and current.get("type") == "http":
                    # The HTTP rules refuse an empty header name with its own `loc`.
                    continue
                stack.append((item, f"{where}.{key}"))
        elif isinstance(current, list):
            stack.extend((item, f"{where}[{index}]") for index, item in enumerate(current))
    return None


def _no_empty_keys(task: Task | None) -> Task | None:
    if task is not None:
        where = empty_key_path(task.model_dump(mode="json"), "task")
        if where is not None:
            raise ValueError(f"{where} has an empty key; every key needs at least one character")
    return task


class ScheduleCreate(BaseModel):
    # The example is also what schemathesis starts from, so it must be a valid request.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "nightly-report",
                    "schedule": "0 9 * * MON-FRI",
                    "timezone": "Europe/Paris",
                    "task": {"type": "http", "url": "https://hooks.example.com/report"},
                }
            ]
        },
    )

    name: Name
    description: str | None = Field(default=None, max_length=1024)
    schedule: str = Field(
        min_length=1,
        max_length=256,
        description="cron, cron()/rate()/at(), ISO 8601 or plain English",
    )
    timezone: str = Field(default="UTC", max_length=64)
    start_at: IsoDatetime | None = None
    end_at: IsoDatetime | None = None
    max_runs: int | None = Field(default=None, ge=1)
    task: Task
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    overlap: Literal["skip", "allow"] = "skip"
    notify_started: StrictBool = Field(
        default=False,
        description="Also publish execution.started when a run begins (one more SNS publish"
        " per run); by default a run publishes only its outcome",
    )
    flexible_window_minutes: int = Field(default=0, ge=0, le=1440)
    priority: int = Field(default=5, ge=1, le=10)
    tags: TagMap = Field(default_factory=dict)
    exclude: Exclusions = Field(
        default_factory=list,
        description="Fires that do not run: public holidays, dates, days, date-time windows"
        " (read in the schedule's timezone); they are recorded as SKIPPED",
    )
    holiday_country: HolidayCountry | None = Field(
        default=None,
        description="The country whose holidays 'except holidays' in a plain-English"
        " schedule means, e.g. US",
    )
    missed_run_grace_seconds: int | None = Field(
        default=None,
        ge=60,
        le=86400,
        description="Report a run as missed this long after its time (default: the stack's)",
    )
    pause_after_failures: int | None = Field(
        default=None, ge=1, le=1000, description="Pause after this many failed runs in a row"
    )

    _task_type = field_validator("task", mode="before")(
        classmethod(lambda cls, v: refuse_unknown_task_type(v))
    )
    _tag_keys = field_validator("tags")(classmethod(lambda cls, v: _tags_keys(v)))
    _task_keys = field_validator("task")(classmethod(lambda cls, v: _no_empty_keys(v)))


class ScheduleUpdate(BaseModel):
    """PATCH body: every field optional; ``version`` may come here or in If-Match."""

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1)
    name: Name | None = None
    description: str | None = Field(default=None, max_length=1024)
    schedule: str | None = Field(default=None, min_length=1, max_length=256)
    timezone: str | None = Field(default=None, max_length=64)
    start_at: IsoDatetime | None = None
    end_at: IsoDatetime | None = None
    max_runs: int | None = Field(default=None, ge=1)
    task: Task | None = None
    retry: RetryPolicy | None = None
    overlap: Literal["skip", "allow"] | None = None
    notify_started: StrictBool | None = None
    flexible_window_minutes: int | None = Field(default=None, ge=0, le=1440)
    priority: int | None = Field(default=None, ge=1, le=10)
    tags: TagMap | None = None
    exclude: Exclusions | None = None
    holiday_country: HolidayCountry | None = None
    missed_run_grace_seconds: int | None = Field(default=None, ge=60, le=86400)
    pause_after_failures: int | None = Field(default=None, ge=1, le=1000)

    _task_type = field_validator("task", mode="before")(
        classmethod(lambda cls, v: refuse_unknown_task_type(v))
    )
    _tag_keys = field_validator("tags")(classmethod(lambda cls, v: _tags_keys(v)))
    _task_keys = field_validator("task")(classmethod(lambda cls, v: _no_empty_keys(v)))


class PauseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=512)


class Schedule(BaseModel):
    """A schedule as stored (minus keys) and as the API returns it."""

    model_config = ConfigDict(extra="ignore")

    id: str
    tenant: str = Field(exclude=True)
    name: str
    description: str | None = None
    status: ScheduleStatus
    kind: ScheduleKind
    schedule: str
    expressions: list[str]
    timezone: str
    schedule_description: str = Field(
        default="",
        description='Human description of when it runs, e.g. "At 09:00, Monday through Friday"',
    )
    start_at: datetime | None = None
    end_at: datetime | None = None
    max_runs: int | None = None
    task: Task
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    overlap: Literal["skip", "allow"] = "skip"
    notify_started: bool = False
    flexible_window_minutes: int = 0
    priority: int = 5
    tags: dict[str, str] = Field(default_factory=dict)
    exclude: list[ExclusionRule] = Field(default_factory=list)
    holiday_country: str | None = None
    exclusions: list[ExclusionRule] = Field(
        default_factory=list,
        description="The exclusions in force: `exclude` plus those the schedule's own"
        " words name ('except US holidays')",
    )
    missed_run_grace_seconds: int | None = None
    pause_after_failures: int | None = None
    # Failed runs in a row (the executor counts; a success or a resume resets it).
    consecutive_failures: int = 0
    pause_note: str | None = None
    next_run_at: datetime | None = None
    last_run_at: datetime | None = None
    last_status: str | None = None
    total_runs: int = 0
    failed_runs: int = 0
    skipped_runs: int = Field(
        default=0, description="Fires the exclusions skipped (not counted in total_runs)"
    )
    version: int = 1
    created_at: datetime
    updated_at: datetime

    @property
    def task_type(self) -> str:
        return self.task.type
