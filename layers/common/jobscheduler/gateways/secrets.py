"""Per-tenant webhook signing secrets (Standard Webhooks), kept in SSM SecureString.

The secret is never stored in a schedule item. It is created on first use with
Overwrite=False, so two concurrent first uses (API and executor, or two executors)
agree on one value: the loser of the race reads the winner's.

Hand-written rather than Powertools' parameters utility: it has no create-if-missing
with the race handling above, and going through ``jobscheduler.aws`` keeps one client
setup for tests and the local stack.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import time
from typing import Any

from botocore.exceptions import ClientError

from jobscheduler.aws import client, error_code, unavailable
from jobscheduler.settings import get_settings

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
_SECRET_BYTES = 32
# Warm containers reuse a secret for this long; a rotated secret is picked up after it.
CACHE_SECONDS = 300.0
# SSM parameter names allow letters, digits and _.-/ ; other tenants (an IAM ARN, a JWT
# "sub" like "auth0|123") are named by a hash so they cannot escape the prefix.
_SAFE_TENANT = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")

_cache: dict[str, tuple[str, float]] = {}
_lock = threading.Lock()


def signing_secret_name(tenant: str) -> str:
    """The SSM parameter that holds the tenant's secret."""
    if _SAFE_TENANT.match(tenant) and tenant not in (".", ".."):
        leaf = tenant
    else:
        leaf = "sha256-" + hashlib.sha256(tenant.encode()).hexdigest()
    return f"{get_settings().webhook_secret_prefix}{leaf}"


def new_signing_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def get_or_create_signing_secret(tenant: str) -> str:
    """The tenant's Standard Webhooks secret ("whsec_..."), created when missing.
    DependencyUnavailable when SSM cannot be reached."""
    name = signing_secret_name(tenant)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(name)
    if cached is not None and cached[1] > now:
        return cached[0]
    with unavailable("read signing secret", dependency="ssm"):
        value = _read(name)
        if value is None:
            value = _create(name)
    with _lock:
        _cache[name] = (value, now + CACHE_SECONDS)
    return value


def reset_secret_cache() -> None:
    """Forget cached secrets (tests; a rotation that must apply at once)."""
    with _lock:
        _cache.clear()


def _ssm() -> Any:
    return client("ssm")


def _read(name: str) -> str | None:
    try:
        response = _ssm().get_parameter(Name=name, WithDecryption=True)
    except ClientError as error:
        if error_code(error) == "ParameterNotFound":
            return None
        raise
    return str(response["Parameter"]["Value"])


def _create(name: str) -> str:
    value = new_signing_secret()
    try:
        _ssm().put_parameter(
            Name=name,
            Value=value,
            Type="SecureString",
            Overwrite=False,
            Description="Standard Webhooks signing secret of one tenant (job scheduler)",
        )
    except ClientError as error:
        if error_code(error) != "ParameterAlreadyExists":
            raise
        # Someone created it between our read and our put: theirs is the secret.
        existing = _read(name)
        if existing is None:  # deleted again in between: nothing sane to sign with
            raise
        return existing
    return value
