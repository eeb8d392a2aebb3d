"""What the use cases (logic/) call, as Protocols. The real adapters are the modules of
dal/ and gateways/ (mypy checks them against these in wiring.py); tests/fakes holds
in-memory ones. Every method raises domain errors only (DependencyUnavailable when the
service cannot be reached), never botocore's.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Literal, Protocol

from jobscheduler.models.entries import EntrySpec
from jobscheduler.models.events import LifecycleEvent
from jobscheduler.models.executions import Execution, ExecutionStatus, ExecutorPayload
from jobscheduler.models.idempotency import IdempotencyRecord
from jobscheduler.models.pagination import Page
from jobscheduler.models.runs import Claim, ScheduleChanges, ScheduleSnapshot
from jobscheduler.models.schedules import Schedule, ScheduleStatus


class ScheduleStore(Protocol):
    """The schedule items, the tenant's quota counter and Idempotency-Key records."""

    def get(self, tenant: str, schedule_id: str) -> Schedule | None:
        """Strongly consistent; DELETED items included."""

    def get_idempotency(self, tenant: str, key: str) -> IdempotencyRecord | None:
        """The key's record, even if expired (the caller compares expires_at)."""

    def insert(
        self,
        schedule: Schedule,
        *,
        max_schedules: int,
        idempotency: IdempotencyRecord | None = None,
        now_epoch: int = 0,
        replaces: str | None = None,
    ) -> None:
        """Atomically: the item, one quota unit, and the key's record when given.
        IdempotencyKeyTaken (checked first), QuotaExceeded, Conflict."""

    def remove_pending(
        self, tenant: str, schedule_id: str, idempotency_key: str | None = None
    ) -> None:
        """Undo a create: drop the PENDING item, give the quota back, free the key if it
        still names this schedule. Nothing to do is not an error."""

    def update(
        self,
        schedule: Schedule,
        fields: Iterable[str],
        *,
        expected_version: int,
        statuses: Collection[ScheduleStatus] | None = None,
    ) -> Schedule:
        """Write ``fields`` if the item is at ``expected_version`` (and in ``statuses``);
        version + 1; returns the item as stored. NotFound / VersionConflict / InvalidState."""

    def mark_deleted(self, schedule: Schedule, *, expected_version: int) -> None:
        """Status, next_run_at and updated_at of ``schedule``, version + 1, quota unit
        released, atomically; refused (as ``update``) for a DELETED item."""

    def quota_used(self, tenant: str) -> int: ...

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
        """Sorted by name; InvalidCursor for a cursor this list did not issue."""


class ExecutionHistory(Protocol):
    """The execution records as the API reads them."""

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
        """Newest first; one schedule's, or the tenant's (``schedule_id`` None)."""

    def get(self, tenant: str, schedule_id: str, execution_id: str) -> Execution | None: ...

    def clear(self, tenant: str, schedule_id: str) -> int:
        """Delete a schedule's history; how many records there were."""


class SchedulerEntries(Protocol):
    """EventBridge Scheduler's entries, by deterministic name."""

    def put_entry(self, spec: EntrySpec) -> Literal["created", "updated"]: ...

    def delete_entry(self, name: str) -> bool:
        """False when it did not exist."""


class EventPublisher(Protocol):
    def publish(self, event: LifecycleEvent) -> None: ...


class RunLedger(Protocol):
    """The executor's bookkeeping of runs: one claim per fire (a lease fences it, so a
    fire never runs twice), its finish, and the skips. Conditional writes decide every
    race: whatever the number of concurrent deliveries of a fire, one owns it."""

    def read_schedule(self, tenant: str, schedule_id: str) -> ScheduleSnapshot | None:
        """Strongly consistent: a pause, delete or hold is seen."""

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
        """Own the run (CLAIMED, or TAKEN_OVER from an attempt whose lease passed) or say
        why not: a duplicate, an overlap (overlap=skip), a superseded fire, no schedule."""

    def finish(
        self,
        tenant: str,
        execution: Execution,
        update: ScheduleChanges,
        lock: Claim,
        *,
        now: datetime,
    ) -> bool:
        """The final record and the schedule's counters, fenced by ``lock``: a late or
        retried finish counts nothing twice. Whether the schedule became COMPLETED
        (only if still ACTIVE; else the run is counted and the status kept)."""

    def put_skipped(
        self,
        tenant: str,
        execution: Execution,
        *,
        now: datetime,
        replacing_lease: int | None = None,
    ) -> bool:
        """Record a SKIPPED run once (False when a record exists), or replace the RUNNING
        record this run holds with ``replacing_lease``."""

    def pass_excluded_fire(
        self,
        tenant: str,
        schedule_id: str,
        run_id: str,
        *,
        next_run_at: datetime | None,
        now: datetime,
    ) -> bool:
        """Count a fire the calendar excludes once and move next_run_at forward (never
        back); complete an ACTIVE schedule with no next run. Whether it completed."""

    def backfill_fence(self, tenant: str, schedule_id: str, execution_id: str) -> bool:
        """Keep the scheduled path off a backfilled fire; False when it has the fire."""


class AutoPauseStore(Protocol):
    """The executor's one write to pause a schedule that keeps failing."""

    def pause_item(
        self, tenant: str, schedule_id: str, *, version: int, note: str, now: datetime
    ) -> bool:
        """PAUSED (with ``note``, no next run, version + 1) only if the item is still
        ACTIVE at ``version``; False when a concurrent change won (paused, edited,
        deleted, gone): the owner's change is never overwritten."""


class ExecutorInvoker(Protocol):
    def invoke_async(self, payload: ExecutorPayload) -> None:
        """Queue one run; DependencyUnavailable when it was not queued."""
