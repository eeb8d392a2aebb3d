"""Execution records (the run lock and the history) and the executor's schedule writes.

Item: PK=TENANT#t#SCHEDULE#id, SK=EXEC#{execution_id}, GSI2PK/GSI2SK (the tenant-wide
history; see dal/keys.py), the fields of ``models.executions.Execution``, ``tenant``,
``expires_at`` (TTL, epoch seconds) and, while RUNNING, ``lease_until`` (epoch
milliseconds).

The schedule item gains two executor-owned attributes while a run with overlap=skip is
in flight: ``running_execution`` and ``running_lease_until`` (epoch milliseconds).

Write budget of one scheduled run: a claim (one TransactWriteItems, or one conditional
UpdateItem when the schedule allows overlap) and a finish (one TransactWriteItems).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from jobscheduler.aws import error_code, table
from jobscheduler.dal import codec, keys
from jobscheduler.models.executions import Execution, ExecutionStatus
from jobscheduler.models.schedules import Schedule, ScheduleStatus
from jobscheduler.settings import get_settings

_EXECUTION_ATTRS = frozenset(Execution.model_fields)
# A status filter drops items after the read; stop after this many pages so one request
# stays bounded (the caller gets a short page and a cursor to continue).
_MAX_FILTERED_PAGES = 5


def _table() -> Any:
    return table(get_settings().table_name)


def _client() -> Any:
    # The resource's client: same connection pool, and it (de)serializes plain Python
    # values for every operation, TransactWriteItems included.
    return _table().meta.client


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def expires_at(moment: datetime) -> int:
    """TTL (epoch seconds) of a record created or finished at ``moment``."""
    return int((moment + timedelta(days=get_settings().execution_retention_days)).timestamp())


_deserializer = TypeDeserializer()


def _plain(item: Any) -> dict[str, Any] | None:
    """An item from an error response: boto3 leaves those in the wire format."""
    if not item:
        return None
    return {
        name: _deserializer.deserialize(cast(Any, value))
        if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _WIRE_TYPES
        else value
        for name, value in item.items()
    }


_WIRE_TYPES = frozenset({"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"})


def _execution_from_item(item: dict[str, Any]) -> Execution:
    data = {k: v for k, v in codec.from_dynamo(item).items() if k in _EXECUTION_ATTRS}
    return Execution.model_validate(data)


def _item(tenant: str, execution: Execution, *, expires: datetime) -> dict[str, Any]:
    item = codec.to_dynamo(execution)
    item.update(keys.execution_key(tenant, execution.schedule_id, execution.id))
    item[keys.GSI2PK] = keys.tenant_executions_pk(tenant)
    item[keys.GSI2SK] = keys.tenant_execution_sk(execution.schedule_id, execution.id)
    item["tenant"] = tenant
    item[keys.TTL_ATTRIBUTE] = expires_at(expires)
    return item


# --- queries the API uses -------------------------------------------------------------


def get_execution(tenant: str, schedule_id: str, execution_id: str) -> Execution | None:
    response = _table().get_item(Key=keys.execution_key(tenant, schedule_id, execution_id))
    item = response.get("Item")
    return None if item is None else _execution_from_item(item)


def list_executions(
    tenant: str,
    schedule_id: str | None,
    *,
    status: ExecutionStatus | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 20,
    cursor: dict[str, Any] | None = None,
) -> tuple[list[Execution], dict[str, Any] | None]:
    """A page of executions, newest first: one schedule's, or (``schedule_id`` None) the
    tenant's across all its schedules, from GSI2.

    ``since``/``until`` (inclusive) become a key condition on the sort key (ids sort by
    time), so a page costs the same whatever the partition's size. ``cursor`` is the key
    dict this function returned (the API makes it opaque); None means the last page.
    """
    lower = keys.execution_sk_bound(since, upper=False) if since else keys.execution_sk("")
    upper = keys.execution_sk_bound(until, upper=True) if until else keys.execution_sk("~")
    query: dict[str, Any] = {"ScanIndexForward": False}
    if schedule_id is None:
        query["IndexName"] = keys.GSI2
        query["KeyConditionExpression"] = Key(keys.GSI2PK).eq(
            keys.tenant_executions_pk(tenant)
        ) & Key(keys.GSI2SK).between(lower, upper)
        key_names: tuple[str, ...] = (keys.PK, keys.SK, keys.GSI2PK, keys.GSI2SK)
    else:
        query["KeyConditionExpression"] = Key(keys.PK).eq(
            keys.executions_pk(tenant, schedule_id)
        ) & Key(keys.SK).between(lower, upper)
        key_names = (keys.PK, keys.SK)
    if status is not None:
        query["FilterExpression"] = Attr("status").eq(status.value)
    start = cursor
    items: list[dict[str, Any]] = []
    for _ in range(_MAX_FILTERED_PAGES if status is not None else 1):
        page: dict[str, Any] = {**query, "Limit": limit - len(items)}
        if start:
            page["ExclusiveStartKey"] = start
        response = _table().query(**page)
        items.extend(response.get("Items", []))
        start = response.get("LastEvaluatedKey")
        if start is None or len(items) >= limit:
            break
    executions = [_execution_from_item(item) for item in items]
    if start is not None and items:
        # Resume after the last item returned (the same as LastEvaluatedKey when no filter
        # dropped anything; always a valid ExclusiveStartKey).
        start = {name: items[-1][name] for name in key_names}
    return executions, start


def delete_executions(tenant: str, schedule_id: str) -> int:
    """Delete a schedule's whole history (BatchWriteItem deletes); returns how many."""
    deleted = 0
    start: dict[str, Any] | None = None
    with _table().batch_writer() as batch:
        while True:
            query: dict[str, Any] = {
                "KeyConditionExpression": Key(keys.PK).eq(keys.executions_pk(tenant, schedule_id))
                & Key(keys.SK).begins_with(keys.execution_sk("")),
                "ProjectionExpression": "#pk, #sk",
                "ExpressionAttributeNames": {"#pk": keys.PK, "#sk": keys.SK},
            }
            if start:
                query["ExclusiveStartKey"] = start
            response = _table().query(**query)
            for item in response.get("Items", []):
                batch.delete_item(Key={keys.PK: item[keys.PK], keys.SK: item[keys.SK]})
                deleted += 1
            start = response.get("LastEvaluatedKey")
            if start is None:
                return deleted


