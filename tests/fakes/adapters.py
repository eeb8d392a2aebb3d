"""In-memory adapters of jobscheduler.ports, for running the use cases (the API's and
the executor's) without moto.

Each keeps the contract its real adapter documents (tests/contract runs the same checks
against both), and each can be told to fail a call: ``fake.faults.fail("update", on=(2,))``
makes the second ``update`` raise DependencyUnavailable, as an AWS failure would after
the adapter translated it. Values are copied in and out, as a round trip through a
service would.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from jobscheduler import wiring
from jobscheduler.errors import (
    Conflict,
    DependencyUnavailable,
    IdempotencyKeyTaken,
    InvalidCursor,
    InvalidState,
    NotFound,
    QuotaExceeded,
    VersionConflict,
)
from jobscheduler.models.entries import EntrySpec
from jobscheduler.models.events import LifecycleEvent
from jobscheduler.models.executions import Execution, ExecutionStatus, ExecutorPayload
from jobscheduler.models.idempotency import IdempotencyRecord
from jobscheduler.models.ids import id_stamp
from jobscheduler.models.pagination import Page
from jobscheduler.models.runs import (
    Claim,
    ClaimResult,
    LockKind,
    ScheduleChanges,
    ScheduleSnapshot,
    epoch_ms,
    judge_hold,
    judge_refused_hold,
)
from jobscheduler.models.schedules import Schedule, ScheduleStatus


@dataclass
class Faults:
    """Which calls fail: method name -> the call numbers (1-based) that raise."""

    dependency: str
    plan: dict[str, set[int]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    raised: Counter[str] = field(default_factory=Counter)

    def fail(self, method: str, *, on: Iterable[int] = (1,)) -> None:
        self.plan.setdefault(method, set()).update(on)

    def fail_always(self, method: str) -> None:
        self.fail(method, on=range(1, 10_000))

    def check(self, method: str) -> None:
        self.calls[method] += 1
        if self.calls[method] in self.plan.get(method, ()):
            self.raised[method] += 1
            raise DependencyUnavailable(
                f"{self.dependency} is unavailable ({method}, injected); retry",
                details={"retryable": True, "dependency": self.dependency},
            )


def _not_found(schedule_id: str) -> NotFound:
    return NotFound(f"schedule {schedule_id} not found")


class FakeScheduleStore:
    """ScheduleStore: items, per-tenant quota counters and Idempotency-Key records."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Schedule] = {}
        self.quota: Counter[str] = Counter()
        self.keys: dict[tuple[str, str], IdempotencyRecord] = {}
        self.faults = Faults("dynamodb")

    def get(self, tenant: str, schedule_id: str) -> Schedule | None:
        self.faults.check("get")
        item = self.items.get((tenant, schedule_id))
        return item.model_copy(deep=True) if item else None

    def get_idempotency(self, tenant: str, key: str) -> IdempotencyRecord | None:
        self.faults.check("get_idempotency")
        return self.keys.get((tenant, key))

    def insert(
        self,
        schedule: Schedule,
        *,
        max_schedules: int,
        idempotency: IdempotencyRecord | None = None,
        now_epoch: int = 0,
        replaces: str | None = None,
    ) -> None:
        self.faults.check("insert")
        tenant = schedule.tenant
        if idempotency is not None:
            held = self.keys.get((tenant, idempotency.key))
            free = (
                held is None
                or held.expires_at < now_epoch
                or (replaces is not None and held.schedule_id == replaces)
            )
            if not free:
                raise IdempotencyKeyTaken(
                    "another request with this Idempotency-Key is being processed"
                )
        if self.quota[tenant] >= max_schedules:
            raise QuotaExceeded(
                f"this tenant already has the maximum of {max_schedules} schedules; "
                "delete some before creating more",
                details={"max_schedules": max_schedules},
            )
        if (tenant, schedule.id) in self.items:
            raise Conflict("a schedule with this id already exists")
        self.items[(tenant, schedule.id)] = schedule.model_copy(deep=True)
        self.quota[tenant] += 1
        if idempotency is not None:
            self.keys[(tenant, idempotency.key)] = idempotency

    def remove_pending(
        self, tenant: str, schedule_id: str, idempotency_key: str | None = None
    ) -> None:
        self.faults.check("remove_pending")
        item = self.items.get((tenant, schedule_id))
        record = self.keys.get((tenant, idempotency_key)) if idempotency_key else None
        # One transaction: any unmet condition leaves everything as it was.
        if item is None or item.status != ScheduleStatus.PENDING:
            return
        if record is not None and record.schedule_id != schedule_id:
            return
        del self.items[(tenant, schedule_id)]
        self.quota[tenant] -= 1
        if record is not None and idempotency_key is not None:
            del self.keys[(tenant, idempotency_key)]

    def _refusal(self, tenant: str, schedule_id: str, expected_version: int) -> Exception:
        current = self.items.get((tenant, schedule_id))
        if current is None or current.status == ScheduleStatus.DELETED:
            return _not_found(schedule_id)
        if current.version != expected_version:
            return VersionConflict(
                f"schedule {schedule_id} is at version {current.version}, not "
                f"{expected_version}; read it again and retry",
                details={"current_version": current.version},
            )
        return InvalidState(
            f"schedule {schedule_id} is {current.status.value}; this change is not allowed now",
            details={"status": current.status.value},
        )

    def _write(self, schedule: Schedule, fields: Iterable[str], expected_version: int) -> Schedule:
        key = (schedule.tenant, schedule.id)
        changes = {name: getattr(schedule, name) for name in fields if name != "version"}
        stored = self.items[key].model_copy(
            update={**changes, "version": expected_version + 1}, deep=True
        )
        self.items[key] = stored
        return stored.model_copy(deep=True)

    def update(
        self,
        schedule: Schedule,
        fields: Iterable[str],
        *,
        expected_version: int,
        statuses: Collection[ScheduleStatus] | None = None,
    ) -> Schedule:
        self.faults.check("update")
        current = self.items.get((schedule.tenant, schedule.id))
        if (
            current is None
            or current.version != expected_version
            or (statuses and current.status not in statuses)
        ):
            raise self._refusal(schedule.tenant, schedule.id, expected_version)
        return self._write(schedule, fields, expected_version)

    def mark_deleted(self, schedule: Schedule, *, expected_version: int) -> None:
        self.faults.check("mark_deleted")
        current = self.items.get((schedule.tenant, schedule.id))
        if (
            current is None
            or current.version != expected_version
            or current.status == ScheduleStatus.DELETED
        ):
            raise self._refusal(schedule.tenant, schedule.id, expected_version)
        self._write(schedule, ("status", "next_run_at", "updated_at"), expected_version)
        self.quota[schedule.tenant] -= 1

    def quota_used(self, tenant: str) -> int:
        self.faults.check("quota_used")
        return self.quota[tenant]

    def list_page(
        self,
        tenant: str,
        *,
        deleted: bool,
        limit: int,
        cursor: str | None = None,
        name_prefix: str | None = None,
        status: ScheduleStatus | None = None,
        task_type: str | None = None,
        tag: tuple[str, str] | None = None,
    ) -> Page[Schedule]:
        self.faults.check("list_page")
        scope = ["schedules", tenant, deleted, name_prefix or ""]
        after = _decode(cursor, scope) if cursor else None
        matching = sorted(
            (
                s
                for (owner, _), s in self.items.items()
                if owner == tenant
                and (s.status == ScheduleStatus.DELETED) == deleted
                and s.name.startswith(name_prefix or "")
                and (status is None or s.status == status)
                and (task_type is None or s.task.type == task_type)
                and (tag is None or s.tags.get(tag[0]) == tag[1])
            ),
            key=lambda s: (s.name, s.id),
        )
        if after is not None:
            matching = [s for s in matching if [s.name, s.id] > after]
        page = matching[:limit]
        more = len(matching) > limit
        return Page[Schedule](
            items=[s.model_copy(deep=True) for s in page],
            next_cursor=_encode(scope, [page[-1].name, page[-1].id]) if more else None,
        )


