"""Subscription items in the single table, with the tenant's subscription counter.

Item                  PK            SK                       attributes
subscription          TENANT#{t}    SUBSCRIPTION#{id}        id, protocol, endpoint, filter, status,
                                                             created_at, topic_arn, subscription_arn
subscription counter  TENANT#{t}    SUBSCRIPTIONS            count

The id is derived from (tenant, protocol, endpoint): SNS keeps one subscription per
(topic, protocol, endpoint), so the conditional put of the item is also the check that
the tenant has not subscribed this endpoint already, even under concurrent requests.
A page of a tenant's subscriptions is a Query on its partition (begins_with SK).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from jobscheduler.aws import error_code, table
from jobscheduler.dal import keys
from jobscheduler.dal.codec import from_dynamo, to_dynamo
from jobscheduler.dal.cursor import decode_cursor, encode_cursor
from jobscheduler.dal.failures import unavailable
from jobscheduler.errors import Conflict, QuotaExceeded
from jobscheduler.models.pagination import Page
from jobscheduler.models.subscriptions import (
    Protocol,
    SubscriptionFilter,
    SubscriptionStatus,
)
from jobscheduler.settings import get_settings

_PREFIX = "SUBSCRIPTION#"
_COUNTER_SK = "SUBSCRIPTIONS"
_COUNT = "count"
_CURSOR_SCOPE = "subscriptions"
_TRANSACT_ATTEMPTS = 5


@dataclass(frozen=True)
class SubscriptionRecord:
    tenant: str
    id: str
    protocol: Protocol
    endpoint: str
    filter: SubscriptionFilter
    status: SubscriptionStatus
    created_at: datetime
    topic_arn: str
    subscription_arn: str | None = None


def _table() -> Any:
    return table(get_settings().table_name)


def _key(tenant: str, subscription_id: str) -> dict[str, str]:
    return {keys.PK: keys.tenant_pk(tenant), keys.SK: _PREFIX + subscription_id}


def _counter(tenant: str, delta: int, limit: int | None) -> dict[str, Any]:
    update: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "Key": {keys.PK: keys.tenant_pk(tenant), keys.SK: _COUNTER_SK},
        "UpdateExpression": "ADD #n :delta",
        "ExpressionAttributeNames": {"#n": _COUNT},
        "ExpressionAttributeValues": {":delta": delta},
    }
    if limit is not None:
        update["ConditionExpression"] = "attribute_not_exists(#n) OR #n < :max"
        update["ExpressionAttributeValues"][":max"] = limit
    return {"Update": update}


def _to_item(record: SubscriptionRecord) -> dict[str, Any]:
    item: dict[str, Any] = {
        **_key(record.tenant, record.id),
        "tenant": record.tenant,
        "id": record.id,
        "protocol": record.protocol.value,
        "endpoint": record.endpoint,
        "filter": to_dynamo(record.filter),
        "status": record.status.value,
        "created_at": record.created_at.isoformat(),
        "topic_arn": record.topic_arn,
    }
    if record.subscription_arn:
        item["subscription_arn"] = record.subscription_arn
    return item


def _from_item(item: dict[str, Any]) -> SubscriptionRecord:
    data = from_dynamo(item)
    return SubscriptionRecord(
        tenant=data["tenant"],
        id=data["id"],
        protocol=Protocol(data["protocol"]),
        endpoint=data["endpoint"],
        filter=SubscriptionFilter.model_validate(data.get("filter") or {}),
        status=SubscriptionStatus(data["status"]),
        created_at=datetime.fromisoformat(data["created_at"]),
        topic_arn=data["topic_arn"],
        subscription_arn=data.get("subscription_arn"),
    )


def _cancellation_codes(exc: ClientError) -> list[str]:
    return [str(r.get("Code", "")) for r in exc.response.get("CancellationReasons") or []]


def _transact(items: list[dict[str, Any]]) -> None:
    """TransactWriteItems, again after a TransactionConflict: concurrent requests of one
    tenant all touch its counter item, and DynamoDB cancels such overlaps rather than
    queueing them (a few retries with jitter settle them)."""
    client = _table().meta.client
    for attempt in range(_TRANSACT_ATTEMPTS):
        try:
            client.transact_write_items(TransactItems=items)
            return
        except ClientError as exc:
            if "TransactionConflict" not in _cancellation_codes(exc) or (
                attempt == _TRANSACT_ATTEMPTS - 1
            ):
                raise
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))


def insert(record: SubscriptionRecord, *, limit: int) -> None:
    """Put the (CREATING) item and take one unit of the tenant's limit, atomically."""
    put = {
        "Put": {
            "TableName": get_settings().table_name,
            "Item": _to_item(record),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }
    with unavailable("create subscription"):
        try:
            _transact([_counter(record.tenant, 1, limit), put])
        except ClientError as exc:
            codes = _cancellation_codes(exc)
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise Conflict(
                    "this endpoint is already subscribed with this protocol",
                    code="subscription_exists",
                    details={
                        "id": record.id,
                        "suggestion": f"change it with DELETE /subscriptions/{record.id} "
                        "and a new POST",
                    },
                ) from exc
            if codes and codes[0] == "ConditionalCheckFailed":
                raise QuotaExceeded(
                    f"this tenant already has the maximum of {limit} subscriptions; delete "
                    "one before subscribing another endpoint",
                    details={"max_subscriptions": limit},
                ) from exc
            raise


def finish(tenant: str, subscription_id: str, arn: str, status: SubscriptionStatus) -> None:
    with unavailable("record subscription"):
        _table().update_item(
            Key=_key(tenant, subscription_id),
            UpdateExpression="SET subscription_arn = :arn, #s = :status",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":arn": arn, ":status": status.value},
        )


