"""Full items for the keys a narrow index returned, in the index's order.

The list indexes (GSI1, GSI2) project only the attributes their filters need, so a run
that updates a schedule or records an execution writes nothing else into them (see
docs/design.md, 2026-11-30). A page is then a Query of the index for the keys and one
BatchGetItem (at most 100 keys, which is also the largest page the API serves) for the
items themselves, eventually consistent like the index they came from.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from jobscheduler.aws import table
from jobscheduler.dal import keys
from jobscheduler.dal.failures import unavailable
from jobscheduler.errors import DependencyUnavailable
from jobscheduler.settings import get_settings

# BatchGetItem's own limit per call.
MAX_KEYS_PER_CALL = 100
# DynamoDB may leave keys unprocessed under throttling: ask again, briefly backing off.
MAX_ROUNDS = 5
_BACKOFF_SECONDS = 0.05


def _key_of(item: dict[str, Any]) -> tuple[str, str]:
    return str(item[keys.PK]), str(item[keys.SK])


def _fetch(client: Any, name: str, wanted: list[dict[str, Any]], action: str) -> list[Any]:
    """One batch of at most MAX_KEYS_PER_CALL keys, unprocessed keys asked again."""
    found: list[Any] = []
    request: dict[str, Any] = {name: {"Keys": wanted}}
    for round_ in range(MAX_ROUNDS):
        with unavailable(action):
            response = client.batch_get_item(RequestItems=request)
        found.extend(response.get("Responses", {}).get(name, []))
        request = response.get("UnprocessedKeys") or {}
        if not request.get(name, {}).get("Keys"):
            return found
        time.sleep(_BACKOFF_SECONDS * 2**round_)
    raise DependencyUnavailable(
        f"dynamodb is unavailable ({action}: keys left unprocessed); retry",
        details={"retryable": True, "dependency": "dynamodb"},
    )


def items_in_order(found_keys: Sequence[dict[str, Any]], *, action: str) -> list[dict[str, Any]]:
    """The table's items for ``found_keys`` (each with PK and SK, as an index returned
    them), in the same order; a key whose item is gone meanwhile is left out."""
    wanted: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for found in found_keys:
        key = _key_of(found)
        if key not in seen:
            seen.add(key)
            wanted.append({keys.PK: key[0], keys.SK: key[1]})
    if not wanted:
        return []
    name = get_settings().table_name
    client = table(name).meta.client
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(wanted), MAX_KEYS_PER_CALL):
        batch = wanted[start : start + MAX_KEYS_PER_CALL]
        for item in _fetch(client, name, batch, action):
            by_key[_key_of(item)] = dict(item)
    return [by_key[_key_of(k)] for k in wanted if _key_of(k) in by_key]