# --- the executor's reads and writes --------------------------------------------------


@dataclass(frozen=True)
class ScheduleSnapshot:
    schedule: Schedule
    running_execution: str | None
    running_lease_until: int | None


def read_schedule(tenant: str, schedule_id: str) -> ScheduleSnapshot | None:
    """The executor's one read: a consistent GetItem, so a pause or delete is seen."""
    response = _table().get_item(Key=keys.schedule_key(tenant, schedule_id), ConsistentRead=True)
    item = response.get("Item")
    if item is None:
        return None
    running = item.get("running_execution")
    lease = item.get("running_lease_until")
    return ScheduleSnapshot(
        schedule=codec.schedule_from_item(item),
        running_execution=str(running) if running is not None else None,
        running_lease_until=int(lease) if lease is not None else None,
    )


def put_skipped(tenant: str, execution: Execution, *, now: datetime) -> bool:
    """Record a SKIPPED run once; False when a record for this id already exists."""
    try:
        _table().put_item(
            Item=_item(tenant, execution, expires=now),
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": keys.PK},
        )
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True


class ClaimResult(StrEnum):
    CLAIMED = "claimed"
    TAKEN_OVER = "taken_over"  # a RUNNING record whose lease expired (crashed attempt)
    DUPLICATE_FINISHED = "duplicate_finished"
    DUPLICATE_RUNNING = "duplicate_running"
    OVERLAP = "overlap"
    SCHEDULE_GONE = "schedule_gone"


@dataclass(frozen=True)
class Claim:
    result: ClaimResult
    # Attempts already made by earlier (crashed) deliveries of this run.
    previous_attempts: int = 0
    # The run that holds the schedule when result is OVERLAP.
    running_execution: str | None = None


def claim(
    tenant: str,
    execution: Execution,
    *,
    now: datetime,
    lease_until: datetime,
    hold_schedule: bool,
) -> Claim:
    """Create the RUNNING record of this run (the lock); one write call.

    ``hold_schedule`` (overlap=skip) also marks the schedule as running in the same
    transaction, unless another live run holds it. A RUNNING record whose lease expired
    (the attempt crashed or timed out) is taken over with a second, optimistic write.
    """
    item = _item(tenant, execution, expires=now)
    item["lease_until"] = epoch_ms(lease_until)
    put: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "Item": item,
        "ConditionExpression": "attribute_not_exists(#pk)",
        "ExpressionAttributeNames": {"#pk": keys.PK},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    outcome = _claim_write(
        tenant, execution, put, now=now, lease_until=lease_until, hold=hold_schedule
    )
    if outcome is not None:
        return outcome
    return Claim(ClaimResult.CLAIMED)


