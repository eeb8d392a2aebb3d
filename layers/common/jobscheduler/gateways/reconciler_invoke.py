"""Hands a backfill's fires to the reconciler function (one async invoke), which paces
the executor invocations; the API request never waits for them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from jobscheduler.aws import AWS_ERRORS, client
from jobscheduler.errors import DependencyUnavailable
from jobscheduler.settings import get_settings


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def queue_backfill(tenant: str, schedule_id: str, fires: Sequence[datetime]) -> None:
    payload = {
        "mode": "backfill",
        "tenant": tenant,
        "schedule_id": schedule_id,
        "fires": [_iso(fire) for fire in fires],
    }
    try:
        response = client("lambda").invoke(
            FunctionName=get_settings().reconciler_function_arn,
            InvocationType="Event",
            Payload=json.dumps(payload, separators=(",", ":")).encode(),
        )
    except AWS_ERRORS as exc:
        raise DependencyUnavailable(
            "the backfill could not be queued; nothing was run, retry",
            details={"retryable": True, "dependency": "lambda"},
        ) from exc
    if int(response.get("StatusCode", 0)) != 202:
        raise DependencyUnavailable(
            f"the backfill was refused (status {response.get('StatusCode')}); retry",
            details={"retryable": True, "dependency": "lambda"},
        )
