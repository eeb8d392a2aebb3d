"""In-memory adapters of jobscheduler.ports, for running the use cases without moto.

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
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

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
class FakeAdapters:
    schedules: FakeScheduleStore = field(default_factory=FakeScheduleStore)
    history: FakeExecutionHistory = field(default_factory=FakeExecutionHistory)
    entries: FakeSchedulerEntries = field(default_factory=FakeSchedulerEntries)
    events: FakeEventPublisher = field(default_factory=FakeEventPublisher)
    executor: FakeExecutorInvoker = field(default_factory=FakeExecutorInvoker)


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
    ):
        yield fakes


if TYPE_CHECKING:  # mypy checks each fake against its port
    from jobscheduler import ports

    _schedules: ports.ScheduleStore = FakeScheduleStore()
    _history: ports.ExecutionHistory = FakeExecutionHistory()
    _entries: ports.SchedulerEntries = FakeSchedulerEntries()
    _events: ports.EventPublisher = FakeEventPublisher()
    _executor: ports.ExecutorInvoker = FakeExecutorInvoker()