def _encode(scope: list[object], position: list[str]) -> str:
    raw = json.dumps({"s": scope, "k": position}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, scope: list[object]) -> list[str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidCursor("the cursor is not one this API issued") from exc
    if not isinstance(data, dict) or data.get("s") != scope or not isinstance(data.get("k"), list):
        raise InvalidCursor("the cursor is not one this API issued for this list")
    return [str(part) for part in data["k"]]


class FakeExecutionHistory:
    """ExecutionHistory over records kept per (tenant, schedule)."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], dict[str, Execution]] = {}
        self.faults = Faults("dynamodb")

    def put(self, tenant: str, execution: Execution) -> None:
        """Seed a record (what the executor writes)."""
        partition = self.records.setdefault((tenant, execution.schedule_id), {})
        partition[execution.id] = execution.model_copy(deep=True)

    def list_page(
        self,
        tenant: str,
        schedule_id: str | None,
        *,
        status: ExecutionStatus | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Execution]:
        self.faults.check("list_page")
        scope: list[object] = ["executions", tenant, schedule_id or ""]
        after = _decode(cursor, scope) if cursor else None
        low = id_stamp(since.astimezone(UTC)) if since else ""
        high = id_stamp(until.astimezone(UTC)) + "~" if until else "~"
        rows = sorted(
            (
                (execution.id, sid, execution)
                for (owner, sid), partition in self.records.items()
                if owner == tenant and schedule_id in (None, sid)
                for execution in partition.values()
                if low <= execution.id <= high and (status is None or execution.status == status)
            ),
            key=lambda row: (row[0], row[1]),
            reverse=True,
        )
        if after is not None:
            rows = [row for row in rows if [row[0], row[1]] < after]
        page = rows[:limit]
        more = len(rows) > limit
        return Page[Execution](
            items=[row[2].model_copy(deep=True) for row in page],
            next_cursor=_encode(scope, [page[-1][0], page[-1][1]]) if more else None,
        )

    def get(self, tenant: str, schedule_id: str, execution_id: str) -> Execution | None:
        self.faults.check("get")
        found = self.records.get((tenant, schedule_id), {}).get(execution_id)
        return found.model_copy(deep=True) if found else None

    def clear(self, tenant: str, schedule_id: str) -> int:
        self.faults.check("clear")
        return len(self.records.pop((tenant, schedule_id), {}))


class FakeSchedulerEntries:
    """SchedulerEntries: the entries by name."""

    def __init__(self) -> None:
        self.entries: dict[str, EntrySpec] = {}
        self.faults = Faults("scheduler")

    def put_entry(self, spec: EntrySpec) -> Literal["created", "updated"]:
        self.faults.check("put_entry")
        existed = spec.name in self.entries
        self.entries[spec.name] = spec
        return "updated" if existed else "created"

    def delete_entry(self, name: str) -> bool:
        self.faults.check("delete_entry")
        return self.entries.pop(name, None) is not None

    def states(self) -> dict[str, str]:
        return {name: spec.state for name, spec in sorted(self.entries.items())}


class FakeEventPublisher:
    def __init__(self) -> None:
        self.events: list[LifecycleEvent] = []
        self.faults = Faults("sns")

    def publish(self, event: LifecycleEvent) -> None:
        self.faults.check("publish")
        self.events.append(event)

    def types(self) -> list[str]:
        return [event.event_type for event in self.events]


class FakeExecutorInvoker:
    def __init__(self) -> None:
        self.payloads: list[ExecutorPayload] = []
        self.faults = Faults("lambda")

    def invoke_async(self, payload: ExecutorPayload) -> None:
        self.faults.check("invoke_async")
        self.payloads.append(payload)


@dataclass
class _Marks:
    """The executor's own attributes on a schedule item (beside the Schedule fields)."""

    running_execution: str | None = None
    running_lease_until: int | None = None
    running_attempts: int = 0
    claimed_through: str | None = None
    last_finished: str | None = None
    last_skipped: str | None = None

    def release(self) -> None:
        self.running_execution = None
        self.running_lease_until = None
        self.running_attempts = 0


class FakeRunLedger:
    """RunLedger over the fake schedule store's items and the fake history's records.

    Each call is atomic (one lock), as DynamoDB makes each conditional write; the
    decisions follow the same conditions as dal/runs.py, which tests/contract checks.
    """

    def __init__(self, schedules: FakeScheduleStore, history: FakeExecutionHistory) -> None:
        self.schedules = schedules
        self.history = history
        self.marks: dict[tuple[str, str], _Marks] = {}
        # The lease of each RUNNING record (the record is the lock for overlap=allow).
        self.leases: dict[tuple[str, str, str], int] = {}
        self.faults = Faults("dynamodb")
        self._lock = threading.Lock()

    # -- state ---------------------------------------------------------------------------

    def _schedule(self, tenant: str, schedule_id: str) -> Schedule | None:
        return self.schedules.items.get((tenant, schedule_id))

    def _marks(self, tenant: str, schedule_id: str) -> _Marks:
        return self.marks.setdefault((tenant, schedule_id), _Marks())

    def _record(self, tenant: str, execution: Execution) -> Execution | None:
        return self.history.records.get((tenant, execution.schedule_id), {}).get(execution.id)

    def _store(self, tenant: str, execution: Execution, lease_ms: int | None) -> None:
        self.history.put(tenant, execution)
        key = (tenant, execution.schedule_id, execution.id)
        if lease_ms is None:
            self.leases.pop(key, None)
        else:
            self.leases[key] = lease_ms

    def _change(self, tenant: str, schedule_id: str, **changes: Any) -> None:
        key = (tenant, schedule_id)
        self.schedules.items[key] = self.schedules.items[key].model_copy(update=changes)

    # -- the port ------------------------------------------------------------------------

    def read_schedule(self, tenant: str, schedule_id: str) -> ScheduleSnapshot | None:
        self.faults.check("read_schedule")
        with self._lock:
            schedule = self._schedule(tenant, schedule_id)
            if schedule is None:
                return None
            marks = self._marks(tenant, schedule_id)
            return ScheduleSnapshot(
                schedule=schedule.model_copy(deep=True),
                running_execution=marks.running_execution,
                running_lease_until=marks.running_lease_until,
                running_attempts=marks.running_attempts,
                claimed_through=marks.claimed_through,
                last_finished=marks.last_finished,
            )

    def claim(
        self,
        tenant: str,
        execution: Execution,
        snapshot: ScheduleSnapshot,
        *,
        now: datetime,
        lease_until: datetime,
        scheduled: bool,
        hold_schedule: bool = True,
    ) -> Claim:
        self.faults.check("claim")
        lease_ms = epoch_ms(lease_until)
        skip = snapshot.schedule.overlap == "skip" and hold_schedule
        with self._lock:
            if skip and scheduled:
                return self._claim_hold(tenant, execution, snapshot, now, lease_ms)
            outcome = self._claim_record(tenant, execution, now, lease_ms)
            if not skip or not outcome.owned:
                return outcome
            refused = self._hold_for_record(tenant, execution, now, lease_ms)
            if refused is not None:
                return refused
            return Claim(
                outcome.result,
                LockKind.RECORD,
                lease_ms,
                previous_attempts=outcome.previous_attempts,
                holds_schedule=True,
            )

    def _claim_hold(
        self,
        tenant: str,
        execution: Execution,
        snapshot: ScheduleSnapshot,
        now: datetime,
        lease_ms: int,
    ) -> Claim:
        early = judge_hold(execution.id, snapshot, now)
        if early is not None and early.result != ClaimResult.TAKEN_OVER:
            return early
        if early is not None:
            return self._take_over_hold(tenant, execution, snapshot, lease_ms)
        if snapshot.claimed_through is None and self._record(tenant, execution):
            return Claim(ClaimResult.DUPLICATE_FINISHED, LockKind.HOLD)
        if self._schedule(tenant, execution.schedule_id) is None:
            return Claim(ClaimResult.SCHEDULE_GONE, LockKind.HOLD)
        marks = self._marks(tenant, execution.schedule_id)
        fresh = marks.claimed_through is None or marks.claimed_through < execution.id
        free = marks.running_lease_until is None or marks.running_lease_until < epoch_ms(now)
        if not (fresh and free):
            return judge_refused_hold(
                execution.id,
                holder=marks.running_execution,
                lease_until=marks.running_lease_until,
                claimed_through=marks.claimed_through,
                last_finished=marks.last_finished,
            )
        marks.running_execution, marks.running_lease_until = execution.id, lease_ms
        marks.running_attempts, marks.claimed_through = 1, execution.id
        return Claim(ClaimResult.CLAIMED, LockKind.HOLD, lease_ms, holds_schedule=True)

    def _take_over_hold(
        self, tenant: str, execution: Execution, snapshot: ScheduleSnapshot, lease_ms: int
    ) -> Claim:
        marks = self._marks(tenant, execution.schedule_id)
        if (
            marks.running_execution != execution.id
            or marks.running_lease_until != snapshot.running_lease_until
        ):
            return Claim(ClaimResult.DUPLICATE_RUNNING, LockKind.HOLD)
        marks.running_lease_until = lease_ms
        marks.running_attempts += 1
        finished = self._record(tenant, execution)
        return Claim(
            ClaimResult.TAKEN_OVER,
            LockKind.HOLD,
            lease_ms,
            previous_attempts=snapshot.running_attempts,
            holds_schedule=True,
            finished_record=finished.model_copy(deep=True) if finished else None,
        )

    def _hold_for_record(
        self, tenant: str, execution: Execution, now: datetime, lease_ms: int
    ) -> Claim | None:
        if self._schedule(tenant, execution.schedule_id) is None:
            return Claim(ClaimResult.SCHEDULE_GONE, LockKind.RECORD, lease_ms)
        marks = self._marks(tenant, execution.schedule_id)
        lease = marks.running_lease_until
        if lease is not None and lease >= epoch_ms(now) and marks.running_execution != execution.id:
            return Claim(
                ClaimResult.OVERLAP,
                LockKind.RECORD,
                lease_ms,
                running_execution=marks.running_execution,
            )
        marks.running_execution, marks.running_lease_until = execution.id, lease_ms
        marks.running_attempts = 1
        return None

    def _claim_record(
        self, tenant: str, execution: Execution, now: datetime, lease_ms: int
    ) -> Claim:
        existing = self._record(tenant, execution)
        if existing is None:
            self._store(tenant, execution, lease_ms)
            return Claim(ClaimResult.CLAIMED, LockKind.RECORD, lease_ms)
        if existing.status != ExecutionStatus.RUNNING:
            return Claim(ClaimResult.DUPLICATE_FINISHED)
        seen = self.leases.get((tenant, execution.schedule_id, execution.id), 0)
        if seen >= epoch_ms(now):
            return Claim(ClaimResult.DUPLICATE_RUNNING)
        previous = existing.attempts
        self._store(tenant, execution.model_copy(update={"attempts": previous + 1}), lease_ms)
        return Claim(ClaimResult.TAKEN_OVER, LockKind.RECORD, lease_ms, previous_attempts=previous)

    def finish(
        self,
        tenant: str,
        execution: Execution,
        update: ScheduleChanges,
        lock: Claim,
        *,
        now: datetime,
    ) -> bool:
        self.faults.check("finish")
        with self._lock:
            if lock.kind == LockKind.HOLD:
                if lock.finished_record is None:
                    if self._record(tenant, execution) is not None:
                        self._release(tenant, execution.schedule_id, execution.id, lock.lease_ms)
                        return False
                    self._store(tenant, execution, None)
                return self._finish_schedule(tenant, execution, update, lock, now)
            completed = self._finish_schedule(tenant, execution, update, lock, now)
            key = (tenant, execution.schedule_id, execution.id)
            current = self._record(tenant, execution)
            mine = self.leases.get(key) == lock.lease_ms
            if current is not None and current.status == ExecutionStatus.RUNNING and mine:
                self._store(tenant, execution, None)
            return completed

    def _release(self, tenant: str, schedule_id: str, run_id: str, lease_ms: int) -> None:
        marks = self._marks(tenant, schedule_id)
        if marks.running_execution == run_id and marks.running_lease_until == lease_ms:
            marks.release()

    def _finish_schedule(
        self,
        tenant: str,
        execution: Execution,
        update: ScheduleChanges,
        lock: Claim,
        now: datetime,
    ) -> bool:
        schedule = self._schedule(tenant, execution.schedule_id)
        if schedule is None:
            return False
        marks = self._marks(tenant, execution.schedule_id)
        if lock.holds_schedule:
            ours = (
                marks.running_execution == execution.id
                and marks.running_lease_until == lock.lease_ms
            )
        else:
            ours = marks.last_finished != execution.id
        if not ours:
            return False  # already counted by this run's earlier attempt
        # It left ACTIVE mid-run (paused, deleted): count the run, keep the status.
        complete = update.complete and schedule.status == ScheduleStatus.ACTIVE
        changes: dict[str, Any] = {
            "last_run_at": update.last_run_at,
            "last_status": update.last_status.value,
            "total_runs": schedule.total_runs + 1,
            "failed_runs": schedule.failed_runs + (1 if update.failed else 0),
            "consecutive_failures": schedule.consecutive_failures + 1 if update.failed else 0,
        }
        if update.set_next_run_at:
            changes["next_run_at"] = update.next_run_at
        if complete:
            changes.update(
                status=ScheduleStatus.COMPLETED, updated_at=now, version=schedule.version + 1
            )
        self._change(tenant, execution.schedule_id, **changes)
        marks.last_finished = execution.id
        if lock.holds_schedule:
            marks.release()
        return complete

    def put_skipped(
        self,
        tenant: str,
        execution: Execution,
        *,
        now: datetime,
        replacing_lease: int | None = None,
    ) -> bool:
        self.faults.check("put_skipped")
        with self._lock:
            existing = self._record(tenant, execution)
            key = (tenant, execution.schedule_id, execution.id)
            replaces = (
                existing is not None
                and replacing_lease is not None
                and existing.status == ExecutionStatus.RUNNING
                and self.leases.get(key) == replacing_lease
            )
            if existing is not None and not replaces:
                return False
            self._store(tenant, execution, None)
            return True

    def pass_excluded_fire(
        self,
        tenant: str,
        schedule_id: str,
        run_id: str,
        *,
        next_run_at: datetime | None,
        now: datetime,
    ) -> bool:
        self.faults.check("pass_excluded_fire")
        with self._lock:
            schedule = self._schedule(tenant, schedule_id)
            marks = self._marks(tenant, schedule_id)
            if schedule is None or not (marks.last_skipped is None or marks.last_skipped < run_id):
                return False
            marks.last_skipped = run_id
            changes: dict[str, Any] = {"skipped_runs": schedule.skipped_runs + 1}
            moves = schedule.status == ScheduleStatus.ACTIVE and (
                next_run_at is None
                or schedule.next_run_at is None
                or schedule.next_run_at <= next_run_at
            )
            if moves and next_run_at is not None:
                changes["next_run_at"] = next_run_at
            elif moves:
                changes.update(
                    status=ScheduleStatus.COMPLETED,
                    updated_at=now,
                    version=schedule.version + 1,
                    next_run_at=None,
                )
            self._change(tenant, schedule_id, **changes)
            return moves and next_run_at is None

    def backfill_fence(self, tenant: str, schedule_id: str, execution_id: str) -> bool:
        self.faults.check("backfill_fence")
        with self._lock:
            if self._schedule(tenant, schedule_id) is None:
                return True  # gone: the claim meets no schedule and skips it
            marks = self._marks(tenant, schedule_id)
            fresh = marks.claimed_through is None or marks.claimed_through < execution_id
            if fresh and marks.running_execution != execution_id:
                marks.claimed_through = execution_id
                return True
            return execution_id not in (marks.running_execution, marks.last_finished)


class FakeAutoPauseStore:
    """AutoPauseStore over the fake schedule store's items: the same condition as
    dal/auto_pause.py (still ACTIVE at the version the run read), checked and written
    under one lock. ``marked`` stands for the check marker the real write leaves for
    the reconciler (which then disables the entries)."""

    def __init__(self, schedules: FakeScheduleStore) -> None:
        self.schedules = schedules
        self.marked: set[tuple[str, str]] = set()
        self.faults = Faults("dynamodb")
        self._lock = threading.Lock()

    def pause_item(
        self, tenant: str, schedule_id: str, *, version: int, note: str, now: datetime
    ) -> bool:
        self.faults.check("pause_item")
        key = (tenant, schedule_id)
        with self._lock:
            current = self.schedules.items.get(key)
            if (
                current is None
                or current.status != ScheduleStatus.ACTIVE
                or current.version != version
            ):
                return False
            self.schedules.items[key] = current.model_copy(
                update={
                    "status": ScheduleStatus.PAUSED,
                    "pause_note": note,
                    "next_run_at": None,
                    "version": version + 1,
                    "updated_at": now,
                }
            )
            self.marked.add(key)
        return True


@dataclass
class FakeAdapters:
    schedules: FakeScheduleStore = field(default_factory=FakeScheduleStore)
    history: FakeExecutionHistory = field(default_factory=FakeExecutionHistory)
    entries: FakeSchedulerEntries = field(default_factory=FakeSchedulerEntries)
    events: FakeEventPublisher = field(default_factory=FakeEventPublisher)
    executor: FakeExecutorInvoker = field(default_factory=FakeExecutorInvoker)
    runs: FakeRunLedger = field(init=False)
    pauses: FakeAutoPauseStore = field(init=False)

    def __post_init__(self) -> None:
        # The ledger and the pause work on the same items and records the other fakes serve.
        self.runs = FakeRunLedger(self.schedules, self.history)
        self.pauses = FakeAutoPauseStore(self.schedules)


@contextmanager
def wired_fakes() -> Iterator[FakeAdapters]:
    """Every port served by a fresh fake for the duration of the block."""
    fakes = FakeAdapters()
    with wiring.use(
        schedules=fakes.schedules,
        history=fakes.history,
        entries=fakes.entries,
        events=fakes.events,
        executor=fakes.executor,
        runs=fakes.runs,
        pauses=fakes.pauses,
    ):
        yield fakes


if TYPE_CHECKING:  # mypy checks each fake against its port
    from jobscheduler import ports

    _schedules: ports.ScheduleStore = FakeScheduleStore()
    _history: ports.ExecutionHistory = FakeExecutionHistory()
    _entries: ports.SchedulerEntries = FakeSchedulerEntries()
    _events: ports.EventPublisher = FakeEventPublisher()
    _executor: ports.ExecutorInvoker = FakeExecutorInvoker()
    _runs: ports.RunLedger = FakeRunLedger(FakeScheduleStore(), FakeExecutionHistory())
    _pauses: ports.AutoPauseStore = FakeAutoPauseStore(FakeScheduleStore())
