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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from jobscheduler.aws import error_code
from jobscheduler.dal import codec, keys
from jobscheduler.dal.executions import (
    execution_from_item,
    execution_item,
    plain_item,
    schedule_table,
)
from jobscheduler.models.executions import Execution, ExecutionStatus
from jobscheduler.models.schedules import Schedule, ScheduleStatus

_CONDITION_FAILED = "ConditionalCheckFailedException"


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _iso(moment: datetime) -> str:
    # The same spelling pydantic uses for the schedule's other datetimes.
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _refused(error: ClientError) -> bool:
    return error_code(error) == _CONDITION_FAILED


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True)
class ScheduleSnapshot:
    """The schedule and the executor's own attributes, as the one read saw them."""

    schedule: Schedule
    running_execution: str | None = None
    running_lease_until: int | None = None
    running_attempts: int = 0
    claimed_through: str | None = None
    last_finished: str | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> ScheduleSnapshot:
        return cls(
            schedule=codec.schedule_from_item(item),
            running_execution=_optional_str(item.get("running_execution")),
            running_lease_until=_optional_int(item.get("running_lease_until")),
            running_attempts=int(item.get("running_attempts", 0)),
            claimed_through=_optional_str(item.get("claimed_through")),
            last_finished=_optional_str(item.get("last_finished")),
        )


def read_schedule(tenant: str, schedule_id: str) -> ScheduleSnapshot | None:
    """The executor's one read: a consistent GetItem, so a pause, delete or hold is seen."""
    response = schedule_table().get_item(
        Key=keys.schedule_key(tenant, schedule_id), ConsistentRead=True
    )
    item = response.get("Item")
    return None if item is None else ScheduleSnapshot.from_item(item)


class ClaimResult(StrEnum):
    CLAIMED = "claimed"
    TAKEN_OVER = "taken_over"  # a run whose lease expired (crashed attempt)
    DUPLICATE_FINISHED = "duplicate_finished"
    DUPLICATE_RUNNING = "duplicate_running"
    OVERLAP = "overlap"
    # A scheduled fire older than one already claimed on an overlap=skip schedule: a
    # duplicate whose record may exist, or a late retry that a newer fire overtook.
    SUPERSEDED = "superseded"
    SCHEDULE_GONE = "schedule_gone"


class LockKind(StrEnum):
    HOLD = "hold"  # the schedule item is the lock; no record until the finish
    RECORD = "record"  # the RUNNING execution record is the lock


@dataclass(frozen=True)
class Claim:
    result: ClaimResult
    kind: LockKind = LockKind.RECORD
    lease_ms: int = 0
    # Attempts already made by earlier (crashed) deliveries of this run.
    previous_attempts: int = 0
    # The run that holds the schedule when result is OVERLAP.
    running_execution: str | None = None
    # Whether this run also holds the schedule (overlap=skip).
    holds_schedule: bool = False
    # A take-over that found the crashed attempt's final record: the task already ran,
    # only the schedule's bookkeeping is left to do.
    finished_record: Execution | None = None

    @property
    def owned(self) -> bool:
        return self.result in (ClaimResult.CLAIMED, ClaimResult.TAKEN_OVER)


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
    """Claim this run: one conditional write (two on rare paths, see the module doc).
    ``hold_schedule=False`` (backfill): the record is the only lock, whatever the
    overlap policy."""
    lease_ms = epoch_ms(lease_until)
    skip = snapshot.schedule.overlap == "skip" and hold_schedule
    if skip and scheduled:
        return _claim_hold(tenant, execution, snapshot, now=now, lease_ms=lease_ms)
    outcome = _claim_record(tenant, execution, now=now, lease_ms=lease_ms)
    if not skip or not outcome.owned:
        return outcome
    held = _hold_for_record(tenant, execution.schedule_id, execution.id, now=now, lease_ms=lease_ms)
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
    early = _judge(run_id, snapshot.running_execution, snapshot.running_lease_until, now)
    if early is None and snapshot.last_finished == run_id:
        early = Claim(ClaimResult.DUPLICATE_FINISHED, LockKind.HOLD)
    if (
        early is None
        and snapshot.claimed_through is not None
        and run_id <= snapshot.claimed_through
    ):
        early = Claim(ClaimResult.SUPERSEDED, LockKind.HOLD)
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
    if current is not None:
        if not current:
            return Claim(ClaimResult.SCHEDULE_GONE, LockKind.HOLD)
        holder = _optional_str(current.get("running_execution"))
        lease = _optional_int(current.get("running_lease_until"))
        if holder == run_id or current.get("last_finished") == run_id:
            # Another delivery of this fire won the race between our read and our write.
            return Claim(ClaimResult.DUPLICATE_RUNNING, LockKind.HOLD)
        through = _optional_str(current.get("claimed_through"))
        if through is not None and run_id <= through:
            return Claim(ClaimResult.SUPERSEDED, LockKind.HOLD)
        return Claim(
            ClaimResult.OVERLAP, LockKind.HOLD, running_execution=holder if lease else None
        )
    return Claim(ClaimResult.CLAIMED, LockKind.HOLD, lease_ms, holds_schedule=True)


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
        if not _refused(error):
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


