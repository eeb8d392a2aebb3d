"""Deleting EventBridge Scheduler entries: the one way, for the API's use cases (through
gateways.scheduler) and the executor's cleanup of a completed schedule alike.

Its own module because the executor imports it: writing entries needs the target's
ARNs, which the executor's environment does not carry; deleting needs only the group.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from botocore.exceptions import ClientError

from jobscheduler.aws import client, error_code, unavailable
from jobscheduler.settings import get_settings


def scheduler_unavailable(action: str) -> AbstractContextManager[None]:
    return unavailable(action, dependency="scheduler", label="EventBridge Scheduler")


def delete_entry(name: str) -> bool:
    """Delete one entry; False when it did not exist (already deleted is fine)."""
    with scheduler_unavailable("delete schedule entry"):
        try:
            client("scheduler").delete_schedule(Name=name, GroupName=get_settings().schedule_group)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return False
            raise
    return True
