"""Schedule use cases: create, read, list, update, pause, resume, run now, delete.

DynamoDB is the truth and EventBridge Scheduler the clock; they share no transaction, so
every use case orders its writes so that a failure at any step leaves either nothing or
a state that a compensation (done here) or the next call repairs:

- create: item PENDING (+ quota, one transaction) -> entries -> item ACTIVE.
  A failure deletes the entries created and then the item (and gives the quota back).
- update (timing change): entries to the new timing -> item (version-checked). A failed
  item write restores the entries from the item as it is now stored.
- pause: item PAUSED -> entries DISABLED; resume: item ACTIVE -> entries ENABLED. The
  executor skips a fire of a schedule that is not ACTIVE, so the in-between states are
  harmless; a failed entry write reverts the item (version-checked). Pausing a PAUSED
  schedule (or resuming an ACTIVE one) re-applies its entries: the repair of a failed
  compensation. Resuming a PENDING schedule whose create died half-way finishes it.
- delete: item DELETED (+ quota released, one transaction) -> entries deleted. A failed
  entry deletion is harmless (the executor skips DELETED schedules) and a repeated
  DELETE finishes it.

Every item write is conditional on the version it read, and every use case that wrote
ends with ``entries.converge``: concurrent requests on one schedule leave its entries
matching the item's final version (see logic/entries.py). Compensation runs for any
failure after the first write, expected or not.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from aws_lambda_powertools.metrics import MetricUnit

from jobscheduler.errors import (
    Conflict,
    DependencyUnavailable,
    DomainError,
    IdempotencyKeyReused,
    IdempotencyKeyTaken,
    InvalidExclusion,
    InvalidExpression,
    InvalidIdempotencyKey,
    InvalidIfMatch,
    InvalidState,
    NotFound,
    ScheduleExpired,
    SchedulePending,
    ValidationFailed,
    VersionConflict,
    VersionMismatch,
    VersionRequired,
)
from jobscheduler.expressions import SchedulePolicy, compile_schedule
from jobscheduler.logic import entries
from jobscheduler.logic.calendars import effective_exclusions
from jobscheduler.logic.task_policy import check_task
from jobscheduler.logic.timing import next_fire
from jobscheduler.models.api import RunResponse, ScheduleListQuery
from jobscheduler.models.events import EventType, LifecycleEvent
from jobscheduler.models.executions import ExecutorPayload
from jobscheduler.models.idempotency import IdempotencyRecord
from jobscheduler.models.ids import is_schedule_id, manual_execution_id, new_schedule_id
from jobscheduler.models.pagination import Page
from jobscheduler.models.schedules import (
    PauseRequest,
    Schedule,
    ScheduleCreate,
    ScheduleStatus,
    ScheduleUpdate,
)
from jobscheduler.observability import logger, metrics
from jobscheduler.settings import get_settings

# The ports, under the names the use cases call them by (jobscheduler.wiring).
from jobscheduler.wiring import event_publisher as publisher
from jobscheduler.wiring import executor_invoker as executor_invoke
from jobscheduler.wiring import schedule_store as store

# Fields whose change needs new Scheduler entries (the rest live only in the item: the
# executor reads the task from DynamoDB at each fire).
TIMING_FIELDS = frozenset(
    {
        "schedule",
        "timezone",
        "start_at",
        "end_at",
        "flexible_window_minutes",
        "retry",
        "exclude",
        "holiday_country",
    }
)
_COMPILE_FIELDS = frozenset(
    {"schedule", "timezone", "start_at", "end_at", "exclude", "holiday_country"}
)
# PATCH may clear these with null; the others always have a value.
_NULLABLE_FIELDS = frozenset(
    {
        "description",
        "start_at",
        "end_at",
        "max_runs",
        "holiday_country",
        "missed_run_grace_seconds",
        "pause_after_failures",
    }
)
# If-Match: 3, "3" or W/"3".
_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,12})"?\s*$')
_PENDING_MESSAGE = (
    "the schedule is still being created; retry in a moment (if it stays PENDING its "
    "creation failed half-way: POST .../resume finishes it, DELETE removes it)"
)
# A PENDING schedule younger than this may still be in its create request (the API
# function's timeout is 30 s): resume refuses to finish it in the meantime.
PENDING_REPAIR_AFTER = timedelta(seconds=60)
# Deleting a schedule retries its version-checked write this often when the executor
# moves the version (a run completing the schedule) in between.
_DELETE_ATTEMPTS = 3


def now_utc() -> datetime:
    return datetime.now(UTC)


def policy() -> SchedulePolicy:
    settings = get_settings()
    return SchedulePolicy(
        min_interval_seconds=settings.min_interval_seconds,
        max_one_off_days=settings.max_one_off_days,
    )


def _not_found(schedule_id: str) -> NotFound:
    return NotFound(f"schedule {schedule_id} not found", details={"schedule_id": schedule_id})


def check_schedule_id(schedule_id: str) -> None:
    """An id that cannot exist is simply not found (404), like another tenant's id."""
    if not is_schedule_id(schedule_id):
        raise _not_found(schedule_id)


