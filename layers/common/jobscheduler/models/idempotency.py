"""The record of one client Idempotency-Key of POST /schedules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IdempotencyRecord:
    """Item TENANT#{t} / IDEMPOTENCY#{key}: the schedule one Idempotency-Key created."""

    key: str
    schedule_id: str
    fingerprint: str
    expires_at: int  # epoch seconds, the table's TTL attribute
    created_at: str
