"""EventBridge Scheduler entries: one per compiled expression, named from the schedule id.

Every call that fails for a reason other than "already exists" / "not found" surfaces as
``DependencyUnavailable`` so the logic can compensate without knowing botocore.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import Any, Literal

from botocore.exceptions import ClientError

from jobscheduler.aws import AWS_ERRORS, client, error_code
from jobscheduler.gateways.scheduler_delete import delete_entry as delete_entry
from jobscheduler.gateways.scheduler_delete import scheduler_unavailable
from jobscheduler.models.entries import EntrySpec as EntrySpec
from jobscheduler.models.entries import EntryState
from jobscheduler.models.executions import payload_template
from jobscheduler.settings import get_settings

# The value the logic builds lives with the models; re-exported for this module's callers.
State = EntryState


def _unavailable(action: str) -> AbstractContextManager[None]:
    return scheduler_unavailable(action)


def _request(spec: EntrySpec) -> dict[str, Any]:
    settings = get_settings()
    window: dict[str, Any] = (
        {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": spec.flexible_window_minutes}
        if spec.flexible_window_minutes > 0
        else {"Mode": "OFF"}
    )
    target: dict[str, Any] = {
        "Arn": settings.executor_function_arn,
        "RoleArn": settings.scheduler_role_arn,
        "Input": json.dumps(
            payload_template(spec.tenant, spec.schedule_id, spec.part), separators=(",", ":")
        ),
        "RetryPolicy": {
            "MaximumRetryAttempts": spec.max_retries,
            "MaximumEventAgeInSeconds": spec.max_event_age_seconds,
        },
    }
    if settings.dlq_arn:
        target["DeadLetterConfig"] = {"Arn": settings.dlq_arn}
    request: dict[str, Any] = {
        "Name": spec.name,
        "GroupName": settings.schedule_group,
        "ScheduleExpression": spec.expression,
        "ScheduleExpressionTimezone": spec.timezone,
        "State": spec.state,
        "FlexibleTimeWindow": window,
        "Target": target,
        "ActionAfterCompletion": "DELETE" if spec.one_off else "NONE",
        "Description": f"job-scheduler {spec.schedule_id} part {spec.part}",
    }
    if spec.start_date is not None:
        request["StartDate"] = spec.start_date
    if spec.end_date is not None:
        request["EndDate"] = spec.end_date
    return request


# create -> ConflictException -> update -> ResourceNotFoundException (a concurrent
# delete) -> create again...: each lap means another request changed the entry in
# between, so a few laps are plenty.
_PUT_ATTEMPTS = 3


def put_entry(spec: EntrySpec) -> Literal["created", "updated"]:
    """Create the entry, or bring an existing one (a retried create, an update) to ``spec``.

    Names are deterministic, so ConflictException means "already there": update it; and
    an update that finds it gone (deleted concurrently) creates it again.
    """
    request = _request(spec)
    scheduler = client("scheduler")
    with _unavailable("create schedule entry"):
        for attempt in range(_PUT_ATTEMPTS):
            try:
                scheduler.create_schedule(**request)
            except ClientError as exc:
                if error_code(exc) != "ConflictException":
                    raise
            else:
                return "created"
            try:
                scheduler.update_schedule(**request)
            except ClientError as exc:
                if error_code(exc) != "ResourceNotFoundException" or attempt == _PUT_ATTEMPTS - 1:
                    raise
            else:
                return "updated"
    raise AssertionError("unreachable")  # pragma: no cover


def get_entry(name: str) -> dict[str, Any] | None:
    """The entry as Scheduler describes it, or None."""
    with _unavailable("get schedule entry"):
        try:
            response: dict[str, Any] = client("scheduler").get_schedule(
                Name=name, GroupName=get_settings().schedule_group
            )
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise
    return response


def group_reachable() -> bool:
    """Health check: the stack's schedule group answers."""
    try:
        client("scheduler").get_schedule_group(Name=get_settings().schedule_group)
    except AWS_ERRORS:
        return False
    return True


def list_entry_names(token: str | None, limit: int) -> tuple[list[str], str | None]:
    """One page of the group's entry names and the token of the next (None: the end)."""
    request: dict[str, Any] = {
        "GroupName": get_settings().schedule_group,
        "MaxResults": max(1, min(limit, 100)),
    }
    if token:
        request["NextToken"] = token
    with _unavailable("list schedule entries"):
        page = client("scheduler").list_schedules(**request)
    names = [str(summary["Name"]) for summary in page.get("Schedules", [])]
    next_token = page.get("NextToken")
    return names, str(next_token) if next_token else None
