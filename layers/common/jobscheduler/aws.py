"""boto3 clients, created lazily and cached per process (warm Lambdas reuse them).

Only dal/ and gateways/ import this module. boto3 honours AWS_ENDPOINT_URL (and the
per-service AWS_ENDPOINT_URL_<SERVICE>), which is how the local stack points the same
code at moto: there is no local-only branch here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Fail fast inside a Lambda's time budget; "standard" retry mode backs off on throttling.
_CONFIG = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"mode": "standard", "max_attempts": 3},
)


@cache
def client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_CONFIG)  # type: ignore[call-overload]


@cache
def table(name: str) -> Any:
    return boto3.session.Session().resource("dynamodb", config=_CONFIG).Table(name)


def reset_clients() -> None:
    """Drop cached clients (tests switch endpoints and moto instances)."""
    client.cache_clear()
    table.cache_clear()
