"""Event subscriptions of a tenant: what the API accepts and answers.

The filter is a closed vocabulary (event types, schedule ids, statuses), never a raw SNS
filter policy: the server builds the policy and adds the tenant condition itself, so no
operator a client could send ("anything-but", "prefix", "exists") can widen it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jobscheduler.models.api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from jobscheduler.models.events import EventType
from jobscheduler.models.executions import ExecutionStatus
from jobscheduler.models.ids import SCHEDULE_ID_PATTERN
from jobscheduler.models.pagination import Page
from jobscheduler.models.schedules import ScheduleStatus

SUBSCRIPTION_ID_PATTERN = r"^sub_[0-9a-z]{24}$"
# Every value the `status` message attribute can take (schedule.* events carry the
# schedule's status, execution.* events the run's).
EVENT_STATUSES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [s.value for s in ScheduleStatus if s != ScheduleStatus.PENDING]
        + [s.value for s in ExecutionStatus]
    )
)
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
MAX_ENDPOINT_LENGTH = 2048
MAX_SCHEDULE_IDS = 100


class Protocol(StrEnum):
    HTTPS = "https"
    HTTP = "http"
    EMAIL = "email"
    SQS = "sqs"
    LAMBDA = "lambda"


class SubscriptionStatus(StrEnum):
    PENDING_CONFIRMATION = "pending_confirmation"
    CONFIRMED = "confirmed"
    # SNS no longer knows the subscription (an unconfirmed one expires after 3 days).
    EXPIRED = "expired"
    # The create was interrupted between SNS and the table: DELETE cleans it up.
    CREATING = "creating"


def _unique(values: list[str]) -> list[str]:
    return sorted(dict.fromkeys(values))


class SubscriptionFilter(BaseModel):
    """Each list narrows the events (an event must match every list given); an omitted
    list matches everything of the tenant."""

    model_config = ConfigDict(extra="forbid")

    event_types: list[EventType] | None = Field(
        default=None, min_length=1, description="Short event types, e.g. execution.failed"
    )
    schedule_ids: list[Annotated[str, Field(pattern=SCHEDULE_ID_PATTERN)]] | None = Field(
        default=None, min_length=1, max_length=MAX_SCHEDULE_IDS
    )
    # The enum is declared for the OpenAPI document; the validator below gives the error.
    statuses: (
        list[Annotated[str, Field(json_schema_extra={"enum": list(EVENT_STATUSES)})]] | None
    ) = Field(
        default=None,
        min_length=1,
        description="Values of the status attribute: " + ", ".join(EVENT_STATUSES),
    )

    @field_validator("statuses")
    @classmethod
    def _known_statuses(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        unknown = [v for v in value if v not in EVENT_STATUSES]
        if unknown:
            raise ValueError(
                f"unknown status {unknown[0]!r}; use one of {', '.join(EVENT_STATUSES)}"
            )
        return _unique(value)

    @field_validator("event_types", "schedule_ids")
    @classmethod
    def _dedupe(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _unique(value)


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    protocol: Protocol
    endpoint: str = Field(
        min_length=1,
        max_length=MAX_ENDPOINT_LENGTH,
        description="https/http: the URL; email: the address; sqs: the queue ARN; "
        "lambda: the function ARN",
    )
    filter: SubscriptionFilter = Field(default_factory=SubscriptionFilter)


class Subscription(BaseModel):
    id: str
    protocol: Protocol
    endpoint: str
    filter: SubscriptionFilter
    status: SubscriptionStatus
    created_at: datetime
    topic_arn: str = Field(
        description="The tenant's own topic: the TopicArn of every message delivered "
        "(check it when verifying a message)"
    )


class SubscriptionListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(default=None, max_length=2048)


class SubscriptionPage(Page[Subscription]):
    pass
