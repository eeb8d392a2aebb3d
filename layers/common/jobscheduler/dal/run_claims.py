"""Claiming a run: the hold (the schedule item is the lock) and the record (the RUNNING
execution record is the lock). dal/runs.py explains which is used when, and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from jobscheduler.aws import error_code
from jobscheduler.dal import keys
from jobscheduler.dal.executions import (
    execution_from_item,
    execution_item,
    plain_item,
    schedule_table,
)
from jobscheduler.dal.failures import unavailable
from jobscheduler.models.executions import Execution, ExecutionStatus
from jobscheduler.models.runs import (
    Claim,
    ClaimResult,
    LockKind,
    ScheduleSnapshot,
    epoch_ms,
    judge_hold,
    judge_refused_hold,
)

_CONDITION_FAILED = "ConditionalCheckFailedException"


def refused(error: ClientError) -> bool:
    """A conditional write whose condition did not hold (not a failure of the call)."""
    return error_code(error) == _CONDITION_FAILED


def optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def claim(
    tenant: str,
    execution: Execution,
    snapshot: ScheduleSnapshot,
    *,
    now: datetime,
    lease_until: datetime,
    scheduled: bool,
    hold_schedule: bool = True,
) -> Claim:
    """Claim this run: one conditional write (two on rare paths, see dal/runs.py).
    ``hold_schedule=False`` (backfill): the record is the only lock, whatever the
    overlap policy."""
    lease_ms = epoch_ms(lease_until)
    skip = snapshot.schedule.overlap == "skip" and hold_schedule
    with unavailable("claim run"):
        if skip and scheduled:
            return _claim_hold(tenant, execution, snapshot, now=now, lease_ms=lease_ms)
        outcome = _claim_record(tenant, execution, now=now, lease_ms=lease_ms)
        if not skip or not outcome.owned:
            return outcome
        held = _hold_for_record(
            tenant, execution.schedule_id, execution.id, now=now, lease_ms=lease_ms
        )
    if held is not None:
        return held
    return Claim(
        outcome.result,
        LockKind.RECORD,
        lease_ms,
        previous_attempts=outcome.previous_attempts,
        holds_schedule=True,
    )


# --- hold: the schedule item is the lock ----------------------------------------------


def _claim_hold(
    tenant: str,
    execution: Execution,
    snapshot: ScheduleSnapshot,
    *,
    now: datetime,
    lease_ms: int,
) -> Claim:
    run_id = execution.id
    # Decide from the consistent read first: most duplicates then cost no write at all.
    early = judge_hold(run_id, snapshot, now)
    if early is not None and early.result != ClaimResult.TAKEN_OVER:
        return early
    if early is not None:
        return _take_over_hold(tenant, execution, snapshot, lease_ms=lease_ms)
    if snapshot.claimed_through is None and _record_exists(tenant, execution):
        # Once per schedule (its first hold-claim): runs claimed before holds carried
        # claimed_through are known only by their record.
        return Claim(ClaimResult.DUPLICATE_FINISHED, LockKind.HOLD)
    current = _hold_write(
        tenant,
        execution.schedule_id,
        run_id,
        now=now,
        lease_ms=lease_ms,
        also_set=", claimed_through = :id",
        condition="(attribute_not_exists(claimed_through) OR claimed_through < :id)"
        " AND (attribute_not_exists(running_lease_until) OR running_lease_until < :now)",
    )
    if current is None:
        return Claim(ClaimResult.CLAIMED, LockKind.HOLD, lease_ms, holds_schedule=True)
    if not current:
        return Claim(ClaimResult.SCHEDULE_GONE, LockKind.HOLD)
    return judge_refused_hold(
        run_id,
        holder=optional_str(current.get("running_execution")),
        lease_until=optional_int(current.get("running_lease_until")),
        claimed_through=optional_str(current.get("claimed_through")),
        last_finished=optional_str(current.get("last_finished")),
    )


def _hold_write(
    tenant: str,
    schedule_id: str,
    run_id: str,
    *,
    now: datetime,
    lease_ms: int,
    condition: str,
    also_set: str = "",
) -> dict[str, Any] | None:
    """Mark the schedule as held by ``run_id`` if ``condition`` allows; None when held,
    else the schedule item as it stood (empty when there is none)."""
    try:
        schedule_table().update_item(
            Key=keys.schedule_key(tenant, schedule_id),
            UpdateExpression="SET running_execution = :id, running_lease_until = :lease,"
            " running_attempts = :one" + also_set,
            ConditionExpression="attribute_exists(#pk) AND " + condition,
            ExpressionAttributeNames={"#pk": keys.PK},
            ExpressionAttributeValues={
                ":id": run_id,
                ":lease": lease_ms,
                ":one": 1,
                ":now": epoch_ms(now),
            },
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if not refused(error):
            raise
        return plain_item(error.response.get("Item")) or {}
    return None


def _record_exists(tenant: str, execution: Execution) -> bool:
    response = schedule_table().get_item(
        Key=keys.execution_key(tenant, execution.schedule_id, execution.id),
        ConsistentRead=True,
        ProjectionExpression="#pk",
        ExpressionAttributeNames={"#pk": keys.PK},
    )
    return "Item" in response


def _take_over_hold(
    tenant: str, execution: Execution, snapshot: ScheduleSnapshot, *, lease_ms: int
) -> Claim:
    """Take over a crashed attempt's hold, conditional on the exact lease it left."""
    try:
        schedule_table().update_item(
            Key=keys.schedule_key(tenant, execution.schedule_id),
            UpdateExpression="SET running_lease_until = :lease,"
            " running_attempts = if_not_exists(running_attempts, :zero) + :one",
            ConditionExpression="running_execution = :id AND running_lease_until = :seen",
            ExpressionAttributeValues={
                ":id": execution.id,
                ":seen": snapshot.running_lease_until,
                ":lease": lease_ms,
                ":one": 1,
                ":zero": 0,
            },
        )
    except ClientError as error:
        if not refused(error):
            raise
        return Claim(ClaimResult.DUPLICATE_RUNNING, LockKind.HOLD)
    # Rare path: the crashed attempt may have written its final record before dying
    # (the record is written first, then the schedule). Then only the schedule is left.
    response = schedule_table().get_item(
        Key=keys.execution_key(tenant, execution.schedule_id, execution.id), ConsistentRead=True
    )
    item = response.get("Item")
    finished = execution_from_item(item) if item else None
    return Claim(
        ClaimResult.TAKEN_OVER,
        LockKind.HOLD,
        lease_ms,
        previous_attempts=snapshot.running_attempts,
        holds_schedule=True,
        finished_record=finished,
    )


