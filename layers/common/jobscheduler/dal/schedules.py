"""Schedule items in the single table (see dal/keys.py), with the per-tenant quota counter.

Every write to an existing schedule is an UpdateItem of the fields the use case changed,
conditional on ``version`` and incrementing it, so the executor's own attributes
(last_run_at, total_runs, running_execution, ...) are never overwritten.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError
from pydantic import ValidationError

from jobscheduler.aws import AWS_ERRORS, cancellation_codes, error_code, table
from jobscheduler.dal import batch_read, keys, reconcile_index
from jobscheduler.dal.codec import schedule_from_item, schedule_to_item
from jobscheduler.dal.cursor import decode_cursor, encode_cursor
from jobscheduler.dal.failures import unavailable
from jobscheduler.errors import (
    Conflict,
    IdempotencyKeyTaken,
    InvalidState,
    NotFound,
    QuotaExceeded,
    VersionConflict,
)
from jobscheduler.models.idempotency import IdempotencyRecord as IdempotencyRecord
from jobscheduler.models.pagination import Page
from jobscheduler.models.schedules import Schedule, ScheduleStatus
from jobscheduler.observability import logger, metrics
from jobscheduler.settings import get_settings

QUOTA_ATTRIBUTE = "schedules"
# A filtered list keeps querying until the page is full, but never more than this many
# Query calls per request (a short page with a next_cursor is then returned).
MAX_QUERY_ROUNDS = 10
_CURSOR_SCOPE = "schedules"


def _table() -> Any:
    return table(get_settings().table_name)


def get(tenant: str, schedule_id: str) -> Schedule | None:
    """Strongly consistent read (the dual-write logic decides on what it reads)."""
    with unavailable("read schedule"):
        response = _table().get_item(
            Key=keys.schedule_key(tenant, schedule_id), ConsistentRead=True
        )
    item = response.get("Item")
    return schedule_from_item(item) if item else None


def _quota_update(tenant: str, delta: int, max_schedules: int | None) -> dict[str, Any]:
    update: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "Key": keys.quota_key(tenant),
        "UpdateExpression": "ADD #n :delta",
        "ExpressionAttributeNames": {"#n": QUOTA_ATTRIBUTE},
        "ExpressionAttributeValues": {":delta": delta},
    }
    if max_schedules is not None:
        update["ConditionExpression"] = "attribute_not_exists(#n) OR #n < :max"
        update["ExpressionAttributeValues"][":max"] = max_schedules
    return {"Update": update}


def get_idempotency(tenant: str, key: str) -> IdempotencyRecord | None:
    """The key's record, even if expired (TTL deletion is lazy: the caller compares
    expires_at with its clock)."""
    with unavailable("read idempotency key"):
        item = (
            _table()
            .get_item(Key=keys.idempotency_key(tenant, key), ConsistentRead=True)
            .get("Item")
        )
    if not item:
        return None
    return IdempotencyRecord(
        key=key,
        schedule_id=str(item["schedule_id"]),
        fingerprint=str(item["fingerprint"]),
        expires_at=int(item[keys.TTL_ATTRIBUTE]),
        created_at=str(item.get("created_at", "")),
    )


def _idempotency_put(
    tenant: str, record: IdempotencyRecord, now_epoch: int, replaces: str | None
) -> dict[str, Any]:
    # Free when absent or expired; ``replaces`` also frees a record whose schedule is gone.
    condition = "attribute_not_exists(PK) OR #exp < :now"
    values: dict[str, Any] = {":now": now_epoch}
    names = {"#exp": keys.TTL_ATTRIBUTE}
    if replaces is not None:
        condition += " OR #sid = :stale"
        names["#sid"] = "schedule_id"
        values[":stale"] = replaces
    return {
        "Put": {
            "TableName": get_settings().table_name,
            "Item": {
                **keys.idempotency_key(tenant, record.key),
                "schedule_id": record.schedule_id,
                "fingerprint": record.fingerprint,
                keys.TTL_ATTRIBUTE: record.expires_at,
                "created_at": record.created_at,
            },
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def insert(
    schedule: Schedule,
    *,
    max_schedules: int,
    idempotency: IdempotencyRecord | None = None,
    now_epoch: int = 0,
    replaces: str | None = None,
) -> None:
    """Put a new schedule and take one unit of the tenant's quota, atomically; with
    ``idempotency``, also claim the key's record (IdempotencyKeyTaken if another request
    holds it; ``replaces`` names a stale record's schedule that may be overwritten)."""
    item = schedule_to_item(schedule)
    # Indexed for the reconciler: due runs, and a check after the settle delay (which
    # rolls back a create that stays PENDING).
    item.update(reconcile_index.due_attributes(schedule.id))
    item.update(
        reconcile_index.check_attributes(
            schedule.id, schedule.updated_at + reconcile_index.settle_delay()
        )
    )
    put = {
        "Put": {
            "TableName": get_settings().table_name,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }
    items = [_quota_update(schedule.tenant, 1, max_schedules), put]
    if idempotency is not None:
        items.append(_idempotency_put(schedule.tenant, idempotency, now_epoch, replaces))
    client = _table().meta.client
    with unavailable("create schedule"):
        try:
            client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            codes = cancellation_codes(exc)
            # Checked first: the winner of a race with the same key answers for both,
            # even if this request would also have hit the quota.
            if len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
                raise IdempotencyKeyTaken(
                    "another request with this Idempotency-Key is being processed"
                ) from exc
            if codes and codes[0] == "ConditionalCheckFailed":
                raise QuotaExceeded(
                    f"this tenant already has the maximum of {max_schedules} schedules; "
                    "delete some before creating more",
                    details={"max_schedules": max_schedules},
                ) from exc
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise Conflict("a schedule with this id already exists") from exc
            raise


def remove_pending(tenant: str, schedule_id: str, idempotency_key: str | None = None) -> None:
    """Compensation of a failed create: drop the PENDING item and give the quota back;
    with ``idempotency_key``, also free the key (if it still names this schedule), so a
    retry of the failed request creates the schedule."""
    delete = {
        "Delete": {
            "TableName": get_settings().table_name,
            "Key": keys.schedule_key(tenant, schedule_id),
            "ConditionExpression": "#s = :pending",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":pending": ScheduleStatus.PENDING.value},
        }
    }
    items = [delete, _quota_update(tenant, -1, None)]
    if idempotency_key is not None:
        items.append(
            {
                "Delete": {
                    "TableName": get_settings().table_name,
                    "Key": keys.idempotency_key(tenant, idempotency_key),
                    "ConditionExpression": "attribute_not_exists(PK) OR #sid = :sid",
                    "ExpressionAttributeNames": {"#sid": "schedule_id"},
                    "ExpressionAttributeValues": {":sid": schedule_id},
                }
            }
        )
    client = _table().meta.client
    with unavailable("undo create"):
        try:
            client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            # Already gone (or no longer PENDING): nothing to undo.
            if error_code(exc) != "TransactionCanceledException":
                raise