def _claim_write(
    tenant: str,
    execution: Execution,
    put: dict[str, Any],
    *,
    now: datetime,
    lease_until: datetime,
    hold: bool,
    takeover_of: dict[str, Any] | None = None,
) -> Claim | None:
    """Run the claim write; None on success, else what stopped it."""
    items: list[dict[str, Any]] = [{"Put": put}]
    if hold:
        items.append({"Update": _hold_schedule(tenant, execution, now, lease_until)})
    try:
        if len(items) == 1:
            single = {k: v for k, v in put.items() if k != "TableName"}
            _table().put_item(**single)
        else:
            _client().transact_write_items(TransactItems=items)
    except ClientError as error:
        code = error_code(error)
        if code == "ConditionalCheckFailedException":
            existing = _plain(error.response.get("Item"))
            if existing is None:
                # Older botocore/moto may not return the item for a single put; read it.
                existing = (
                    _table()
                    .get_item(Key={keys.PK: put["Item"][keys.PK], keys.SK: put["Item"][keys.SK]})
                    .get("Item")
                )
            return _on_existing(
                tenant,
                execution,
                existing,
                now=now,
                lease_until=lease_until,
                hold=hold,
                takeover_of=takeover_of,
            )
        if code != "TransactionCanceledException":
            raise
        reasons = error.response.get("CancellationReasons", [])
        exec_reason = reasons[0] if reasons else {}
        sched_reason = reasons[1] if len(reasons) > 1 else {}
        if exec_reason.get("Code") == "ConditionalCheckFailed":
            return _on_existing(
                tenant,
                execution,
                _plain(exec_reason.get("Item")),
                now=now,
                lease_until=lease_until,
                hold=hold,
                takeover_of=takeover_of,
            )
        if sched_reason.get("Code") == "ConditionalCheckFailed":
            current = _plain(sched_reason.get("Item"))
            if current is None:
                # Removed between our read and our claim.
                return Claim(ClaimResult.SCHEDULE_GONE)
            holder = current.get("running_execution")
            return Claim(ClaimResult.OVERLAP, running_execution=str(holder) if holder else None)
        raise
    if takeover_of is not None:
        return Claim(ClaimResult.TAKEN_OVER, previous_attempts=int(takeover_of.get("attempts", 0)))
    return None


