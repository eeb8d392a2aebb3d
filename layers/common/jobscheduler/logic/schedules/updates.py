"""Update (PATCH): version-checked. A timing change writes the entries to the new timing
first, then the item; a failed item write restores the entries from the item as it is
now stored. Other fields live only in the item (the executor reads the task from
DynamoDB at each fire)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from jobscheduler.errors import (
    SchedulePending,
    ValidationFailed,
    VersionMismatch,
    VersionRequired,
)
from jobscheduler.logic import entries
from jobscheduler.logic.schedules import common
from jobscheduler.logic.task_policy import check_task
from jobscheduler.models.schedules import Schedule, ScheduleStatus, ScheduleUpdate
from jobscheduler.settings import get_settings
from jobscheduler.wiring import schedule_store as store

# Fields whose change needs new Scheduler entries.
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
# Fields whose change needs the expression compiled again.
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


class _Revision(NamedTuple):
    """The item a PATCH writes, the fields it writes, and whether its entries change."""

    updated: Schedule
    fields: list[str]
    timing: bool


def update(
    tenant: str,
    schedule_id: str,
    body: ScheduleUpdate,
    *,
    if_match: str | None,
    now: datetime | None = None,
) -> Schedule:
    now = now or common.now_utc()
    version = _expected_version(body, if_match)
    current = common.load(tenant, schedule_id)
    common.check_version(current, version)
    if current.status == ScheduleStatus.PENDING:
        raise SchedulePending(common.PENDING_MESSAGE)
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    candidate = _patched(current, changes)
    changed = {f for f in changes if getattr(candidate, f) != getattr(current, f)}
    if not changed:
        return current
    if "task" in changed:
        check_task(candidate.task, get_settings())
    revision = _revise(current, candidate, changed, now)
    saved = _write(current, revision, version, now)
    common.publish("schedule.updated", saved, changed=sorted(changed))
    return saved


def _expected_version(body: ScheduleUpdate, if_match: str | None) -> int:
    """The version a PATCH expects: from If-Match or the body (they must agree)."""
    header_version = common.parse_if_match(if_match)
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


def _revise(current: Schedule, candidate: Schedule, changed: set[str], now: datetime) -> _Revision:
    """The patched item with what follows from the changed fields: a new compilation,
    a COMPLETED schedule given new runs, the next run. Raises if it would never run."""
    fields = set(changed) | {"updated_at"}
    values: dict[str, Any] = {"updated_at": now}
    timing = bool(changed & TIMING_FIELDS)
    if changed & _COMPILE_FIELDS:
        common.check_window(candidate.start_at, candidate.end_at)
        values.update(common.compiled_timing(candidate, now))
        fields |= set(values)
    if timing and current.status == ScheduleStatus.COMPLETED:
        # New timing gives a finished schedule new runs.
        values["status"] = ScheduleStatus.ACTIVE
        fields.add("status")
    updated = candidate.model_copy(update=values)
    if timing:
        updated.next_run_at = common.next_run(updated, now)
        fields.add("next_run_at")
        if updated.status == ScheduleStatus.ACTIVE and updated.next_run_at is None:
            raise common.never_runs(updated)
    return _Revision(updated, sorted(fields), timing)


def _write(current: Schedule, revision: _Revision, version: int, now: datetime) -> Schedule:
    """Entries (if the timing changed), then the item, version-checked; a failure of
    either puts the entries back as the stored item needs them."""
    new_names = entries.part_names(revision.updated)  # to sweep if the write does not happen
    try:
        if revision.timing:
            entries.apply(
                entries.entry_specs(revision.updated, now=now),
                stale_names=entries.part_names(current),
            )
        saved = store.update(
            revision.updated, revision.fields, expected_version=version, statuses=(current.status,)
        )
    except Exception:
        if revision.timing:
            entries.restore(current, now=now, extra_names=new_names)
        raise
    if revision.timing:
        # The entries were written before the item: write them again after it.
        entries.converge(saved, now=now, applied=False, extra_names=new_names)
    return saved
