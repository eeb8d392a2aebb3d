"""Create: item PENDING (+ quota, + Idempotency-Key, one transaction) -> entries -> item
ACTIVE. A failure after the insert deletes the entries created and then the item (and
gives the quota and the key back); see logic/pending.py for an undo that fails too."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from aws_lambda_powertools.metrics import MetricUnit

from jobscheduler.errors import DependencyUnavailable, DomainError, IdempotencyKeyTaken
from jobscheduler.logic import entries, pending
from jobscheduler.logic.schedules import common, idempotency
from jobscheduler.logic.task_policy import check_task
from jobscheduler.models.ids import new_schedule_id
from jobscheduler.models.schedules import Schedule, ScheduleCreate, ScheduleStatus
from jobscheduler.observability import logger, metrics
from jobscheduler.settings import get_settings
from jobscheduler.wiring import schedule_store as store


class CreateOutcome(NamedTuple):
    schedule: Schedule
    replayed: bool  # True: an earlier request with the same Idempotency-Key created it


def create(
    tenant: str,
    body: ScheduleCreate,
    *,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> CreateOutcome:
    now = now or common.now_utc()
    now_epoch = int(now.timestamp())
    key: idempotency.KeyCheck | None = None
    if idempotency_key is not None:
        key = idempotency.check_key(tenant, idempotency_key, body, now_epoch)
        if key.replayed is not None:
            return CreateOutcome(key.replayed, True)
    schedule = _pending_item(tenant, body, now)
    try:
        store.insert(
            schedule,
            max_schedules=get_settings().max_schedules_per_tenant,
            idempotency=idempotency.claim(key, schedule.id, now) if key else None,
            now_epoch=now_epoch,
            replaces=key.stale if key else None,
        )
    except IdempotencyKeyTaken:
        if key is None:  # only a claim can be taken
            raise
        return CreateOutcome(idempotency.race_winner(tenant, key, now_epoch), True)
    created = _activate(schedule, idempotency_key, now)
    logger.append_keys(schedule_id=created.id)
    metrics.add_metric(name="SchedulesCreated", unit=MetricUnit.Count, value=1)
    common.publish("schedule.created", created)
    return CreateOutcome(created, False)


def _pending_item(tenant: str, body: ScheduleCreate, now: datetime) -> Schedule:
    """The validated item as the insert writes it (nothing is written before this)."""
    common.check_window(body.start_at, body.end_at)
    check_task(body.task, get_settings())
    schedule = Schedule(
        id=new_schedule_id(),
        tenant=tenant,
        status=ScheduleStatus.PENDING,
        **common.compiled_timing(body, now),
        # The PENDING item is version 0; becoming ACTIVE makes the created schedule 1.
        version=0,
        created_at=now,
        updated_at=now,
        **body.model_dump(exclude={"timezone"}),
    )
    schedule.next_run_at = common.next_run(schedule, now)
    if schedule.next_run_at is None:
        raise common.never_runs(schedule)
    return schedule


def _activate(schedule: Schedule, idempotency_key: str | None, now: datetime) -> Schedule:
    """Entries, then the item ACTIVE; any failure after the insert, expected or a bug,
    leaves nothing behind."""
    try:
        entries.apply(entries.entry_specs(schedule, now=now))
        active = schedule.model_copy(update={"status": ScheduleStatus.ACTIVE})
        return store.update(
            active, ("status",), expected_version=0, statuses=(ScheduleStatus.PENDING,)
        )
    except Exception as exc:
        _undo_create(schedule, idempotency_key)
        if isinstance(exc, DependencyUnavailable) or not isinstance(exc, DomainError):
            raise
        raise DependencyUnavailable(
            "the schedule could not be created; retry",
            details={"retryable": True},
        ) from exc


def _undo_create(schedule: Schedule, idempotency_key: str | None) -> None:
    try:
        pending.roll_back(schedule, idempotency_key)
    except DomainError:
        logger.exception(
            "create not fully undone; the schedule stays PENDING",
            extra={"schedule_id": schedule.id},
        )
        metrics.add_metric(name="CreateUndoFailed", unit=MetricUnit.Count, value=1)