def _on_existing(
    tenant: str,
    execution: Execution,
    existing: dict[str, Any] | None,
    *,
    now: datetime,
    lease_until: datetime,
    hold: bool,
    takeover_of: dict[str, Any] | None,
) -> Claim:
    if existing is None or takeover_of is not None:
        # The record changed between our two writes: another delivery took it over.
        return Claim(ClaimResult.DUPLICATE_RUNNING)
    status = existing.get("status")
    if status != ExecutionStatus.RUNNING.value:
        return Claim(ClaimResult.DUPLICATE_FINISHED)
    if int(existing.get("lease_until", 0)) >= epoch_ms(now):
        return Claim(ClaimResult.DUPLICATE_RUNNING)
    # The lease expired: the attempt that held it crashed or timed out. Take it over,
    # conditional on the exact lease we saw, so two retries cannot both take it.
    item = _item(tenant, execution, expires=now)
    item["lease_until"] = epoch_ms(lease_until)
    # The crashed delivery's attempts stay counted; this delivery adds its own.
    item["attempts"] = int(existing.get("attempts", 0)) + 1
    put = {
        "TableName": get_settings().table_name,
        "Item": item,
        "ConditionExpression": "#status = :running AND lease_until = :seen",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {
            ":running": ExecutionStatus.RUNNING.value,
            ":seen": existing.get("lease_until", 0),
        },
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    outcome = _claim_write(
        tenant,
        execution,
        put,
        now=now,
        lease_until=lease_until,
        hold=hold,
        takeover_of=existing,
    )
    assert outcome is not None  # takeover_of set: always an outcome
    return outcome


def _hold_schedule(
    tenant: str, execution: Execution, now: datetime, lease_until: datetime
) -> dict[str, Any]:
    return {
        "TableName": get_settings().table_name,
        "Key": keys.schedule_key(tenant, execution.schedule_id),
        "UpdateExpression": "SET running_execution = :id, running_lease_until = :lease",
        "ConditionExpression": "attribute_exists(#pk) AND (attribute_not_exists(running_lease_until)"
        " OR running_lease_until < :now OR running_execution = :id)",
        "ExpressionAttributeNames": {"#pk": keys.PK},
        "ExpressionAttributeValues": {
            ":id": execution.id,
            ":lease": epoch_ms(lease_until),
            ":now": epoch_ms(now),
        },
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


@dataclass(frozen=True)
class ScheduleUpdate:
    """What a finished run changes on its schedule."""

    last_run_at: datetime
    last_status: ExecutionStatus
    failed: bool
    # None: leave next_run_at alone (manual runs); else the new value, or clear it.
    set_next_run_at: bool
    next_run_at: datetime | None
    complete: bool
    release: bool  # this run holds running_* (overlap=skip)


def finish(tenant: str, execution: Execution, update: ScheduleUpdate, *, now: datetime) -> bool:
    """Record the final state of the run and update its schedule: one write call.

    Returns whether the schedule became COMPLETED. When it cannot (it left ACTIVE
    meanwhile: paused, deleted) the run is recorded with a second write that leaves the
    status alone; when the schedule item is gone altogether, the record is written alone.
    """
    complete = update.complete
    while True:
        try:
            _finish_write(tenant, execution, update, now=now, complete=complete)
        except ClientError as error:
            reasons = error.response.get("CancellationReasons", [])
            schedule_refused = (
                error_code(error) == "TransactionCanceledException"
                and len(reasons) > 1
                and reasons[1].get("Code") == "ConditionalCheckFailed"
                and reasons[0].get("Code") in (None, "None")
            )
            if not schedule_refused:
                raise
            if complete and (_plain(reasons[1].get("Item")) or {}).get(keys.PK):
                complete = False
                continue
            _table().put_item(Item=_item(tenant, execution, expires=now))
            return False
        return complete


def _finish_write(
    tenant: str,
    execution: Execution,
    update: ScheduleUpdate,
    *,
    now: datetime,
    complete: bool,
) -> None:
    record = _item(tenant, execution, expires=now)
    record.pop(keys.PK)
    record.pop(keys.SK)
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    sets: list[str] = []
    for index, (name, value) in enumerate(sorted(record.items())):
        names[f"#e{index}"] = name
        values[f":e{index}"] = value
        sets.append(f"#e{index} = :e{index}")
    exec_update: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "Key": keys.execution_key(tenant, execution.schedule_id, execution.id),
        "UpdateExpression": "SET " + ", ".join(sets) + " REMOVE lease_until",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }

    s_names = {"#pk": keys.PK}
    s_values: dict[str, Any] = {
        ":last": update.last_run_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        ":last_status": update.last_status.value,
        ":one": 1,
    }
    s_sets = ["last_run_at = :last", "last_status = :last_status"]
    adds = ["total_runs :one"]
    removes: list[str] = []
    if update.failed:
        adds.append("failed_runs :one")
    if update.set_next_run_at:
        if update.next_run_at is None:
            removes.append("next_run_at")
        else:
            s_values[":next"] = _iso(update.next_run_at)
            s_sets.append("next_run_at = :next")
    if update.release:
        removes += ["running_execution", "running_lease_until"]
    condition = "attribute_exists(#pk)"
    if complete:
        s_values[":completed"] = ScheduleStatus.COMPLETED.value
        s_values[":active"] = ScheduleStatus.ACTIVE.value
        s_values[":now"] = _iso(now)
        s_sets += ["#status = :completed", "updated_at = :now", "version = version + :one"]
        s_names["#status"] = "status"
        condition += " AND #status = :active"
    expression = "SET " + ", ".join(s_sets) + " ADD " + ", ".join(adds)
    if removes:
        expression += " REMOVE " + ", ".join(removes)
    sched_update: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "Key": keys.schedule_key(tenant, execution.schedule_id),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        "ExpressionAttributeNames": s_names,
        "ExpressionAttributeValues": s_values,
    }
    _client().transact_write_items(
        TransactItems=[{"Update": exec_update}, {"Update": sched_update}]
    )


def _iso(moment: datetime) -> str:
    # The same spelling pydantic uses for the schedule's other datetimes.
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
