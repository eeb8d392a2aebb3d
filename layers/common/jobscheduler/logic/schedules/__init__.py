"""Schedule use cases, one module per operation: creation, reads, updates, transitions
(pause, resume), deletion, manual_run; common holds what they share.

DynamoDB is the truth and EventBridge Scheduler the clock; they share no transaction, so
every use case orders its writes so that a failure at any step leaves either nothing or
a state that a compensation (done in the use case) or the next call repairs:

- create: item PENDING (+ quota, one transaction) -> entries -> item ACTIVE.
  A failure deletes the entries created and then the item (and gives the quota back).
- update (timing change): entries to the new timing -> item (version-checked). A failed
  item write restores the entries from the item as it is now stored.
- pause: item PAUSED -> entries DISABLED; resume: item ACTIVE -> entries ENABLED. A
  failed entry write reverts the item (version-checked). Resuming a PENDING schedule
  whose create died half-way finishes it (logic/pending.py).
- delete: item DELETED (+ quota released, one transaction) -> entries deleted. A failed
  entry deletion is harmless (the executor skips DELETED schedules) and a repeated
  DELETE finishes it.

Every item write is conditional on the version it read, and every use case that wrote
ends with ``entries.converge``: concurrent requests on one schedule leave its entries
matching the item's final version (see logic/entries.py). Compensation runs for any
failure after the first write, expected or not.

The names below are the package's interface: import them from here. The clock is
``common.now_utc`` (patch it there to move time for every use case).
"""

from __future__ import annotations

from jobscheduler.logic.schedules.common import (
    check_schedule_id,
    load,
    parse_if_match,
    policy,
    publish,
)
from jobscheduler.logic.schedules.creation import CreateOutcome, create
from jobscheduler.logic.schedules.deletion import delete
from jobscheduler.logic.schedules.idempotency import IDEMPOTENCY_TTL_SECONDS
from jobscheduler.logic.schedules.manual_run import run_now
from jobscheduler.logic.schedules.reads import get, list_schedules
from jobscheduler.logic.schedules.transitions import pause, resume
from jobscheduler.logic.schedules.updates import TIMING_FIELDS, update

__all__ = [
    "IDEMPOTENCY_TTL_SECONDS",
    "TIMING_FIELDS",
    "CreateOutcome",
    "check_schedule_id",
    "create",
    "delete",
    "get",
    "list_schedules",
    "load",
    "parse_if_match",
    "pause",
    "policy",
    "publish",
    "resume",
    "run_now",
    "update",
]
