"""Schedule ids (random, URL-safe, short enough for Scheduler names: 64 chars) and
execution ids (they sort by time)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime

SCHEDULE_ID_PATTERN = r"^sch_[0-9a-z]{20}$"
_SCHEDULE_ID_RE = re.compile(SCHEDULE_ID_PATTERN)
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_schedule_id() -> str:
    return "sch_" + "".join(secrets.choice(_ALPHABET) for _ in range(20))


def is_schedule_id(value: str) -> bool:
    return bool(_SCHEDULE_ID_RE.match(value))


def scheduler_entry_name(schedule_id: str, part: int) -> str:
    """Deterministic EventBridge Scheduler name: a retried create meets ConflictException."""
    return f"{schedule_id}-{part}"


def message_id(tenant: str, schedule_id: str, run_key: str) -> str:
    """The id of one message that leaves the system (webhook-id, SQS/SNS deduplication
    id, Step Functions execution name): unique per (tenant, schedule, fire, step) across
    every schedule and tenant, and the same on every retry or redelivery of that message.

    ``run_key`` is the execution id, or ``<execution id>.<step id>`` for a sequence
    step. Hashed so that it has a fixed length and a safe alphabet for every target.
    """
    digest = hashlib.sha256("\x1f".join((tenant, schedule_id, run_key)).encode()).hexdigest()
    return "msg_" + digest[:32]


def id_stamp(moment: datetime) -> str:
    """A moment as execution ids spell it (UTC, to the second; sorts by time)."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def scheduled_execution_id(scheduled_time: datetime) -> str:
    """The id of the run of one fire: the same for every delivery of that fire."""
    return id_stamp(scheduled_time)


def manual_execution_id(requested_at: datetime) -> str:
    """A run-now id: sorts among scheduled runs by time, unique by its random suffix."""
    return f"{id_stamp(requested_at)}-manual-{secrets.token_hex(4)}"


def retry_execution_id(requested_at: datetime) -> str:
    """A replay's id: like a run-now id, with its own word."""
    return f"{id_stamp(requested_at)}-retry-{secrets.token_hex(4)}"