def _hold_for_record(
    tenant: str, schedule_id: str, run_id: str, *, now: datetime, lease_ms: int
) -> Claim | None:
    """Run-now on an overlap=skip schedule: hold the schedule too; None when held."""
    current = _hold_write(
        tenant,
        schedule_id,
        run_id,
        now=now,
        lease_ms=lease_ms,
        condition="(attribute_not_exists(running_lease_until)"
        " OR running_lease_until < :now OR running_execution = :id)",
    )
    if current is not None:
        if not current:
            return Claim(ClaimResult.SCHEDULE_GONE, LockKind.RECORD, lease_ms)
        holder = optional_str(current.get("running_execution"))
        return Claim(ClaimResult.OVERLAP, LockKind.RECORD, lease_ms, running_execution=holder)
    return None


# --- record: the RUNNING execution record is the lock ---------------------------------


def _claim_record(tenant: str, execution: Execution, *, now: datetime, lease_ms: int) -> Claim:
    item = execution_item(tenant, execution, expires=now)
    item["lease_until"] = lease_ms
    try:
        schedule_table().put_item(
            Item=item,
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": keys.PK},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if not refused(error):
            raise
        existing = plain_item(error.response.get("Item"))
        return _on_existing_record(tenant, execution, existing, now=now, lease_ms=lease_ms)
    return Claim(ClaimResult.CLAIMED, LockKind.RECORD, lease_ms)


def _on_existing_record(
    tenant: str,
    execution: Execution,
    existing: dict[str, Any] | None,
    *,
    now: datetime,
    lease_ms: int,
) -> Claim:
    if not existing or existing.get("status") != ExecutionStatus.RUNNING.value:
        return Claim(ClaimResult.DUPLICATE_FINISHED)
    seen = int(existing.get("lease_until", 0))
    if seen >= epoch_ms(now):
        return Claim(ClaimResult.DUPLICATE_RUNNING)
    # The lease expired: the attempt that held it crashed or timed out. Take it over,
    # conditional on the exact lease we saw, so two retries cannot both take it.
    previous = int(existing.get("attempts", 0))
    item = execution_item(tenant, execution, expires=now)
    item["lease_until"] = lease_ms
    # The crashed delivery's attempts stay counted; this delivery adds its own.
    item["attempts"] = previous + 1
    try:
        schedule_table().put_item(
            Item=item,
            ConditionExpression="#status = :running AND lease_until = :seen",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":running": ExecutionStatus.RUNNING.value, ":seen": seen},
        )
    except ClientError as error:
        if not refused(error):
            raise
        return Claim(ClaimResult.DUPLICATE_RUNNING)
    return Claim(ClaimResult.TAKEN_OVER, LockKind.RECORD, lease_ms, previous_attempts=previous)
