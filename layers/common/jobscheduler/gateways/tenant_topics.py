"""The per-tenant event topics: their names, and publishing to one when it exists.

Kept apart from the subscription calls so the executor's publish path imports only this
(no models beyond what it has already loaded).
"""

from __future__ import annotations

import hashlib
import threading
import time

from botocore.exceptions import ClientError

from jobscheduler.aws import client, error_code
from jobscheduler.settings import get_settings

_NOT_FOUND = frozenset({"NotFound", "NotFoundException", "ResourceNotFoundException"})


# --- names ----------------------------------------------------------------


def _prefix() -> str:
    settings = get_settings()
    return settings.tenant_topic_prefix or (settings.topic_arn.rsplit(":", 1)[-1] + "-t-")


def tenant_topic_name(tenant: str) -> str:
    """Deterministic, so publishers need no lookup; a hash, since tenants may hold any
    character and topic names only letters, digits, '-' and '_'."""
    return _prefix() + hashlib.sha256(tenant.encode()).hexdigest()[:40]


def is_tenant_topic(topic_arn: str) -> bool:
    """Whether ``topic_arn`` names a tenant topic of this stack (tasks may not publish
    there: that would be a forged event for another tenant's subscribers)."""
    return topic_arn.rsplit(":", 1)[-1].startswith(_prefix())


def tenant_topic_arn(tenant: str) -> str:
    base = get_settings().topic_arn.rsplit(":", 1)[0]
    return f"{base}:{tenant_topic_name(tenant)}"


# --- publishing to the tenant's topic -------------------------------------------------


class _Presence:
    """Which tenants have a topic, as far as this process knows. A tenant without one
    costs one refused Publish per ``tenant_topic_cache_seconds`` per warm instance, not
    one per event; a topic is never deleted, so a positive answer is kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._absent_until: dict[str, float] = {}

    def known_absent(self, tenant: str) -> bool:
        with self._lock:
            until = self._absent_until.get(tenant)
            if until is None:
                return False
            if time.monotonic() >= until:
                del self._absent_until[tenant]
                return False
            return True

    def mark(self, tenant: str, *, present: bool) -> None:
        with self._lock:
            if present:
                self._absent_until.pop(tenant, None)
            else:
                ttl = get_settings().tenant_topic_cache_seconds
                if ttl > 0:
                    self._absent_until[tenant] = time.monotonic() + ttl

    def clear(self) -> None:
        with self._lock:
            self._absent_until.clear()


_PRESENCE = _Presence()


def mark_present(tenant: str) -> None:
    """The tenant's topic exists now (the API just created it)."""
    _PRESENCE.mark(tenant, present=True)


def forget_presence() -> None:
    """Tests switch moto instances between cases."""
    _PRESENCE.clear()


def publish_to_tenant(
    tenant: str, message: str, attributes: dict[str, dict[str, str]]
) -> str | None:
    """Publish to the tenant's topic if it has one; the message id, or None. Errors other
    than a missing topic propagate (the caller counts a failed publish)."""
    if _PRESENCE.known_absent(tenant):
        return None
    try:
        response = client("sns").publish(
            TopicArn=tenant_topic_arn(tenant), Message=message, MessageAttributes=attributes
        )
    except ClientError as exc:
        if error_code(exc) in _NOT_FOUND:
            _PRESENCE.mark(tenant, present=False)
            return None
        raise
    return str(response["MessageId"])
