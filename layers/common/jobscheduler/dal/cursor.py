"""Opaque page cursors: base64url of the DynamoDB LastEvaluatedKey, checked on the way in.

No HMAC: every key attribute embeds the tenant, so the check below (the cursor's key
must lie in the partition the caller is allowed to query) already refuses a cursor from
another tenant, another list or a tampered one; a forged key inside the caller's own
partition only moves the caller within data it may read anyway.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from jobscheduler.errors import InvalidCursor


def encode_cursor(scope: str, key: Mapping[str, Any]) -> str:
    raw = json.dumps({"s": scope, "k": dict(key)}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(
    cursor: str,
    scope: str,
    *,
    exact: Mapping[str, str],
    prefixes: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The start key of ``cursor``. Its attributes must be exactly those of ``exact`` and
    ``prefixes``, with the values of ``exact`` and starting with those of ``prefixes``."""
    prefixes = prefixes or {}
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidCursor("the cursor is not one this API issued") from exc
    key = data.get("k") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("s") != scope
        or not isinstance(key, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in key.items())
        or set(key) != set(exact) | set(prefixes)
    ):
        raise InvalidCursor("the cursor is not one this API issued for this list")
    if any(key[name] != want for name, want in exact.items()) or any(
        not key[name].startswith(want) for name, want in prefixes.items()
    ):
        raise InvalidCursor("the cursor belongs to another list or was altered")
    return key