def load(tenant: str, schedule_id: str, *, allow_deleted: bool = False) -> Schedule:
    check_schedule_id(schedule_id)
    schedule = store.get(tenant, schedule_id)
    if schedule is None or (schedule.status == ScheduleStatus.DELETED and not allow_deleted):
        raise _not_found(schedule_id)
    return schedule


def parse_if_match(if_match: str | None) -> int | None:
    if if_match is None or not if_match.strip():
        return None
    match = _IF_MATCH.match(if_match)
    if match is None:
        raise InvalidIfMatch(
            'If-Match must carry the schedule version, e.g. If-Match: "3"',
            details={"if_match": if_match},
        )
    return int(match.group(1))


def _check_version(schedule: Schedule, expected: int | None) -> None:
    if expected is not None and expected != schedule.version:
        raise VersionConflict(
            f"schedule {schedule.id} is at version {schedule.version}, not {expected}; "
            "read it again and retry",
            details={"current_version": schedule.version},
        )


def _next_run(schedule: Schedule, now: datetime) -> datetime | None:
    if schedule.status not in (ScheduleStatus.ACTIVE, ScheduleStatus.PENDING):
        return None
    return next_fire(schedule, after=now)


def _check_window(start_at: datetime | None, end_at: datetime | None) -> None:
    if start_at is not None and end_at is not None and end_at <= start_at:
        raise ValidationFailed(
            "end_at must be after start_at",
            details={"start_at": start_at.isoformat(), "end_at": end_at.isoformat()},
        )


def _never_runs(schedule: Schedule) -> InvalidExpression:
    if schedule.exclusions and schedule.status != ScheduleStatus.PAUSED:
        return InvalidExclusion(
            f"the exclusions leave schedule {schedule.schedule!r} no run in the next years",
            suggestion=None,
        )
    return InvalidExpression(
        f"schedule {schedule.schedule!r} has no run after now"
        + (" before end_at" if schedule.end_at else ""),
        suggestion="pick a time in the future or a later end_at",
    )


def publish(event_type: EventType, schedule: Schedule, **data: Any) -> None:
    """Best effort: the write it reports has happened; a failed publish is logged and
    counted, never turned into a failed request (subscribers can re-read the API)."""
    event = LifecycleEvent(
        event_type=event_type,
        tenant=schedule.tenant,
        schedule_id=schedule.id,
        status=schedule.status.value,
        task_type=schedule.task_type,
        # The task stays out: its headers/body may hold credentials, and subscribers
        # of a shared topic should not receive them.
        data={"schedule": schedule.model_dump(mode="json", exclude={"task"}), **data},
    )
    try:
        publisher.publish(event)
    except DependencyUnavailable:
        logger.exception("lifecycle event not published", extra={"event_type": event_type})
        metrics.add_metric(name="LifecycleEventPublishFailed", unit=MetricUnit.Count, value=1)


# --- create ---------------------------------------------------------------------------


# Idempotency-Key of POST /schedules: the charset of a header token that needs no quoting.
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
IDEMPOTENCY_TTL_SECONDS = 24 * 3600


class CreateOutcome(NamedTuple):
    schedule: Schedule
    replayed: bool  # True: an earlier request with the same Idempotency-Key created it


def _check_idempotency_key(key: str) -> None:
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


