"""The reconciler's two sparse indexes, so a pass reads what changed or is due, never
the whole table.

GSI3 "check" index: ``check_pk`` = CHECK#{shard} / ``check_at`` (ISO UTC). Every write
of a schedule by the API (create, update, pause, resume, delete) sets both attributes,
in the same write, to "look at me after the settle delay"; the reconciler removes them
once the item and its Scheduler entries agree. Only schedules with a pending check are
in the index.

GSI4 "due" index: ``due_pk`` = DUE#{shard} / ``next_run_at``. ``due_pk`` is written once
when the schedule is created; the index holds only items that also have a
``next_run_at`` (ACTIVE and PENDING ones), sorted by it, so "expected runs older than
the grace period" is one range Query per shard.

Both indexes project keys only (PK/SK name the schedule): the reconciler reads the item
itself, consistently, before it repairs anything.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from jobscheduler.aws import error_code, table
from jobscheduler.dal import codec, keys
from jobscheduler.dal.failures import unavailable
from jobscheduler.models.schedules import Schedule
from jobscheduler.settings import get_settings

CHECK_INDEX = "GSI3"
CHECK_PK = "check_pk"
CHECK_AT = "check_at"
DUE_INDEX = "GSI4"
DUE_PK = "due_pk"
NEXT_RUN_AT = "next_run_at"
# Shards spread one busy index partition over several (every schedule writes the due
# index once per run); a pass queries each, a constant cost.
SHARDS = 4
SWEEP_STATE_KEY = {keys.PK: "RECONCILER", keys.SK: "SWEEP"}


def _table() -> Any:
    return table(get_settings().table_name)


def _shard(schedule_id: str) -> int:
    return zlib.crc32(schedule_id.encode()) % SHARDS


def iso(moment: datetime) -> str:
    """The spelling pydantic gives UTC datetimes in items (so strings compare as times)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def check_attributes(schedule_id: str, check_at: datetime) -> dict[str, str]:
    return {CHECK_PK: f"CHECK#{_shard(schedule_id)}", CHECK_AT: iso(check_at)}


def due_attributes(schedule_id: str) -> dict[str, str]:
    return {DUE_PK: f"DUE#{_shard(schedule_id)}"}


def settle_delay() -> timedelta:
    return timedelta(seconds=get_settings().reconcile_settle_seconds)


@dataclass(frozen=True)
class IndexedSchedule:
    tenant: str
    schedule_id: str
    sort_value: str  # check_at or next_run_at as read from the index


def _from_key(item: dict[str, Any], sort_attribute: str) -> IndexedSchedule | None:
    pk, sk = str(item.get(keys.PK, "")), str(item.get(keys.SK, ""))
    if not pk.startswith("TENANT#") or not sk.startswith("SCHEDULE#"):
        return None
    return IndexedSchedule(
        tenant=pk.removeprefix("TENANT#"),
        schedule_id=sk.removeprefix("SCHEDULE#"),
        sort_value=str(item.get(sort_attribute, "")),
    )


def _query_until(
    index: str, pk_attribute: str, pk_prefix: str, sort_attribute: str, until: str, limit: int
) -> Iterator[IndexedSchedule]:
    """Keys with sort value <= ``until``, oldest first per shard, at most ``limit``."""
    left = limit
    for shard in range(SHARDS):
        start: dict[str, Any] | None = None
        while left > 0:
            request: dict[str, Any] = {
                "IndexName": index,
                "KeyConditionExpression": "#pk = :pk AND #sk <= :until",
                "ExpressionAttributeNames": {"#pk": pk_attribute, "#sk": sort_attribute},
                "ExpressionAttributeValues": {":pk": f"{pk_prefix}#{shard}", ":until": until},
                "Limit": left,
            }
            if start:
                request["ExclusiveStartKey"] = start
            with unavailable("query reconcile index"):
                response = _table().query(**request)
            for raw in response.get("Items", []):
                found = _from_key(raw, sort_attribute)
                if found is not None:
                    left -= 1
                    yield found
            start = response.get("LastEvaluatedKey")
            if not start:
                break


def checks_due(now: datetime, limit: int) -> Iterator[IndexedSchedule]:
    """Schedules written by the API whose settle delay has passed."""
    return _query_until(CHECK_INDEX, CHECK_PK, "CHECK", CHECK_AT, iso(now), limit)


