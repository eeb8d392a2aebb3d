"""A schedule left PENDING: the one clock the API and the reconciler share.

Create writes the item PENDING, then the entries, then the item ACTIVE; a failure in
between undoes both (entries first, item last). Only when that undo fails too (two
AWS failures in a row) or the function dies mid-request does an item stay PENDING.

While ``PENDING_ABANDONED_AFTER`` has not passed since ``created_at``, the create that
wrote it may still be running, and nobody touches the item: ``POST .../resume`` answers
``schedule_pending`` and the reconciler looks again at ``abandoned_at``. From then on
the create is over (the API function times out after 30 s) and each actor applies its
own outcome, on purpose:

- ``POST .../resume`` finishes the creation. A tenant who resumes that id asks for that
  schedule, having seen it in the list next to any retry it made.
- the reconciler rolls it back (``roll_back``). Nobody asked it to: the create's caller
  was told the request failed and may already have created the schedule again, so
  finishing it would run the task twice per fire; the safe outcome is the one the
  caller was told.

Both writes are conditional on the item still being PENDING, so whichever comes first
wins and the other finds an ACTIVE schedule (which the reconciler only checks) or none
(which resume answers with 404): the item never flips back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from jobscheduler.logic import entries
from jobscheduler.models.schedules import Schedule, ScheduleStatus
from jobscheduler.wiring import schedule_store as store

# The API function's timeout (30 s) plus a margin for clocks: no create request can
# still be working on a PENDING item this old.
PENDING_ABANDONED_AFTER = timedelta(seconds=60)


def abandoned_at(schedule: Schedule) -> datetime:
    """When the create that wrote this PENDING item is certainly over."""
    return schedule.created_at + PENDING_ABANDONED_AFTER


def is_abandoned(schedule: Schedule, now: datetime) -> bool:
    """A PENDING item whose create is over: it will not become ACTIVE or go away alone."""
    return schedule.status == ScheduleStatus.PENDING and now >= abandoned_at(schedule)


def roll_back(schedule: Schedule, idempotency_key: str | None = None) -> None:
    """Undo a create. Entries first, item last: if an entry cannot be deleted the
    PENDING item stays (visible, deletable), so no entry ever fires for a schedule the
    API does not show. The item's removal gives the quota unit back and, with
    ``idempotency_key``, frees the key in the same transaction. Raises DomainError."""
    entries.delete_all(schedule)
    store.remove_pending(schedule.tenant, schedule.id, idempotency_key)
