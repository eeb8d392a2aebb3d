"""Schedule ids: random, URL-safe, and short enough for Scheduler names (64 chars)."""

from __future__ import annotations

import re
import secrets

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
