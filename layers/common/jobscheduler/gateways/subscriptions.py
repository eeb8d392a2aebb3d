"""SNS side of tenant subscriptions: one topic per tenant, created lazily, and the
subscriptions on it (each with the server-built filter policy).

Why a topic per tenant (docs/subscriptions.md has the numbers): SNS allows 200 filter
policies per topic by default, and every tenant subscription needs one, so a shared
topic would hold 200 subscriptions in all. Per-tenant topics keep each topic at the
tenant's own limit, 10,000 tenants use 10,000 of the 100,000 topics an account may have,
and the topic itself is a second wall between tenants besides the filter's tenant term.

AWS errors become domain errors here: SNS refusing a parameter is the client's 422,
anything else a retryable 503.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from jobscheduler.aws import AWS_ERRORS, client, error_code, error_message
from jobscheduler.errors import DependencyUnavailable, ValidationFailed
from jobscheduler.gateways.tenant_topics import mark_present, tenant_topic_arn, tenant_topic_name
from jobscheduler.models.subscriptions import SubscriptionStatus
from jobscheduler.settings import get_settings

__all__ = ["tenant_topic_arn"]

_NOT_FOUND = frozenset({"NotFound", "NotFoundException", "ResourceNotFoundException"})
_REFUSED = frozenset({"InvalidParameter", "InvalidParameterException", "InvalidParameterValue"})


def _code(exc: ClientError) -> str:
    return error_code(exc)


@contextmanager
def _sns(action: str) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        if _code(exc) in _REFUSED:
            message = error_message(exc) or "refused"
            raise ValidationFailed(
                f"SNS refused the subscription: {message}",
                code="invalid_endpoint",
                details=[{"loc": ["body", "endpoint"], "msg": message}],
            ) from exc
        raise _unavailable(action) from exc
    except AWS_ERRORS as exc:
        raise _unavailable(action) from exc


def _unavailable(action: str) -> DependencyUnavailable:
    return DependencyUnavailable(
        f"sns is unavailable ({action}); retry",
        details={"retryable": True, "dependency": "sns"},
    )


def ensure_tenant_topic(tenant: str) -> str:
    """CreateTopic is idempotent for the same name and attributes: safe on every create."""
    attributes: dict[str, str] = {}
    key = get_settings().events_kms_key_id
    if key:
        attributes["KmsMasterKeyId"] = key
    with _sns("create the tenant's topic"):
        arn = client("sns").create_topic(Name=tenant_topic_name(tenant), Attributes=attributes)[
            "TopicArn"
        ]
    mark_present(tenant)
    return str(arn)


# --- subscriptions ---------------------------------------------------------------------


def subscribe(topic_arn: str, protocol: str, endpoint: str, policy: dict[str, Any]) -> str:
    """The subscription's ARN. One call, so the subscription never exists without its
    filter policy (Subscribe then SetSubscriptionAttributes would deliver unfiltered in
    between); ReturnSubscriptionArn, so even a pending one has an ARN to delete."""
    with _sns("subscribe"):
        return str(
            client("sns").subscribe(
                TopicArn=topic_arn,
                Protocol=protocol,
                Endpoint=endpoint,
                Attributes={
                    "FilterPolicy": json.dumps(policy, separators=(",", ":"), sort_keys=True),
                    "FilterPolicyScope": "MessageAttributes",
                },
                ReturnSubscriptionArn=True,
            )["SubscriptionArn"]
        )


def status(arn: str) -> SubscriptionStatus:
    """As SNS reports it: PendingConfirmation until the endpoint confirms."""
    try:
        with _sns("read the subscription"):
            try:
                attributes = client("sns").get_subscription_attributes(SubscriptionArn=arn)[
                    "Attributes"
                ]
            except ClientError as exc:
                if _code(exc) in _NOT_FOUND:
                    return SubscriptionStatus.EXPIRED
                raise
    except ValidationFailed:
        # An ARN SNS calls invalid names no subscription it has.
        return SubscriptionStatus.EXPIRED
    pending = str(attributes.get("PendingConfirmation", "false")).lower() == "true"
    return SubscriptionStatus.PENDING_CONFIRMATION if pending else SubscriptionStatus.CONFIRMED


def filter_policy_of(arn: str) -> dict[str, Any] | None:
    """The policy SNS holds (tests and operators check it against what we meant)."""
    with _sns("read the subscription"):
        raw = (
            client("sns")
            .get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
            .get("FilterPolicy")
        )
    return json.loads(raw) if raw else None


def unsubscribe(arn: str) -> None:
    """Gone already is fine (a repeated or raced delete)."""
    with _sns("unsubscribe"):
        try:
            client("sns").unsubscribe(SubscriptionArn=arn)
        except ClientError as exc:
            if _code(exc) not in _NOT_FOUND:
                raise


def find(topic_arn: str, protocol: str, endpoint: str) -> str | None:
    """The subscription of an interrupted create (its ARN never reached the table)."""
    with _sns("list the tenant's subscriptions"):
        try:
            pages = client("sns").get_paginator("list_subscriptions_by_topic")
            for page in pages.paginate(TopicArn=topic_arn):
                for sub in page.get("Subscriptions", []):
                    if sub.get("Protocol") == protocol and sub.get("Endpoint") == endpoint:
                        arn = str(sub.get("SubscriptionArn", ""))
                        if arn.startswith("arn:"):
                            return arn
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                return None
            raise
    return None