def create(
    tenant: str,
    body: ScheduleCreate,
    *,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> CreateOutcome:
    now = now or now_utc()
    now_epoch = int(now.timestamp())
    claim: IdempotencyRecord | None = None
    stale: str | None = None
    fingerprint = ""
    if idempotency_key is not None:
        _check_idempotency_key(idempotency_key)
        fingerprint = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
        record = store.get_idempotency(tenant, idempotency_key)
        replayed = _replay(tenant, record, fingerprint, now_epoch)
        if replayed is not None:
            return CreateOutcome(replayed, True)
        if record is not None and record.expires_at >= now_epoch:
            stale = record.schedule_id  # live record, schedule gone: may be overwritten
    _check_window(body.start_at, body.end_at)
    check_task(body.task, get_settings())
    compiled = compile_schedule(
        body.schedule,
        body.timezone,
        now=now,
        start_at=body.start_at,
        end_at=body.end_at,
        policy=policy(),
        holiday_country=body.holiday_country,
    )
    exclusions = effective_exclusions(body.exclude, compiled.exclude)
    schedule = Schedule(
        id=new_schedule_id(),
        tenant=tenant,
        status=ScheduleStatus.PENDING,
        kind=compiled.kind,
        expressions=list(compiled.expressions),
        timezone=compiled.timezone,
        schedule_description=compiled.description,
        exclusions=exclusions,
        # The PENDING item is version 0; becoming ACTIVE makes the created schedule 1.
        version=0,
        created_at=now,
        updated_at=now,
        **body.model_dump(exclude={"timezone"}),
    )
    schedule.next_run_at = _next_run(schedule, now)
    if schedule.next_run_at is None:
        raise _never_runs(schedule)

    if idempotency_key is not None:
        claim = IdempotencyRecord(
            key=idempotency_key,
            schedule_id=schedule.id,
            fingerprint=fingerprint,
            expires_at=now_epoch + IDEMPOTENCY_TTL_SECONDS,
            created_at=now.isoformat(),
        )
    try:
        store.insert(
            schedule,
            max_schedules=get_settings().max_schedules_per_tenant,
            idempotency=claim,
            now_epoch=now_epoch,
            replaces=stale,
        )
    except IdempotencyKeyTaken:
        if claim is None:  # only a claim can be taken
            raise
        # A concurrent request with the same key won the race: answer with its schedule.
        record = store.get_idempotency(tenant, claim.key)
        winner = _replay(tenant, record, fingerprint, now_epoch)
        if winner is None:  # the winner's create failed and was undone meanwhile
            raise DependencyUnavailable(
                "a concurrent request with this Idempotency-Key failed; retry",
                details={"retryable": True},
            ) from None
        return CreateOutcome(winner, True)
    try:
        entries.apply(entries.entry_specs(schedule, now=now))
        active = schedule.model_copy(update={"status": ScheduleStatus.ACTIVE})
        created = store.update(
            active, ("status",), expected_version=0, statuses=(ScheduleStatus.PENDING,)
        )
    except Exception as exc:
        # Any failure after the item exists, expected or a bug, leaves nothing behind.
        _undo_create(schedule, idempotency_key)
        if isinstance(exc, DependencyUnavailable) or not isinstance(exc, DomainError):
            raise
        raise DependencyUnavailable(
            "the schedule could not be created; retry",
            details={"retryable": True},
        ) from exc
    logger.append_keys(schedule_id=created.id)
    metrics.add_metric(name="SchedulesCreated", unit=MetricUnit.Count, value=1)
    publish("schedule.created", created)
    return CreateOutcome(created, False)


def _undo_create(schedule: Schedule, idempotency_key: str | None = None) -> None:
    """Entries first, item last: if an entry cannot be deleted the PENDING item stays
    (visible, deletable), so no entry ever fires for a schedule the API does not show.
    The item's removal frees the Idempotency-Key in the same transaction."""
    try:
        entries.delete_all(schedule)
        store.remove_pending(schedule.tenant, schedule.id, idempotency_key)
    except DomainError:
        logger.exception(
            "create not fully undone; the schedule stays PENDING",
            extra={"schedule_id": schedule.id},
        )
        metrics.add_metric(name="CreateUndoFailed", unit=MetricUnit.Count, value=1)


# --- read -----------------------------------------------------------------------------


def get(tenant: str, schedule_id: str) -> Schedule:
    return load(tenant, schedule_id)


def list_schedules(tenant: str, query: ScheduleListQuery) -> Page[Schedule]:
    tag = None
    if query.tag is not None:
        key, _, value = query.tag.partition(":")
        tag = (key, value)
    deleted = query.status == ScheduleStatus.DELETED
    return store.list_page(
        tenant,
        deleted=deleted,
        limit=query.limit,
        cursor=query.cursor,
        name_prefix=query.name_prefix,
        status=None if deleted else query.status,
        task_type=query.task_type,
        tag=tag,
    )


# --- update ---------------------------------------------------------------------------


def _update_version(body: ScheduleUpdate, if_match: str | None) -> int:
    """The version a PATCH expects: from If-Match or the body (they must agree)."""
    header_version = parse_if_match(if_match)
    if header_version is not None and body.version is not None and header_version != body.version:
        raise VersionMismatch(
            "If-Match and the body's version disagree",
            details={"if_match": header_version, "version": body.version},
        )
    version = header_version if header_version is not None else body.version
    if version is None:
        raise VersionRequired(
            'send the current version (If-Match: "<version>" or "version" in the body)'
        )
    return version


def _patched(current: Schedule, changes: dict[str, Any]) -> Schedule:
    """``current`` with the PATCH's fields applied (null only where a field may be cleared)."""
    nulls = sorted(f for f, v in changes.items() if v is None and f not in _NULLABLE_FIELDS)
    if nulls:
        raise ValidationFailed(
            f"these fields cannot be null: {', '.join(nulls)}",
            details=[{"loc": ["body", f], "msg": "may not be null"} for f in nulls],
        )
    data = current.model_dump()
    data.update(changes)
    data["tenant"] = current.tenant
    try:
        return Schedule.model_validate(data)
    except ValueError as exc:  # pragma: no cover - body already validated field by field
        raise ValidationFailed(str(exc)) from exc


def update(
    tenant: str,
    schedule_id: str,
    body: ScheduleUpdate,
    *,
    if_match: str | None,
    now: datetime | None = None,
) -> Schedule:
    now = now or now_utc()
    version = _update_version(body, if_match)
    current = load(tenant, schedule_id)
    _check_version(current, version)
    if current.status == ScheduleStatus.PENDING:
        raise SchedulePending(_PENDING_MESSAGE)

    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    candidate = _patched(current, changes)
    changed = {f for f in changes if getattr(candidate, f) != getattr(current, f)}
    if not changed:
        return current
    if "task" in changed:
        check_task(candidate.task, get_settings())
    fields = set(changed) | {"updated_at"}
    update_values: dict[str, Any] = {"updated_at": now}
    timing = bool(changed & TIMING_FIELDS)
    if changed & _COMPILE_FIELDS:
        _check_window(candidate.start_at, candidate.end_at)
        compiled = compile_schedule(
            candidate.schedule,
            candidate.timezone,
            now=now,
            start_at=candidate.start_at,
            end_at=candidate.end_at,
            policy=policy(),
            holiday_country=candidate.holiday_country,
        )
        update_values.update(
            kind=compiled.kind,
            expressions=list(compiled.expressions),
            timezone=compiled.timezone,
            schedule_description=compiled.description,
            exclusions=effective_exclusions(candidate.exclude, compiled.exclude),
        )
        fields |= {"kind", "expressions", "timezone", "schedule_description", "exclusions"}
    if timing and current.status == ScheduleStatus.COMPLETED:
        # New timing gives a finished schedule new runs.
        update_values["status"] = ScheduleStatus.ACTIVE
        fields.add("status")
    updated = candidate.model_copy(update=update_values)
    if timing:
        updated.next_run_at = _next_run(updated, now)
        fields.add("next_run_at")
        if updated.status == ScheduleStatus.ACTIVE and updated.next_run_at is None:
            raise _never_runs(updated)
    new_names = entries.part_names(updated)  # to sweep if the write does not happen
    try:
        if timing:
            entries.apply(
                entries.entry_specs(updated, now=now), stale_names=entries.part_names(current)
            )
        saved = store.update(
            updated, sorted(fields), expected_version=version, statuses=(current.status,)
        )
    except Exception:
        if timing:
            entries.restore(current, now=now, extra_names=new_names)
        raise
    if timing:
        # The entries were written before the item: write them again after it.
        entries.converge(saved, now=now, applied=False, extra_names=new_names)
    publish("schedule.updated", saved, changed=sorted(changed))
    return saved


# --- pause / resume -------------------------------------------------------------------


_TRANSITION_FIELDS = ("status", "pause_note", "next_run_at", "updated_at")


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
    current = load(tenant, schedule_id)
    _check_version(current, parse_if_match(if_match))
    if current.status == target:
        entries.converge(current, now=now, applied=False)
        return current, True
    if current.status not in sources:
        raise _invalid_state(current, action)
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


def pause(
    tenant: str,
    schedule_id: str,
    body: PauseRequest | None,
    *,
    if_match: str | None = None,
    now: datetime | None = None,
) -> Schedule:
    now = now or now_utc()
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
    publish("schedule.paused", saved, note=saved.pause_note)
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
    now = now or now_utc()
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
    if current.status == ScheduleStatus.PENDING and now - current.created_at < PENDING_REPAIR_AFTER:
        raise Conflict(_PENDING_MESSAGE, code="schedule_pending")
    resumed = current.model_copy(
        update={
            "status": ScheduleStatus.ACTIVE,
            "pause_note": None,
            "updated_at": now,
            "consecutive_failures": 0,  # auto-pause counts afresh
        }
    )
    resumed.next_run_at = _next_run(resumed, now)
    if resumed.next_run_at is None:
        raise ScheduleExpired(
            "this schedule has no run left (its time or end_at has passed); "
            "PATCH a new schedule or delete it",
        )
    saved = _transition(current, resumed, now=now, extra=("consecutive_failures",))
    if current.status == ScheduleStatus.PENDING:
        metrics.add_metric(name="PendingSchedulesRepaired", unit=MetricUnit.Count, value=1)
        publish("schedule.created", saved)
    else:
        publish("schedule.resumed", saved)
    return saved


def _invalid_state(schedule: Schedule, action: str) -> Conflict:
    return InvalidState(
        f"cannot {action} a {schedule.status.value} schedule",
        details={"status": schedule.status.value},
    )


# --- delete ---------------------------------------------------------------------------


def delete(
    tenant: str,
    schedule_id: str,
    *,
    if_match: str | None = None,
    now: datetime | None = None,
) -> None:
    """Idempotent: deleting a DELETED schedule sweeps any entry a failed delete left."""
    now = now or now_utc()
    expected = parse_if_match(if_match)
    current = load(tenant, schedule_id, allow_deleted=True)
    deleted_now = None
    for attempt in range(_DELETE_ATTEMPTS):
        if current.status == ScheduleStatus.DELETED:
            break
        _check_version(current, expected)
        tombstone = current.model_copy(
            update={"status": ScheduleStatus.DELETED, "next_run_at": None, "updated_at": now}
        )
        try:
            store.mark_deleted(tombstone, expected_version=current.version)
        except VersionConflict:
            # The executor moved the version (a run finished); without If-Match, retry.
            if expected is not None or attempt == _DELETE_ATTEMPTS - 1:
                raise
            current = load(tenant, schedule_id, allow_deleted=True)
            continue
        deleted_now = tombstone.model_copy(update={"version": current.version + 1})
        break
    if deleted_now is not None:
        metrics.add_metric(name="SchedulesDeleted", unit=MetricUnit.Count, value=1)
        publish("schedule.deleted", deleted_now)
    # After the item: a leftover entry only fires into a skip; DELETE again removes it.
    entries.delete_all(current)
    entries.converge(deleted_now or current, now=now, applied=True)


# --- run now --------------------------------------------------------------------------


def run_now(tenant: str, schedule_id: str, *, now: datetime | None = None) -> RunResponse:
    """Queue a manual run (also of a PAUSED or COMPLETED schedule: a manual run is an
    explicit request); it lands in the same history and does not move next_run_at."""
    now = now or now_utc()
    current = load(tenant, schedule_id)
    if current.status == ScheduleStatus.PENDING:
        raise SchedulePending(_PENDING_MESSAGE)
    execution_id = manual_execution_id(now)
    executor_invoke.invoke_async(
        ExecutorPayload(
            tenant=tenant,
            schedule_id=schedule_id,
            trigger="manual",
            scheduled_time=now,
            execution_id=execution_id,
        )
    )
    metrics.add_metric(name="ManualRunsRequested", unit=MetricUnit.Count, value=1)
    return RunResponse(execution_id=execution_id, schedule_id=schedule_id)