def _update_parts(
    schedule: Schedule,
    fields: Iterable[str],
    expected_version: int,
    statuses: Collection[ScheduleStatus] | None,
) -> dict[str, Any]:
    item = schedule_to_item(schedule)
    names: dict[str, str] = {"#version": "version"}
    values: dict[str, Any] = {":expected": expected_version, ":next": expected_version + 1}
    sets = ["#version = :next"]
    removes: list[str] = []
    wanted = set(fields)
    if "name" in wanted:
        wanted.add(keys.GSI1SK)
    if "status" in wanted:
        wanted.add(keys.GSI1PK)
    for index, field in enumerate(sorted(wanted - {"version"})):
        names[f"#f{index}"] = field
        if field in item:
            values[f":v{index}"] = item[field]
            sets.append(f"#f{index} = :v{index}")
        else:
            removes.append(f"#f{index}")
    # Every API write asks the reconciler to check item and entries once they settle.
    check = reconcile_index.check_attributes(
        schedule.id, schedule.updated_at + reconcile_index.settle_delay()
    )
    for index, (name, value) in enumerate(check.items()):
        names[f"#c{index}"] = name
        values[f":c{index}"] = value
        sets.append(f"#c{index} = :c{index}")
    expression = "SET " + ", ".join(sets)
    if removes:
        expression += " REMOVE " + ", ".join(removes)
    condition = "attribute_exists(PK) AND #version = :expected"
    if statuses:
        names["#status"] = "status"
        placeholders = []
        for index, status in enumerate(sorted(statuses)):
            values[f":st{index}"] = status.value
            placeholders.append(f":st{index}")
        condition += f" AND #status IN ({', '.join(placeholders)})"
    return {
        "Key": keys.schedule_key(schedule.tenant, schedule.id),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _explain_condition_failure(
    tenant: str, schedule_id: str, expected_version: int, exc: Exception
) -> Exception:
    current = get(tenant, schedule_id)
    if current is None or current.status == ScheduleStatus.DELETED:
        return NotFound(f"schedule {schedule_id} not found")
    if current.version != expected_version:
        return VersionConflict(
            f"schedule {schedule_id} is at version {current.version}, not {expected_version}; "
            "read it again and retry",
            details={"current_version": current.version},
        )
    return InvalidState(
        f"schedule {schedule_id} is {current.status.value}; this change is not allowed now",
        details={"status": current.status.value},
    )


def update(
    schedule: Schedule,
    fields: Iterable[str],
    *,
    expected_version: int,
    statuses: Collection[ScheduleStatus] | None = None,
) -> Schedule:
    """Write ``fields`` of ``schedule`` if the item is at ``expected_version`` (and in one of
    ``statuses``); the version goes up by one. Returns the whole item as now stored."""
    request = _update_parts(schedule, fields, expected_version, statuses)
    with unavailable("update schedule"):
        try:
            response = _table().update_item(**request, ReturnValues="ALL_NEW")
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            raise _explain_condition_failure(
                schedule.tenant, schedule.id, expected_version, exc
            ) from exc
    return schedule_from_item(response["Attributes"])


def mark_deleted(schedule: Schedule, *, expected_version: int) -> None:
    """Move the schedule to DELETED (GSI1's DELETED partition) and release its quota
    unit in one transaction, so a repeated delete never releases twice."""
    request = _update_parts(
        schedule, ("status", "next_run_at", "updated_at"), expected_version, None
    )
    request["ConditionExpression"] += " AND #status <> :deleted"
    request["ExpressionAttributeNames"]["#status"] = "status"
    request["ExpressionAttributeValues"][":deleted"] = ScheduleStatus.DELETED.value
    update_item = {"Update": {"TableName": get_settings().table_name, **request}}
    client = _table().meta.client
    with unavailable("delete schedule"):
        try:
            client.transact_write_items(
                TransactItems=[update_item, _quota_update(schedule.tenant, -1, None)]
            )
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            raise _explain_condition_failure(
                schedule.tenant, schedule.id, expected_version, exc
            ) from exc


def quota_used(tenant: str) -> int:
    with unavailable("read quota"):
        item = _table().get_item(Key=keys.quota_key(tenant), ConsistentRead=True).get("Item")
    return int(item.get(QUOTA_ATTRIBUTE, 0)) if item else 0


@dataclass(frozen=True)
class _ListQuery:
    """GSI1's key condition and filters for one list request."""

    partition: str
    name_prefix: str | None
    status: ScheduleStatus | None
    task_type: str | None
    tag: tuple[str, str] | None

    def request(self) -> dict[str, Any]:
        names = {"#pk": keys.GSI1PK}
        values: dict[str, Any] = {":pk": self.partition}
        key_condition = "#pk = :pk"
        if self.name_prefix:
            names["#sk"] = keys.GSI1SK
            values[":prefix"] = self.name_prefix
            key_condition += " AND begins_with(#sk, :prefix)"
        filters: list[str] = []
        if self.status is not None:
            names["#status"] = "status"
            values[":status"] = self.status.value
            filters.append("#status = :status")
        if self.task_type is not None:
            names.update({"#task": "task", "#type": "type"})
            values[":task_type"] = self.task_type
            filters.append("#task.#type = :task_type")
        if self.tag is not None:
            # Placeholders, not Attr(): tag keys may contain dots.
            names.update({"#tags": "tags", "#tag_key": self.tag[0]})
            values[":tag_value"] = self.tag[1]
            filters.append("#tags.#tag_key = :tag_value")
        request: dict[str, Any] = {
            "IndexName": keys.GSI1,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        return request

    def still_matches(self, raw: dict[str, Any]) -> bool:
        """The full item (read after the index) still belongs to this list: a write
        between the Query and the read may have moved it (deleted, renamed, paused)."""
        task = raw.get("task")
        tags = raw.get("tags")
        return (
            raw.get(keys.GSI1PK) == self.partition
            and str(raw.get(keys.GSI1SK, "")).startswith(self.name_prefix or "")
            and (self.status is None or raw.get("status") == self.status.value)
            and (
                self.task_type is None
                or (isinstance(task, dict) and task.get("type") == self.task_type)
            )
            and (
                self.tag is None
                or (isinstance(tags, dict) and tags.get(self.tag[0]) == self.tag[1])
            )
        )


def _index_keys(
    query: _ListQuery, start_key: dict[str, Any] | None, limit: int
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Up to ``limit`` entries of GSI1 that pass the filters, and the key to resume
    after. DynamoDB applies ``Limit`` before filtering, so a filtered list queries again
    until the page is full, the partition ends or MAX_QUERY_ROUNDS is reached."""
    base = query.request()
    found: list[dict[str, Any]] = []
    last_key: dict[str, Any] | None = None
    for _ in range(MAX_QUERY_ROUNDS):
        request = {**base, "Limit": limit - len(found)}
        if start_key:
            request["ExclusiveStartKey"] = start_key
        with unavailable("list schedules"):
            response = _table().query(**request)
        found.extend(response.get("Items", []))
        last_key = response.get("LastEvaluatedKey")
        if not last_key or len(found) >= limit:
            break
        start_key = last_key
    return found, last_key


def list_page(
    tenant: str,
    *,
    deleted: bool,
    limit: int,
    cursor: str | None = None,
    name_prefix: str | None = None,
    status: ScheduleStatus | None = None,
    task_type: str | None = None,
    tag: tuple[str, str] | None = None,
) -> Page[Schedule]:
    """One page of a tenant's schedules sorted by name: a Query on GSI1 (never a Scan)
    for the keys, then one BatchGetItem for the items (GSI1 projects only what the
    filters need; see dal/batch_read.py). Filters run server side (FilterExpression);
    a short page comes with a next_cursor when MAX_QUERY_ROUNDS ran out."""
    query = _ListQuery(keys.schedule_gsi1pk(tenant, deleted), name_prefix, status, task_type, tag)
    start_key = (
        decode_cursor(
            cursor,
            _CURSOR_SCOPE,
            exact={keys.GSI1PK: query.partition, keys.PK: keys.tenant_pk(tenant)},
            prefixes={keys.SK: "SCHEDULE#", keys.GSI1SK: name_prefix or ""},
        )
        if cursor
        else None
    )
    found, last_key = _index_keys(query, start_key, limit)
    items: list[Schedule] = []
    for raw in batch_read.items_in_order(found, action="list schedules"):
        schedule = _readable(raw) if query.still_matches(raw) else None
        if schedule is not None:
            items.append(schedule)
    next_cursor = encode_cursor(_CURSOR_SCOPE, last_key) if last_key else None
    return Page[Schedule](items=items, next_cursor=next_cursor)


def _readable(raw: dict[str, Any]) -> Schedule | None:
    """One list entry; an item that no longer fits the model (written by an older
    version, or by hand) is left out and reported instead of failing every list of
    its tenant."""
    try:
        return schedule_from_item(raw)
    except ValidationError:
        logger.exception(
            "schedule item does not fit the model; left out of the list",
            extra={"pk": raw.get(keys.PK), "sk": raw.get(keys.SK)},
        )
        metrics.add_metric(name="UnreadableScheduleItems", unit=MetricUnit.Count, value=1)
        return None


def table_reachable() -> bool:
    """Health check: a cheap read of a key that never exists."""
    try:
        _table().get_item(Key={keys.PK: "HEALTH", keys.SK: "HEALTH"})
    except AWS_ERRORS:
        return False
    return True
