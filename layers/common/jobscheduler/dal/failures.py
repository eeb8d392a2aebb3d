"""AWS failures -> ``DependencyUnavailable`` (503, retryable), so callers above the
ports can compensate and answer without importing botocore."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from jobscheduler.errors import DependencyUnavailable


@contextmanager
def unavailable(action: str, dependency: str = "dynamodb") -> Iterator[None]:
    """Wrap calls whose AWS errors are not part of the caller's contract."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise DependencyUnavailable(
            f"{dependency} is unavailable ({action}); retry",
            details={"retryable": True, "dependency": dependency},
        ) from exc
