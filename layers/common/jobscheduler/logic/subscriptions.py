"""Tenant subscriptions to lifecycle events: create, list, get, delete.

Isolation, twice: the subscription lives on the tenant's own topic (only its events are
published there), and its filter policy always carries the tenant term, built here from
a closed vocabulary. Nothing the client sends reaches the policy except values checked
against that vocabulary, so no filter can widen it.

Order of writes on create: the item (with the tenant's limit, atomically), then SNS,
then the item's ARN. A failed SNS call removes the item again; an interrupted create
leaves an item in status ``creating`` that DELETE cleans up (finding the SNS
subscription by endpoint on the tenant's topic).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from jobscheduler.dal import subscriptions as dal
from jobscheduler.dal.subscriptions import SubscriptionRecord
from jobscheduler.errors import DomainError, NotFound, ValidationFailed
from jobscheduler.gateways import ssrf
from jobscheduler.gateways import subscriptions as sns
from jobscheduler.models.pagination import Page
from jobscheduler.models.subscriptions import (
    SUBSCRIPTION_ID_PATTERN,
    Protocol,
    Subscription,
    SubscriptionCreate,
    SubscriptionFilter,
    SubscriptionListQuery,
    SubscriptionStatus,
)
from jobscheduler.observability import logger
from jobscheduler.settings import Settings, get_settings

# SNS: "The total combination of values must not exceed 150" (the product of the
# lengths of the policy's lists; the tenant term counts 1).
MAX_FILTER_COMBINATIONS = 150
_EMAIL = re.compile(r"^[^@\s\"<>()\[\],;:\\]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
_SQS_ARN = re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}$")
_LAMBDA_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$"
)
_ID_RE = re.compile(SUBSCRIPTION_ID_PATTERN)
# Control, format (bidi, zero-width), separator and private/surrogate characters: SNS
# answers them with a response botocore cannot read, and shown to a person they make one
# address look like another.
_UNSEEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


def _refuse(
    message: str, *, code: str = "invalid_endpoint", suggestion: str | None = None
) -> ValidationFailed:
    detail: dict[str, Any] = {"loc": ["body", "endpoint"], "msg": message}
    if suggestion:
        detail["suggestion"] = suggestion
    return ValidationFailed(message, code=code, details=[detail])


# --- the filter policy ---------------------------------------------------------------


def filter_policy(tenant: str, wanted: SubscriptionFilter) -> dict[str, list[str]]:
    """The SNS filter policy of a subscription: the tenant term always, then one list per
    narrowing the client asked for (SNS ANDs the keys, so each can only narrow)."""
    policy: dict[str, list[str]] = {"tenant": [tenant]}
    if wanted.event_types:
        policy["type"] = list(wanted.event_types)
    if wanted.schedule_ids:
        policy["schedule_id"] = list(wanted.schedule_ids)
    if wanted.statuses:
        policy["status"] = list(wanted.statuses)
    return policy


def _check_combinations(policy: dict[str, list[str]]) -> None:
    combinations = 1
    for values in policy.values():
        combinations *= len(values)
    if combinations > MAX_FILTER_COMBINATIONS:
        raise ValidationFailed(
            f"the filter has {combinations} combinations of values (event types x schedule "
            f"ids x statuses); SNS allows at most {MAX_FILTER_COMBINATIONS}",
            code="filter_too_complex",
            details=[
                {
                    "loc": ["body", "filter"],
                    "msg": "too many combinations",
                    "suggestion": "drop the statuses (the event type implies most of them) "
                    "or split the schedule ids over several subscriptions",
                }
            ],
        )


# --- endpoints -----------------------------------------------------------------------


def _check_url(protocol: Protocol, endpoint: str, settings: Settings) -> None:
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").split("%", 1)[0]
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise _refuse(f"the endpoint is not a valid URL: {exc}") from exc
    if parts.scheme != protocol.value or not host or any(c.isspace() for c in endpoint):
        raise _refuse(
            f"a {protocol.value} endpoint is a URL like {protocol.value}://hooks.example.com/path",
            suggestion=f"{protocol.value}://hooks.example.com/jobscheduler",
        )
    try:
        # The same guard as HTTP tasks: SNS would otherwise be pointed at addresses no
        # task may reach (and confirmation requests would probe them for the caller).
        ssrf.resolve(host, port, allow_loopback=settings.allow_loopback_targets)
    except ssrf.Refused as exc:
        raise _refuse(
            f"{exc}; subscriptions may only deliver to public addresses",
            code="forbidden_endpoint",
        ) from exc
    except (ConnectionError, UnicodeError) as exc:
        raise _refuse(
            f"the endpoint's host {host!r} does not resolve",
            code="endpoint_unresolvable",
            suggestion="check the host name (it must resolve in public DNS)",
        ) from exc


def _own_function(endpoint: str, settings: Settings) -> bool:
    name = endpoint.split(":function:", 1)[1].split(":", 1)[0]
    own = {settings.executor_function_arn.split(":function:")[-1].split(":", 1)[0]}
    own |= {part.strip() for part in settings.own_functions.split(",")}
    return name in own - {""}


def _check_visible(protocol: Protocol, endpoint: str) -> None:
    unseen = [c for c in endpoint if unicodedata.category(c) in _UNSEEN_CATEGORIES]
    if not unseen:
        return
    if protocol in (Protocol.HTTP, Protocol.HTTPS):
        # In a URL such a character is written percent-encoded; anywhere else it has no
        # place at all.
        fixed = "".join(quote(c, safe="") if c in unseen else c for c in endpoint)
    else:
        fixed = "".join(c for c in endpoint if c not in unseen)
    raise _refuse(
        f"the endpoint contains the invisible character U+{ord(unseen[0]):04X}",
        suggestion=fixed or None,
    )


def _check_endpoint(protocol: Protocol, endpoint: str, settings: Settings) -> None:
    _check_visible(protocol, endpoint)
    if protocol in (Protocol.HTTP, Protocol.HTTPS):
        _check_url(protocol, endpoint, settings)
    elif protocol == Protocol.EMAIL:
        if not _EMAIL.match(endpoint) or len(endpoint) > 254:
            raise _refuse("not an email address", suggestion="ops@example.com")
    elif protocol == Protocol.SQS:
        if not _SQS_ARN.match(endpoint):
            raise _refuse(
                "an sqs endpoint is a standard queue's ARN (FIFO queues cannot subscribe to "
                "a standard topic)",
                suggestion="arn:aws:sqs:eu-west-1:123456789012:my-events",
            )
        if settings.dlq_arn and endpoint.rsplit(":", 1)[-1] == settings.dlq_arn.rsplit(":", 1)[-1]:
            raise _refuse("the scheduler's own dead-letter queue", code="forbidden_endpoint")
    elif protocol == Protocol.LAMBDA:
        if not _LAMBDA_ARN.match(endpoint):
            raise _refuse(
                "a lambda endpoint is a function ARN",
                suggestion="arn:aws:lambda:eu-west-1:123456789012:function:on-job-event",
            )
        if _own_function(endpoint, settings):
            raise _refuse("one of the scheduler's own functions", code="forbidden_endpoint")


def subscription_id(tenant: str, protocol: Protocol, endpoint: str) -> str:
    digest = hashlib.sha256(f"{tenant}\0{protocol.value}\0{endpoint}".encode()).digest()
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    number = int.from_bytes(digest[:16], "big")
    chars = []
    for _ in range(24):
        number, rest = divmod(number, 36)
        chars.append(alphabet[rest])
    return "sub_" + "".join(chars)


# --- use cases -----------------------------------------------------------------------


def _view(record: SubscriptionRecord) -> Subscription:
    return Subscription(
        id=record.id,
        protocol=record.protocol,
        endpoint=record.endpoint,
        filter=record.filter,
        status=record.status,
        created_at=record.created_at,
        topic_arn=record.topic_arn,
    )


def create(tenant: str, body: SubscriptionCreate) -> Subscription:
    settings = get_settings()
    _check_endpoint(body.protocol, body.endpoint, settings)
    policy = filter_policy(tenant, body.filter)
    _check_combinations(policy)
    record = SubscriptionRecord(
        tenant=tenant,
        id=subscription_id(tenant, body.protocol, body.endpoint),
        protocol=body.protocol,
        endpoint=body.endpoint,
        filter=body.filter,
        status=SubscriptionStatus.CREATING,
        created_at=datetime.now(UTC).replace(microsecond=0),
        topic_arn=sns.tenant_topic_arn(tenant),
    )
    dal.insert(record, limit=settings.max_subscriptions_per_tenant)
    try:
        topic = sns.ensure_tenant_topic(tenant)
        arn = sns.subscribe(topic, body.protocol.value, body.endpoint, policy)
    except DomainError:
        _undo(record, arn=None)
        raise
    try:
        status = sns.status(arn)
        dal.finish(tenant, record.id, arn, status)
    except DomainError:
        _undo(record, arn=arn)
        raise
    logger.info("subscription created", extra={"subscription_id": record.id})
    return _view(replace(record, status=status, subscription_arn=arn))


def _undo(record: SubscriptionRecord, *, arn: str | None) -> None:
    """Compensation: what the failed create wrote goes again (a failure here leaves a
    ``creating`` item, which DELETE cleans up)."""
    try:
        if arn is not None:
            sns.unsubscribe(arn)
        dal.remove(record.tenant, record.id)
    except DomainError:
        logger.exception("subscription create not undone", extra={"subscription_id": record.id})


def _existing(tenant: str, subscription_id_: str) -> SubscriptionRecord:
    found = dal.get(tenant, subscription_id_) if _ID_RE.match(subscription_id_) else None
    if found is None:
        raise NotFound(
            f"no subscription {subscription_id_!r}",
            code="subscription_not_found",
            details={"suggestion": "GET /subscriptions lists yours"},
        )
    return found


def _refresh(record: SubscriptionRecord) -> SubscriptionRecord:
    """The status SNS reports now (stored when it changed)."""
    if record.subscription_arn is None:
        return record
    current = sns.status(record.subscription_arn)
    if current != record.status:
        dal.set_status(record.tenant, record.id, current)
        record = replace(record, status=current)
    return record


def get(tenant: str, subscription_id_: str) -> Subscription:
    return _view(_refresh(_existing(tenant, subscription_id_)))


def list_subscriptions(tenant: str, query: SubscriptionListQuery) -> Page[Subscription]:
    page = dal.list_page(tenant, limit=query.limit, cursor=query.cursor)
    # Only the ones SNS may still change (pending ones get confirmed): a confirmed
    # subscription's status stays what was stored, so a page costs few SNS calls.
    items = [
        _view(_refresh(r) if r.status != SubscriptionStatus.CONFIRMED else r) for r in page.items
    ]
    return Page[Subscription](items=items, next_cursor=page.next_cursor)


def delete(tenant: str, subscription_id_: str) -> None:
    """SNS first: a failure then leaves an item that points at nothing (a retried DELETE
    finishes), never a live subscription the tenant can no longer see."""
    record = _existing(tenant, subscription_id_)
    arn = record.subscription_arn or sns.find(
        record.topic_arn, record.protocol.value, record.endpoint
    )
    if arn is not None:
        sns.unsubscribe(arn)
    if not dal.remove(tenant, record.id):
        raise NotFound(f"no subscription {subscription_id_!r}", code="subscription_not_found")
    logger.info("subscription deleted", extra={"subscription_id": record.id})