def _judge(run_id: str, holder: str | None, lease_until: int | None, now: datetime) -> Claim | None:
    """What a hold by ``holder`` means for ``run_id``; None when it is not this run's."""
    if holder != run_id:
        return None
    if lease_until is not None and lease_until >= epoch_ms(now):
        return Claim(ClaimResult.DUPLICATE_RUNNING, LockKind.HOLD)
    return Claim(ClaimResult.TAKEN_OVER, LockKind.HOLD)


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
        if not _refused(error):
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
        holder = _optional_str(current.get("running_execution"))
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
        if not _refused(error):
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
        if not _refused(error):
            raise
        return Claim(ClaimResult.DUPLICATE_RUNNING)
    return Claim(ClaimResult.TAKEN_OVER, LockKind.RECORD, lease_ms, previous_attempts=previous)


# --- finish ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleChanges:
    """What a finished run changes on its schedule."""

    last_run_at: datetime
    last_status: ExecutionStatus
    failed: bool
    # False: leave next_run_at alone (manual runs); else the new value, or clear it.
    set_next_run_at: bool
    next_run_at: datetime | None
    complete: bool


def finish(
    tenant: str,
    execution: Execution,
    update: ScheduleChanges,
    lock: Claim,
    *,
    now: datetime,
) -> bool:
    """Record the final state of the run and apply it to its schedule: two writes.

    Returns whether the schedule became COMPLETED. Each write is conditional on the
    claim it finishes, so a retried or late finish changes nothing twice: a finish
    whose lease was taken over meanwhile leaves the record and the counters to the
    attempt that took it.
    """
    if lock.kind == LockKind.HOLD:
        # Record first: a crash between the two writes leaves the hold, whose take-over
        # finds the record and only applies the schedule's part.
        if lock.finished_record is None and not _put_final(tenant, execution, now=now):
            # Another attempt recorded this run after our lease ran out: leave the
            # counters to it, and give back the hold if it is still ours.
            _release(tenant, execution.schedule_id, execution.id, lease_ms=lock.lease_ms)
            return False
        return _finish_schedule(tenant, execution, update, lock, now=now)
    # Record lock: schedule first. A crash between the two leaves a RUNNING record that
    # a later delivery takes over; its finish then meets last_finished = id (or a
    # released hold) and does not count the run again.
    completed = _finish_schedule(tenant, execution, update, lock, now=now)
    _update_final(tenant, execution, lease_ms=lock.lease_ms, now=now)
    return completed


def _put_final(tenant: str, execution: Execution, *, now: datetime) -> bool:
    try:
        schedule_table().put_item(
            Item=execution_item(tenant, execution, expires=now),
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": keys.PK},
        )
    except ClientError as error:
        if not _refused(error):
            raise
        return False
    return True