def set_status(tenant: str, subscription_id: str, status: SubscriptionStatus) -> None:
    """Remember what SNS last reported (a missing item is not an error: it was deleted)."""
    with unavailable("record subscription status"):
        try:
            _table().update_item(
                Key=_key(tenant, subscription_id),
                UpdateExpression="SET #s = :status",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":status": status.value},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise


def remove(tenant: str, subscription_id: str) -> bool:
    """Delete the item and give its unit back; False when it was already gone."""
    delete = {
        "Delete": {
            "TableName": get_settings().table_name,
            "Key": _key(tenant, subscription_id),
            "ConditionExpression": "attribute_exists(PK)",
        }
    }
    with unavailable("delete subscription"):
        try:
            _transact([delete, _counter(tenant, -1, None)])
        except ClientError as exc:
            codes = _cancellation_codes(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                return False
            raise
    return True


def get(tenant: str, subscription_id: str) -> SubscriptionRecord | None:
    with unavailable("read subscription"):
        item = _table().get_item(Key=_key(tenant, subscription_id), ConsistentRead=True).get("Item")
    return _from_item(item) if item else None


def count(tenant: str) -> int:
    with unavailable("read subscription count"):
        item = (
            _table()
            .get_item(
                Key={keys.PK: keys.tenant_pk(tenant), keys.SK: _COUNTER_SK}, ConsistentRead=True
            )
            .get("Item")
        )
    return int(item.get(_COUNT, 0)) if item else 0


def list_page(tenant: str, *, limit: int, cursor: str | None) -> Page[SubscriptionRecord]:
    pk = keys.tenant_pk(tenant)
    start = (
        decode_cursor(cursor, _CURSOR_SCOPE, exact={keys.PK: pk}, prefixes={keys.SK: _PREFIX})
        if cursor
        else None
    )
    request: dict[str, Any] = {
        "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
        "ExpressionAttributeNames": {"#pk": keys.PK, "#sk": keys.SK},
        "ExpressionAttributeValues": {":pk": pk, ":prefix": _PREFIX},
        "Limit": limit,
        "ConsistentRead": True,
    }
    if start:
        request["ExclusiveStartKey"] = start
    with unavailable("list subscriptions"):
        response = _table().query(**request)
    last = response.get("LastEvaluatedKey")
    return Page[SubscriptionRecord](
        items=[_from_item(raw) for raw in response.get("Items", [])],
        next_cursor=encode_cursor(_CURSOR_SCOPE, last) if last else None,
    )
