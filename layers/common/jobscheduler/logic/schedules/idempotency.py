"""The Idempotency-Key of POST /schedules: a replay answers with the schedule the first
request created; a key reused with another body is refused."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from jobscheduler.errors import (
    DependencyUnavailable,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
)
from jobscheduler.models.idempotency import IdempotencyRecord
from jobscheduler.models.schedules import Schedule, ScheduleCreate
from jobscheduler.wiring import schedule_store as store

# The charset of a header token that needs no quoting.
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
IDEMPOTENCY_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class KeyCheck:
    """What the store holds for a request's key, as seen before the create."""

    key: str
    fingerprint: str  # of the request body: the same key must come with the same body
    replayed: Schedule | None  # the schedule an earlier request created with this key
    stale: str | None  # a live record whose schedule is gone: the insert may replace it


def _check_format(key: str) -> None:
    if not _IDEMPOTENCY_KEY.match(key):
        raise InvalidIdempotencyKey(
            "Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 _ . : -",
            details={"idempotency_key": key[:200]},
        )


def _replay(
    tenant: str, record: IdempotencyRecord | None, fingerprint: str, now_epoch: int
) -> Schedule | None:
    """The schedule a live record names (as it is now, DELETED included), or None when
    the key is free: no record, an expired one, or one whose schedule no longer exists."""
    if record is None or record.expires_at < now_epoch:
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request body; "
            "use a new key for a different schedule",
            details={"idempotency_key": record.key},
        )
    return store.get(tenant, record.schedule_id)


def check_key(tenant: str, key: str, body: ScheduleCreate, now_epoch: int) -> KeyCheck:
    _check_format(key)
    fingerprint = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    record = store.get_idempotency(tenant, key)
    replayed = _replay(tenant, record, fingerprint, now_epoch)
    stale = None
    if replayed is None and record is not None and record.expires_at >= now_epoch:
        stale = record.schedule_id
    return KeyCheck(key=key, fingerprint=fingerprint, replayed=replayed, stale=stale)


def claim(check: KeyCheck, schedule_id: str, now: datetime) -> IdempotencyRecord:
    """The record the create's insert writes in its transaction."""
    return IdempotencyRecord(
        key=check.key,
        schedule_id=schedule_id,
        fingerprint=check.fingerprint,
        expires_at=int(now.timestamp()) + IDEMPOTENCY_TTL_SECONDS,
        created_at=now.isoformat(),
    )


def race_winner(tenant: str, check: KeyCheck, now_epoch: int) -> Schedule:
    """A concurrent request with the same key inserted first: its schedule."""
    record = store.get_idempotency(tenant, check.key)
    winner = _replay(tenant, record, check.fingerprint, now_epoch)
    if winner is None:  # the winner's create failed and was undone meanwhile
        raise DependencyUnavailable(
            "a concurrent request with this Idempotency-Key failed; retry",
            details={"retryable": True},
        ) from None
    return winner
