"""The executor's lock and bookkeeping: claim a run, finish it. No transactions.

Budget of one scheduled run (items within 1 KB): 1 read unit (the consistent GetItem of
the schedule) and 3 write units, whatever the overlap policy; a duplicate delivery costs
at most 1 write unit (the refused conditional write), usually none.

Two ways to claim, chosen by the overlap policy (the reasoning is in docs/design.md):

* **Hold** (overlap=skip, scheduled fires; the default). The claim is one conditional
  UpdateItem of the *schedule* item: ``running_execution``, ``running_lease_until``
  (epoch ms), ``running_attempts`` and ``claimed_through`` (the newest scheduled id ever
  claimed, a high-water mark). It refuses while another live run holds the schedule
  (overlap) and for any id at or below the mark (a duplicate, or a fire that a newer one
  overtook). The execution record is written once, at the end (PutItem), then one
  UpdateItem of the schedule applies the counters and releases the hold, conditional on
  still holding it with *this* lease: a retry cannot count twice.
* **Record** (overlap=allow, and run-now). The claim is one conditional PutItem of the
  RUNNING execution record (the record is the lock, as concurrent runs are allowed). The
  finish is one UpdateItem of the schedule, conditional on ``last_finished <> id``, and
  one UpdateItem of the record, conditional on the lease we hold. A run-now on an
  overlap=skip schedule also holds the schedule (a fourth write; run-now is rare).

A crashed attempt is taken over once its lease has passed, by a write conditional on
the exact lease it left, so two deliveries cannot both take it.

This module is the real RunLedger (jobscheduler.ports): the claims live in run_claims.py,
the finish in run_finish.py; every function here raises domain errors only
(DependencyUnavailable when DynamoDB cannot be reached).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from jobscheduler.dal import backfill_fence as fences
from jobscheduler.dal import codec, keys
from jobscheduler.dal import executions as records
from jobscheduler.dal.executions import schedule_table
from jobscheduler.dal.failures import unavailable
from jobscheduler.dal.run_claims import claim, optional_int, optional_str, refused
from jobscheduler.dal.run_finish import finish, iso
from jobscheduler.models.executions import Execution
from jobscheduler.models.runs import (
    Claim,
    ClaimResult,
    LockKind,
    ScheduleChanges,
    ScheduleSnapshot,
    epoch_ms,
)
from jobscheduler.models.schedules import ScheduleStatus

# The values the RunLedger port speaks in, importable from here as before.
__all__ = [
    "Claim",
    "ClaimResult",
    "LockKind",
    "ScheduleChanges",
    "ScheduleSnapshot",
    "backfill_fence",
    "claim",
    "epoch_ms",
    "finish",
    "pass_excluded_fire",
    "put_skipped",
    "read_schedule",
    "snapshot_from_item",
]


def snapshot_from_item(item: dict[str, Any]) -> ScheduleSnapshot:
    return ScheduleSnapshot(
        schedule=codec.schedule_from_item(item),
        running_execution=optional_str(item.get("running_execution")),
        running_lease_until=optional_int(item.get("running_lease_until")),
        running_attempts=int(item.get("running_attempts", 0)),
        claimed_through=optional_str(item.get("claimed_through")),
        last_finished=optional_str(item.get("last_finished")),
    )


def read_schedule(tenant: str, schedule_id: str) -> ScheduleSnapshot | None:
    """The executor's one read: a consistent GetItem, so a pause, delete or hold is seen."""
    with unavailable("read schedule"):
        response = schedule_table().get_item(
            Key=keys.schedule_key(tenant, schedule_id), ConsistentRead=True
        )
    item = response.get("Item")
    return None if item is None else snapshot_from_item(item)


def put_skipped(
    tenant: str, execution: Execution, *, now: datetime, replacing_lease: int | None = None
) -> bool:
    """Record a SKIPPED run once; False when a record for this id already exists (or
    replace the RUNNING record this run holds with ``replacing_lease``)."""
    with unavailable("record skipped run"):
        return records.put_skipped(tenant, execution, now=now, replacing_lease=replacing_lease)


def backfill_fence(tenant: str, schedule_id: str, execution_id: str) -> bool:
    """Fence a backfilled fire off the scheduled path; False when that path has it."""
    with unavailable("fence backfilled run"):
        return fences.fence(tenant, schedule_id, execution_id)


# --- a fire the schedule's calendar excludes ------------------------------------------

_FRESH = "(attribute_not_exists(last_skipped) OR last_skipped < :id)"


def pass_excluded_fire(
    tenant: str,
    schedule_id: str,
    run_id: str,
    *,
    next_run_at: datetime | None,
    now: datetime,
) -> bool:
    """Count a fire the calendar skipped and move next_run_at past it; with no next run,
    complete the schedule. One UpdateItem (a second only when the first is refused).

    Idempotent: ``last_skipped`` (the newest skipped fire counted; scheduled ids sort by
    time) makes a retried or duplicate delivery count nothing twice, so a delivery
    whose first attempt died after writing the SKIPPED record may call it again.
    next_run_at only moves forward: a late older fire leaves a newer value alone.
    Returns whether the schedule became COMPLETED.
    """
    key = keys.schedule_key(tenant, schedule_id)
    with unavailable("count skipped fire"):
        if _conditional_update(key, **_pass_fire(run_id, next_run_at, now)):
            return next_run_at is None
        # Paused or deleted meanwhile, or next_run_at already later: count the skip only
        # (unless this fire, or a newer one, was counted already).
        _conditional_update(
            key,
            UpdateExpression="SET last_skipped = :id ADD skipped_runs :one",
            ConditionExpression=f"attribute_exists(#pk) AND {_FRESH}",
            ExpressionAttributeNames={"#pk": keys.PK},
            ExpressionAttributeValues={":one": 1, ":id": run_id},
        )
    return False


def _pass_fire(run_id: str, next_run_at: datetime | None, now: datetime) -> dict[str, Any]:
    """The write that counts the skip and moves next_run_at on (or completes)."""
    values: dict[str, Any] = {":one": 1, ":active": ScheduleStatus.ACTIVE.value, ":id": run_id}
    live = f"attribute_exists(#pk) AND #status = :active AND {_FRESH}"
    if next_run_at is not None:
        values[":next"] = iso(next_run_at)
        update = "SET next_run_at = :next, last_skipped = :id ADD skipped_runs :one"
        condition = f"{live} AND (attribute_not_exists(next_run_at) OR next_run_at <= :next)"
    else:
        values[":completed"] = ScheduleStatus.COMPLETED.value
        values[":now"] = iso(now)
        update = (
            "SET #status = :completed, updated_at = :now, version = version + :one,"
            " last_skipped = :id ADD skipped_runs :one REMOVE next_run_at"
        )
        condition = live
    return {
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#pk": keys.PK, "#status": "status"},
        "ExpressionAttributeValues": values,
    }


def _conditional_update(key: dict[str, Any], **request: Any) -> bool:
    """One UpdateItem; False when its condition refused it."""
    try:
        schedule_table().update_item(Key=key, **request)
    except ClientError as error:
        if not refused(error):
            raise
        return False
    return True
