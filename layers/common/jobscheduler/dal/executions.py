"""Execution records (the history of a schedule's runs).

Item: PK=TENANT#t#SCHEDULE#id, SK=EXEC#{execution_id}, GSI2PK/GSI2SK (the tenant-wide
history; see dal/keys.py; the index projects ``status`` only, for its filter), the fields of ``models.executions.Execution``, ``tenant``,
``expires_at`` (TTL, epoch seconds) and, while a RUNNING record is the run's lock,
``lease_until`` (epoch milliseconds). How the executor claims and finishes runs (and
when a record is written) is in dal/runs.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from jobscheduler.aws import error_code, table, unavailable
from jobscheduler.dal import batch_read, codec, keys
from jobscheduler.models.executions import Execution, ExecutionStatus
from jobscheduler.settings import get_settings

_EXECUTION_ATTRS = frozenset(Execution.model_fields)
# A status filter drops items after the read; stop after this many pages so one request
# stays bounded (the caller gets a short page and a cursor to continue).
_MAX_FILTERED_PAGES = 5


def schedule_table() -> Any:
    """The single table (schedules and their executions share it)."""
    return table(get_settings().table_name)


def expires_at(moment: datetime) -> int:
    """TTL (epoch seconds) of a record created or finished at ``moment``."""
    return int((moment + timedelta(days=get_settings().execution_retention_days)).timestamp())


_deserializer = TypeDeserializer()


def plain_item(item: Any) -> dict[str, Any] | None:
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


def execution_from_item(item: dict[str, Any]) -> Execution:
    data = {k: v for k, v in codec.from_dynamo(item).items() if k in _EXECUTION_ATTRS}
    return Execution.model_validate(data)


def execution_item(tenant: str, execution: Execution, *, expires: datetime) -> dict[str, Any]:
    item = codec.to_dynamo(execution)
    item.update(keys.execution_key(tenant, execution.schedule_id, execution.id))
    item[keys.GSI2PK] = keys.tenant_executions_pk(tenant)
    item[keys.GSI2SK] = keys.tenant_execution_sk(execution.schedule_id, execution.id)
    item["tenant"] = tenant
    item[keys.TTL_ATTRIBUTE] = expires_at(expires)
    return item


# --- queries the API uses -------------------------------------------------------------


def get_execution(tenant: str, schedule_id: str, execution_id: str) -> Execution | None:
    response = schedule_table().get_item(Key=keys.execution_key(tenant, schedule_id, execution_id))
    item = response.get("Item")
    return None if item is None else execution_from_item(item)


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
        with unavailable("read executions"):
            response = schedule_table().query(**page)
        items.extend(response.get("Items", []))
        start = response.get("LastEvaluatedKey")
        if start is None or len(items) >= limit:
            break
    if schedule_id is None:
        executions = _full_records(items, status)
    else:
        executions = [execution_from_item(item) for item in items]
    if start is not None and items:
        # Resume after the last item returned (the same as LastEvaluatedKey when no filter
        # dropped anything; always a valid ExclusiveStartKey).
        start = {name: items[-1][name] for name in key_names}
    return executions, start


def _full_records(entries: list[dict[str, Any]], status: ExecutionStatus | None) -> list[Execution]:
    """The records behind GSI2's entries (the index holds keys and status only, so a
    run's writes of its record cost at most one index write): one BatchGetItem, in the
    index's order. A record whose status changed since the index was read is left out
    of a status-filtered page, as the index would have left it out a moment later."""
    full = batch_read.items_in_order(entries, action="read executions")
    return [
        execution_from_item(item)
        for item in full
        if status is None or item.get("status") == status.value
    ]


def delete_executions(tenant: str, schedule_id: str) -> int:
    """Delete a schedule's whole history (BatchWriteItem deletes); returns how many."""
    deleted = 0
    start: dict[str, Any] | None = None
    with schedule_table().batch_writer() as batch:
        while True:
            query: dict[str, Any] = {
                "KeyConditionExpression": Key(keys.PK).eq(keys.executions_pk(tenant, schedule_id))
                & Key(keys.SK).begins_with(keys.execution_sk("")),
                "ProjectionExpression": "#pk, #sk",
                "ExpressionAttributeNames": {"#pk": keys.PK, "#sk": keys.SK},
            }
            if start:
                query["ExclusiveStartKey"] = start
            response = schedule_table().query(**query)
            for item in response.get("Items", []):
                batch.delete_item(Key={keys.PK: item[keys.PK], keys.SK: item[keys.SK]})
                deleted += 1
            start = response.get("LastEvaluatedKey")
            if start is None:
                return deleted


# --- the executor's skipped runs -----------------------------------------------------


def put_skipped(
    tenant: str, execution: Execution, *, now: datetime, replacing_lease: int | None = None
) -> bool:
    """Record a SKIPPED run once; False when a record for this id already exists.

    ``replacing_lease``: this run holds the RUNNING record with that lease (a run-now
    refused after its claim), which the SKIPPED record replaces.
    """
    condition = "attribute_not_exists(#pk)"
    names = {"#pk": keys.PK}
    values: dict[str, Any] = {}
    if replacing_lease is not None:
        condition += " OR (#status = :running AND lease_until = :mine)"
        names["#status"] = "status"
        values = {":running": ExecutionStatus.RUNNING.value, ":mine": replacing_lease}
    try:
        schedule_table().put_item(
            Item=execution_item(tenant, execution, expires=now),
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            **({"ExpressionAttributeValues": values} if values else {}),
        )
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True
