"""CloudEvents 1.0 (structured JSON) envelopes for the SNS lifecycle topic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from jobscheduler.models.schedules import Schedule

EventType = Literal[
    "schedule.created",
    "schedule.updated",
    "schedule.paused",
    "schedule.resumed",
    "schedule.deleted",
    "schedule.completed",
    "schedule.missed",
    "schedule.repaired",
    "schedule.auto_paused",
    "execution.started",
    "execution.succeeded",
    "execution.failed",
    "execution.skipped",
]

EVENT_TYPE_PREFIX = "com.jobscheduler."


def event_source(tenant: str) -> str:
    """CloudEvents ``source``: a URI reference for any tenant (every character outside
    the unreserved set is percent-encoded, '/' included, so a tenant is one segment)."""
    return "/jobscheduler/tenants/" + quote(tenant, safe="")


class CloudEvent(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str = "/jobscheduler"
    type: str
    subject: str | None = None
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]


class LifecycleEvent(BaseModel):
    """A lifecycle event plus the SNS message attributes subscribers filter on."""

    event_type: EventType
    tenant: str
    schedule_id: str
    status: str
    task_type: str
    data: dict[str, Any]

    @classmethod
    def about_schedule(
        cls, event_type: EventType, schedule: Schedule, **data: Any
    ) -> LifecycleEvent:
        """An event about a schedule, carrying the schedule as it now is, without its
        task: the task's headers and body may hold credentials, and a subscriber has no
        need of them."""
        return cls(
            event_type=event_type,
            tenant=schedule.tenant,
            schedule_id=schedule.id,
            status=schedule.status.value,
            task_type=schedule.task_type,
            data={"schedule": schedule.model_dump(mode="json", exclude={"task"}), **data},
        )

    def cloudevent(self) -> CloudEvent:
        return CloudEvent(
            type=EVENT_TYPE_PREFIX + self.event_type,
            source=event_source(self.tenant),
            subject=self.schedule_id,
            data={"event_type": self.event_type, **self.data},
        )

    def message_attributes(self) -> dict[str, dict[str, str]]:
        # `type` is the name filter policies use (`{"type": ["execution.failed"]}`);
        # `event_type` stays for the subscriptions written before it existed.
        return {
            name: {"DataType": "String", "StringValue": value}
            for name, value in (
                ("type", self.event_type),
                ("event_type", self.event_type),
                ("tenant", self.tenant),
                ("schedule_id", self.schedule_id),
                ("status", self.status),
                ("task_type", self.task_type),
            )
        }
