"""boto3 clients, created lazily and cached per process (warm Lambdas reuse them).

Only dal/ and gateways/ import this module. boto3 honours AWS_ENDPOINT_URL (and the
per-service AWS_ENDPOINT_URL_<SERVICE>), which is how the local stack points the same
code at moto: there is no local-only branch here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from jobscheduler.errors import DependencyUnavailable

# What any AWS call may raise: a service's answer (ClientError), no answer at all
# (BotoCoreError: timeouts, connection errors) or an answer botocore cannot read
# (ResponseParserError, which is not a BotoCoreError). dal/ and gateways/ catch these and
# raise domain errors; nothing above them sees botocore.
AWS_ERRORS = (ClientError, BotoCoreError, ResponseParserError)

# Fail fast inside a Lambda's time budget; "standard" retry mode backs off on throttling.
_CONFIG = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"mode": "standard", "max_attempts": 3},
)


# One session for every client: its loader caches the service models, so the second
# client of a process costs milliseconds, not a model load. Sessions are not safe to
# create clients from concurrently (the local stack runs handlers in threads): hence the lock.
_LOCK = threading.Lock()


@cache
def _loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


@cache
def _session() -> boto3.session.Session:
    core = botocore.session.get_session()
    # Shared across sessions: the loader caches parsed service models per process.
    core.register_component("data_loader", _loader())
    return boto3.session.Session(botocore_session=core)


@cache
def client(service: str) -> Any:
    with _LOCK:
        return _session().client(service, config=_CONFIG)  # type: ignore[call-overload]


@cache
def table(name: str) -> Any:
    with _LOCK:
        return _session().resource("dynamodb", config=_CONFIG).Table(name)


def reset_clients() -> None:
    """Drop cached clients (tests switch endpoints and moto instances). The session is
    recreated too, since it captured the environment (region, endpoint) it was made in;
    botocore's loader still caches the models per process."""
    client.cache_clear()
    table.cache_clear()
    _session.cache_clear()


def error_code(exc: BaseException) -> str:
    """The service's error code of a failed call ("" when there was no answer): the one
    place that reads botocore's response shape."""
    if not isinstance(exc, ClientError):
        return ""
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: BaseException) -> str:
    """The service's message of a failed call ("" when there was no answer)."""
    if not isinstance(exc, ClientError):
        return ""
    return str(exc.response.get("Error", {}).get("Message", ""))


def cancellation_codes(exc: ClientError) -> list[str]:
    """The per-item codes of a cancelled DynamoDB transaction, in the items' order."""
    reasons = exc.response.get("CancellationReasons") or []
    return [str(reason.get("Code", "")) for reason in reasons]


@contextmanager
def unavailable(
    action: str, dependency: str = "dynamodb", *, label: str | None = None
) -> Iterator[None]:
    """Turn the AWS failures of the calls inside into ``DependencyUnavailable`` (503,
    retryable), for calls whose failures are not part of the caller's contract.
    ``label`` names the service in the message (``dependency`` by default)."""
    try:
        yield
    except AWS_ERRORS as exc:
        raise DependencyUnavailable(
            f"{label or dependency} is unavailable ({action}); retry",
            details={"retryable": True, "dependency": dependency},
        ) from exc
