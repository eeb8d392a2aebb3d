"""The reconciler under moto: schedules are created through the API handler (so items
and entries are exactly what the API writes), then drift is injected and a pass runs
with an explicit clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from tests.integration.api.conftest import (  # noqa: F401 (fixtures)
    TENANT,
    Api,
    api,
    entries,
    executor_function,
    group_name,
    inject,
    schedule_item,
    sns_events,
    table_name,
)

__all__ = [
    "SETTLE",
    "TENANT",
    "Api",
    "after_settle",
    "create",
    "delete_entry",
    "entries",
    "group_name",
    "parse",
    "repaired_kinds",
    "schedule_item",
    "set_entry_state",
    "table",
    "table_name",
]
SETTLE = timedelta(seconds=180)


def create(client: Api, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"schedule": "rate(1 hour)", "timezone": "UTC"}
    body["flexible_window_minutes"] = 0
    body.update(changes)
    return client.create(**body)


def after_settle() -> datetime:
    return datetime.now(UTC) + SETTLE + timedelta(seconds=5)


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def scheduler() -> Any:
    return boto3.client("scheduler")


def delete_entry(name: str) -> None:
    scheduler().delete_schedule(Name=name, GroupName=group_name())


def set_entry_state(name: str, state: str) -> None:
    current = scheduler().get_schedule(Name=name, GroupName=group_name())
    keep = (
        "ScheduleExpression",
        "ScheduleExpressionTimezone",
        "FlexibleTimeWindow",
        "Target",
        "ActionAfterCompletion",
        "Description",
    )
    scheduler().update_schedule(
        Name=name,
        GroupName=group_name(),
        State=state,
        **{k: current[k] for k in keep if k in current},
    )


def table() -> Any:
    return boto3.resource("dynamodb").Table(table_name())


def repaired_kinds(events: list[tuple[dict[str, Any], dict[str, str]]]) -> list[str]:
    return sorted(
        body["data"]["kind"] for body, attrs in events if attrs["event_type"] == "schedule.repaired"
    )
