"""Pause and resume. Pause: item PAUSED -> entries DISABLED; resume: item ACTIVE ->
entries ENABLED. The executor skips a fire of a schedule that is not ACTIVE, so the
in-between states are harmless; a failed entry write reverts the item (version-checked).
Pausing a PAUSED schedule (or resuming an ACTIVE one) re-applies its entries: the repair
of a failed compensation. Resuming a PENDING schedule whose create died half-way
finishes it (logic/pending.py says when, and why the reconciler does otherwise)."""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from jobscheduler.errors import Conflict, DomainError, ScheduleExpired
from jobscheduler.logic import entries, pending
from jobscheduler.logic.schedules import common
from jobscheduler.models.schedules import PauseRequest, Schedule, ScheduleStatus
from jobscheduler.observability import logger, metrics
from jobscheduler.wiring import schedule_store as store

_TRANSITION_FIELDS = ("status", "pause_note", "next_run_at", "updated_at")


def pause(
    tenant: str,
    schedule_id: str,
    body: PauseRequest | None,
    *,
    if_match: str | None = None,
    now: datetime | None = None,
) -> Schedule:
    now = now or common.now_utc()
    current, done = _begin_transition(
        tenant,
        schedule_id,
        if_match,
        (ScheduleStatus.ACTIVE,),
        ScheduleStatus.PAUSED,
        "pause",
        now,
    )
    if done:
        return current
    paused = current.model_copy(
        update={
            "status": ScheduleStatus.PAUSED,
            "pause_note": body.note if body else None,
            "next_run_at": None,
            "updated_at": now,
        }
    )
    saved = _transition(current, paused, now=now)
    common.publish("schedule.paused", saved, note=saved.pause_note)
    return saved


def resume(
    tenant: str,
    schedule_id: str,
    *,
    if_match: str | None = None,
    now: datetime | None = None,
) -> Schedule:
    """Resume a PAUSED schedule, or finish the creation of one left PENDING by a create
    that failed half-way (and could not undo itself)."""
    now = now or common.now_utc()
    current, done = _begin_transition(
        tenant,
        schedule_id,
        if_match,
        (ScheduleStatus.PAUSED, ScheduleStatus.PENDING),
        ScheduleStatus.ACTIVE,
        "resume",
        now,
    )
    if done:
        return current
    if current.status == ScheduleStatus.PENDING and not pending.is_abandoned(current, now):
        raise Conflict(common.PENDING_MESSAGE, code="schedule_pending")
    resumed = current.model_copy(
        update={
            "status": ScheduleStatus.ACTIVE,
            "pause_note": None,
            "updated_at": now,
            "consecutive_failures": 0,  # auto-pause counts afresh
        }
    )
    resumed.next_run_at = common.next_run(resumed, now)
    if resumed.next_run_at is None:
        raise ScheduleExpired(
            "this schedule has no run left (its time or end_at has passed); "
            "PATCH a new schedule or delete it",
        )
    saved = _transition(current, resumed, now=now, extra=("consecutive_failures",))
    if current.status == ScheduleStatus.PENDING:
        metrics.add_metric(name="PendingSchedulesRepaired", unit=MetricUnit.Count, value=1)
        common.publish("schedule.created", saved)
    else:
        common.publish("schedule.resumed", saved)
    return saved


def _begin_transition(
    tenant: str,
    schedule_id: str,
    if_match: str | None,
    sources: tuple[ScheduleStatus, ...],
    target: ScheduleStatus,
    action: str,
    now: datetime,
) -> tuple[Schedule, bool]:
    """Load a schedule about to move from one of ``sources`` to ``target``. Already at
    ``target``: converge its entries and report it done, which makes the call idempotent
    and repairs an earlier call whose compensation failed."""
    current = common.load(tenant, schedule_id)
    common.check_version(current, common.parse_if_match(if_match))
    if current.status == target:
        entries.converge(current, now=now, applied=False)
        return current, True
    if current.status not in sources:
        raise common.invalid_state(current, action)
    return current, False


def _transition(
    current: Schedule, moved: Schedule, *, now: datetime, extra: tuple[str, ...] = ()
) -> Schedule:
    """Write ``moved`` (the item after the transition) if the item is still ``current``,
    then its entries; a failure after the write reverts the item and its entries.
    ``extra``: more fields this transition writes (resume resets the failure streak)."""
    saved = store.update(
        moved,
        _TRANSITION_FIELDS + extra,
        expected_version=current.version,
        statuses=(current.status,),
    )
    try:
        entries.apply(entries.entry_specs(saved, now=now))
        entries.converge(saved, now=now, applied=True)
    except Exception:
        _undo_transition(saved, current, now=now)
        raise
    return saved


def _undo_transition(saved: Schedule, before: Schedule, *, now: datetime) -> None:
    revert = saved.model_copy(
        update={
            "status": before.status,
            "pause_note": before.pause_note,
            "next_run_at": before.next_run_at,
            "updated_at": now,
        }
    )
    try:
        store.update(
            revert,
            _TRANSITION_FIELDS,
            expected_version=saved.version,
            statuses=(saved.status,),
        )
    except DomainError:
        # E.g. a PAUSED item with some entries enabled: the executor skips those fires
        # and the next call on the schedule converges its entries.
        logger.exception("transition not undone", extra={"schedule_id": saved.id})
        metrics.add_metric(name="TransitionUndoFailed", unit=MetricUnit.Count, value=1)
    entries.restore(saved, now=now)
