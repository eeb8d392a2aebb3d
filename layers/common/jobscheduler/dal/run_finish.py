"""Finishing a claimed run: its final record and its schedule's counters, each write
conditional on the claim it finishes (dal/runs.py has the whole picture)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from jobscheduler.dal import keys
from jobscheduler.dal.executions import execution_item, plain_item, schedule_table
from jobscheduler.dal.failures import unavailable
from jobscheduler.dal.run_claims import optional_int, refused
from jobscheduler.models.executions import Execution, ExecutionStatus
from jobscheduler.models.runs import Claim, LockKind, ScheduleChanges
from jobscheduler.models.schedules import ScheduleStatus


def iso(moment: datetime) -> str:
    # The same spelling pydantic uses for the schedule's other datetimes.
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


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
    with unavailable("finish run"):
        if lock.kind == LockKind.HOLD:
            # Record first: a crash between the two writes leaves the hold, whose take-over
            # finds the record and only applies the schedule's part.
            if lock.finished_record is None and not _put_final(tenant, execution, now=now):
                # Another attempt recorded this run after our lease ran out: leave the
                # counters to it, and give back the hold if it is still ours.
                _release(tenant, execution.schedule_id, execution.id, lease_ms=lock.lease_ms)
                return False
            return _finish_schedule(tenant, execution, update, lock, now=now)
        # Record lock: schedule first. A crash between the two leaves a RUNNING record
        # that a later delivery takes over; its finish then meets last_finished = id (or
        # a released hold) and does not count the run again.
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
        if not refused(error):
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
        if not refused(error):
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
            if not refused(error):
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
            and optional_int(item.get("running_lease_until")) == lock.lease_ms
        )
    return item.get("last_finished") != run_id


class _Update:
    """An UpdateExpression built clause by clause."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.names: dict[str, str] = {"#pk": keys.PK}
        self.values = values
        self.sets: list[str] = []
        self.adds: list[str] = []
        self.removes: list[str] = []

    def expression(self) -> str:
        text = "SET " + ", ".join(self.sets) + " ADD " + ", ".join(self.adds)
        return text + (" REMOVE " + ", ".join(self.removes) if self.removes else "")


def _counters(update: ScheduleChanges, execution: Execution) -> _Update:
    """The run's counters, its status and next_run_at."""
    out = _Update(
        {
            ":last": iso(update.last_run_at),
            ":last_status": update.last_status.value,
            ":id": execution.id,
            ":one": 1,
        }
    )
    out.sets = ["last_run_at = :last", "last_status = :last_status", "last_finished = :id"]
    out.adds = ["total_runs :one"]
    if update.failed:
        out.adds += ["failed_runs :one", "consecutive_failures :one"]
    else:
        # Failures in a row (auto-pause): a success ends the streak.
        out.sets.append("consecutive_failures = :zero")
        out.values[":zero"] = 0
    if update.set_next_run_at:
        if update.next_run_at is None:
            out.removes.append("next_run_at")
        else:
            out.values[":next"] = iso(update.next_run_at)
            out.sets.append("next_run_at = :next")
    return out


def _schedule_write(
    tenant: str,
    execution: Execution,
    update: ScheduleChanges,
    lock: Claim,
    *,
    now: datetime,
    complete: bool,
) -> None:
    write = _counters(update, execution)
    if lock.holds_schedule:
        # Counters and release in one write, only while this claim still holds it.
        write.removes += ["running_execution", "running_lease_until", "running_attempts"]
        write.values[":lease"] = lock.lease_ms
        condition = (
            "attribute_exists(#pk) AND running_execution = :id AND running_lease_until = :lease"
        )
    else:
        condition = "attribute_exists(#pk) AND (attribute_not_exists(last_finished)" + (
            " OR last_finished <> :id)"
        )
    if complete:
        write.values[":completed"] = ScheduleStatus.COMPLETED.value
        write.values[":active"] = ScheduleStatus.ACTIVE.value
        write.values[":now"] = iso(now)
        write.sets += ["#status = :completed", "updated_at = :now", "version = version + :one"]
        write.names["#status"] = "status"
        condition += " AND #status = :active"
    schedule_table().update_item(
        Key=keys.schedule_key(tenant, execution.schedule_id),
        UpdateExpression=write.expression(),
        ConditionExpression=condition,
        ExpressionAttributeNames=write.names,
        ExpressionAttributeValues=write.values,
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
        if not refused(error):
            raise