def _update_final(tenant: str, execution: Execution, *, lease_ms: int, now: datetime) -> bool:
    record = execution_item(tenant, execution, expires=now)
    for key in (keys.PK, keys.SK):
        record.pop(key)
    names = {"#status": "status"}
    values: dict[str, Any] = {":running": ExecutionStatus.RUNNING.value, ":mine": lease_ms}
    sets: list[str] = []
    for index, (name, value) in enumerate(sorted(record.items())):
        names[f"#e{index}"] = name
        values[f":e{index}"] = value
        sets.append(f"#e{index} = :e{index}")
    try:
        schedule_table().update_item(
            Key=keys.execution_key(tenant, execution.schedule_id, execution.id),
            UpdateExpression="SET " + ", ".join(sets) + " REMOVE lease_until",
            ConditionExpression="#status = :running AND lease_until = :mine",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if not _refused(error):
            raise
        return False  # taken over after our lease ran out: that attempt records it
    return True


def _finish_schedule(
    tenant: str,
    execution: Execution,
    update: ScheduleChanges,
    lock: Claim,
    *,
    now: datetime,
) -> bool:
    complete = update.complete
    while True:
        try:
            _schedule_write(tenant, execution, update, lock, now=now, complete=complete)
        except ClientError as error:
            if not _refused(error):
                raise
            current = plain_item(error.response.get("Item"))
            if complete and current and _still_ours(current, execution.id, lock):
                # It left ACTIVE mid-run (paused, deleted): count the run, keep the status.
                complete = False
                continue
            # Gone, or already counted by this run's earlier attempt: nothing to apply.
            return False
        return complete


def _still_ours(item: dict[str, Any], run_id: str, lock: Claim) -> bool:
    if lock.holds_schedule:
        return bool(
            item.get("running_execution") == run_id
            and _optional_int(item.get("running_lease_until")) == lock.lease_ms
        )
    return item.get("last_finished") != run_id


def _schedule_write(
    tenant: str,
    execution: Execution,
    update: ScheduleChanges,
    lock: Claim,
    *,
    now: datetime,
    complete: bool,
) -> None:
    names = {"#pk": keys.PK}
    values: dict[str, Any] = {
        ":last": _iso(update.last_run_at),
        ":last_status": update.last_status.value,
        ":id": execution.id,
        ":one": 1,
    }
    sets = ["last_run_at = :last", "last_status = :last_status", "last_finished = :id"]
    adds = ["total_runs :one"]
    removes: list[str] = []
    if update.failed:
        adds += ["failed_runs :one", "consecutive_failures :one"]
    else:
        # Failures in a row (auto-pause): a success ends the streak.
        sets.append("consecutive_failures = :zero")
        values[":zero"] = 0
    if update.set_next_run_at:
        if update.next_run_at is None:
            removes.append("next_run_at")
        else:
            values[":next"] = _iso(update.next_run_at)
            sets.append("next_run_at = :next")
    if lock.holds_schedule:
        # Counters and release in one write, only while this claim still holds it.
        removes += ["running_execution", "running_lease_until", "running_attempts"]
        values[":lease"] = lock.lease_ms
        condition = (
            "attribute_exists(#pk) AND running_execution = :id AND running_lease_until = :lease"
        )
    else:
        condition = "attribute_exists(#pk) AND (attribute_not_exists(last_finished)" + (
            " OR last_finished <> :id)"
        )
    if complete:
        values[":completed"] = ScheduleStatus.COMPLETED.value
        values[":active"] = ScheduleStatus.ACTIVE.value
        values[":now"] = _iso(now)
        sets += ["#status = :completed", "updated_at = :now", "version = version + :one"]
        names["#status"] = "status"
        condition += " AND #status = :active"
    expression = "SET " + ", ".join(sets) + " ADD " + ", ".join(adds)
    if removes:
        expression += " REMOVE " + ", ".join(removes)
    schedule_table().update_item(
        Key=keys.schedule_key(tenant, execution.schedule_id),
        UpdateExpression=expression,
        ConditionExpression=condition,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )


def _release(tenant: str, schedule_id: str, run_id: str, *, lease_ms: int) -> None:
    try:
        schedule_table().update_item(
            Key=keys.schedule_key(tenant, schedule_id),
            UpdateExpression="REMOVE running_execution, running_lease_until, running_attempts",
            ConditionExpression="running_execution = :id AND running_lease_until = :lease",
            ExpressionAttributeValues={":id": run_id, ":lease": lease_ms},
        )
    except ClientError as error:
        if not _refused(error):
            raise


# --- a fire the schedule's calendar excludes ------------------------------------------


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
    names = {"#pk": keys.PK, "#status": "status"}
    values: dict[str, Any] = {":one": 1, ":active": ScheduleStatus.ACTIVE.value, ":id": run_id}
    fresh = "(attribute_not_exists(last_skipped) OR last_skipped < :id)"
    if next_run_at is not None:
        values[":next"] = _iso(next_run_at)
        update = "SET next_run_at = :next, last_skipped = :id ADD skipped_runs :one"
        condition = (
            f"attribute_exists(#pk) AND #status = :active AND {fresh} AND "
            "(attribute_not_exists(next_run_at) OR next_run_at <= :next)"
        )
    else:
        values[":completed"] = ScheduleStatus.COMPLETED.value
        values[":now"] = _iso(now)
        update = (
            "SET #status = :completed, updated_at = :now, version = version + :one,"
            " last_skipped = :id ADD skipped_runs :one REMOVE next_run_at"
        )
        condition = f"attribute_exists(#pk) AND #status = :active AND {fresh}"
    try:
        schedule_table().update_item(
            Key=keys.schedule_key(tenant, schedule_id),
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        return next_run_at is None
    except ClientError as error:
        if not _refused(error):
            raise
    # Paused or deleted meanwhile, or next_run_at already later: count the skip only
    # (unless this fire, or a newer one, was counted already).
    try:
        schedule_table().update_item(
            Key=keys.schedule_key(tenant, schedule_id),
            UpdateExpression="SET last_skipped = :id ADD skipped_runs :one",
            ConditionExpression=f"attribute_exists(#pk) AND {fresh}",
            ExpressionAttributeNames={"#pk": keys.PK},
            ExpressionAttributeValues={":one": 1, ":id": run_id},
        )
    except ClientError as error:
        if not _refused(error):
            raise
    return False