def runs_overdue(before: datetime, limit: int) -> Iterator[IndexedSchedule]:
    """Schedules whose expected next run lies before ``before``."""
    return _query_until(DUE_INDEX, DUE_PK, "DUE", NEXT_RUN_AT, iso(before), limit)


def schedule_of(raw: dict[str, Any]) -> Schedule:
    """The schedule a raw item (from ``get_raw``) holds."""
    return codec.schedule_from_item(raw)


def get_raw(tenant: str, schedule_id: str) -> dict[str, Any] | None:
    """The schedule item with the executor's attributes (consistent read)."""
    with unavailable("read schedule"):
        item = (
            _table()
            .get_item(Key=keys.schedule_key(tenant, schedule_id), ConsistentRead=True)
            .get("Item")
        )
    return dict(item) if item else None


def clear_check(tenant: str, schedule_id: str, seen_check_at: str) -> bool:
    """Drop the check marker unless a newer write has set a new one meanwhile."""
    with unavailable("clear reconcile check"):
        try:
            _table().update_item(
                Key=keys.schedule_key(tenant, schedule_id),
                UpdateExpression="REMOVE #pk, #at, apply_entries",
                ConditionExpression="#at = :seen",
                ExpressionAttributeNames={"#pk": CHECK_PK, "#at": CHECK_AT},
                ExpressionAttributeValues={":seen": seen_check_at},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
    return True


def postpone_check(tenant: str, schedule_id: str, seen_check_at: str, until: datetime) -> None:
    """A repair that could not finish: look again later (not on every pass)."""
    with unavailable("postpone reconcile check"):
        try:
            _table().update_item(
                Key=keys.schedule_key(tenant, schedule_id),
                UpdateExpression="SET #at = :later",
                ConditionExpression="#at = :seen",
                ExpressionAttributeNames={"#at": CHECK_AT},
                ExpressionAttributeValues={":seen": seen_check_at, ":later": iso(until)},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise


def advance_next_run(
    tenant: str, schedule_id: str, seen_next_run_at: str, new_next_run_at: datetime | None
) -> bool:
    """Move an overdue next_run_at on (the expected run was reported or accounted for),
    only if neither the executor nor the API moved it meanwhile."""
    names = {"#next": NEXT_RUN_AT, "#status": "status"}
    values: dict[str, Any] = {":seen": seen_next_run_at, ":active": "ACTIVE"}
    if new_next_run_at is None:
        expression = "REMOVE #next"
    else:
        expression = "SET #next = :new"
        values[":new"] = iso(new_next_run_at)
    with unavailable("advance next run"):
        try:
            _table().update_item(
                Key=keys.schedule_key(tenant, schedule_id),
                UpdateExpression=expression,
                ConditionExpression="#next = :seen AND #status = :active",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
    return True


def mark_for_check(tenant: str, schedule_id: str, check_at: datetime) -> None:
    """Queue a schedule for a check (the sweep uses it for items it cannot judge alone,
    and adds ``due_pk`` to items written before the due index existed)."""
    attributes = {**check_attributes(schedule_id, check_at), **due_attributes(schedule_id)}
    names = {f"#a{i}": name for i, name in enumerate(attributes)}
    values = {f":v{i}": value for i, value in enumerate(attributes.values())}
    sets = ", ".join(f"#a{i} = :v{i}" for i in range(len(attributes)))
    with unavailable("mark schedule for check"):
        try:
            _table().update_item(
                Key=keys.schedule_key(tenant, schedule_id),
                UpdateExpression=f"SET {sets}",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={**names, "#pk": keys.PK},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise


def read_sweep_token() -> str | None:
    with unavailable("read sweep state"):
        item = _table().get_item(Key=SWEEP_STATE_KEY, ConsistentRead=True).get("Item")
    token = item.get("next_token") if item else None
    return str(token) if token else None


def write_sweep_token(token: str | None, now: datetime) -> None:
    item: dict[str, Any] = {**SWEEP_STATE_KEY, "updated_at": iso(now)}
    if token:
        item["next_token"] = token
    with unavailable("write sweep state"):
        _table().put_item(Item=item)
