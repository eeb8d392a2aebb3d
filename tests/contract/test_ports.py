"""One contract, two adapters: every check runs against the in-memory fake
(tests/fakes) and the real dal/ or gateways/ module on moto, so a fake that drifts from
the real thing fails here, not in a use-case test that trusted it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobscheduler.errors import (
    Conflict,
    IdempotencyKeyTaken,
    InvalidCursor,
    InvalidState,
    NotFound,
    QuotaExceeded,
    VersionConflict,
)
from jobscheduler.models.entries import EntrySpec
from jobscheduler.models.executions import Execution, ExecutionStatus, Trigger
from jobscheduler.models.idempotency import IdempotencyRecord
from jobscheduler.models.ids import new_schedule_id
from jobscheduler.models.schedules import Schedule, ScheduleKind, ScheduleStatus
from jobscheduler.ports import ExecutionHistory, SchedulerEntries, ScheduleStore
from tests.fakes.adapters import FakeExecutionHistory, FakeSchedulerEntries, FakeScheduleStore

TENANT = "tenant-contract"
OTHER = "tenant-other"
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
KINDS = ["fake", "real"]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def schedules(kind: str, request: pytest.FixtureRequest) -> Iterator[ScheduleStore]:
    if kind == "fake":
        yield FakeScheduleStore()
        return
    request.getfixturevalue("aws")
    from jobscheduler.dal import schedules as real

    yield real


@pytest.fixture
def history(kind: str, request: pytest.FixtureRequest) -> Iterator[tuple[ExecutionHistory, Any]]:
    """The history port and a way to seed it with a record (what the executor writes)."""
    if kind == "fake":
        fake = FakeExecutionHistory()
        yield fake, fake.put
        return
    request.getfixturevalue("aws")
    from jobscheduler.dal import executions, history

    def seed(tenant: str, execution: Execution) -> None:
        assert executions.put_skipped(tenant, execution, now=NOW)

    yield history, seed


@pytest.fixture
def entries(kind: str, request: pytest.FixtureRequest) -> Iterator[SchedulerEntries]:
    if kind == "fake":
        yield FakeSchedulerEntries()
        return
    request.getfixturevalue("aws")
    from jobscheduler.gateways import scheduler

    yield scheduler


def schedule(name: str = "job", tenant: str = TENANT, **changes: Any) -> Schedule:
    data: dict[str, Any] = {
        "id": new_schedule_id(),
        "tenant": tenant,
        "name": name,
        "schedule": "rate(1 hour)",
        "timezone": "UTC",
        "kind": ScheduleKind.RECURRING,
        "expressions": ["rate(1 hour)"],
        "schedule_description": "every hour",
        "status": ScheduleStatus.PENDING,
        "version": 0,
        "created_at": NOW,
        "updated_at": NOW,
        "task": {"type": "http", "url": "https://example.com/hook"},
        **changes,
    }
    return Schedule.model_validate(data)


# --- ScheduleStore ----------------------------------------------------------------------


def test_insert_then_get_round_trips(schedules: ScheduleStore) -> None:
    item = schedule(tags={"team": "a"})
    schedules.insert(item, max_schedules=10)
    assert schedules.get(TENANT, item.id) == item
    assert schedules.get(OTHER, item.id) is None
    assert schedules.quota_used(TENANT) == 1


def test_insert_refusals_in_order(schedules: ScheduleStore) -> None:
    first = schedule()
    record = IdempotencyRecord("k", first.id, "f", expires_at=2_000, created_at="now")
    schedules.insert(first, max_schedules=2, idempotency=record, now_epoch=1_000)
    with pytest.raises(Conflict):
        schedules.insert(first, max_schedules=2)
    # A live key is checked before the quota.
    schedules.insert(schedule(), max_schedules=2)
    with pytest.raises(IdempotencyKeyTaken):
        schedules.insert(schedule(), max_schedules=2, idempotency=record, now_epoch=1_000)
    with pytest.raises(QuotaExceeded):
        schedules.insert(schedule(), max_schedules=2)
    assert schedules.quota_used(TENANT) == 2


def test_expired_or_replaced_key_is_free(schedules: ScheduleStore) -> None:
    gone = schedule()
    old = IdempotencyRecord("k", gone.id, "f", expires_at=100, created_at="then")
    schedules.insert(gone, max_schedules=10, idempotency=old, now_epoch=50)
    fresh = schedule()
    new = IdempotencyRecord("k", fresh.id, "g", expires_at=900, created_at="now")
    schedules.insert(fresh, max_schedules=10, idempotency=new, now_epoch=200)
    assert schedules.get_idempotency(TENANT, "k") == new
    third = schedule()
    claim = IdempotencyRecord("k", third.id, "h", expires_at=950, created_at="later")
    schedules.insert(third, max_schedules=10, idempotency=claim, now_epoch=300, replaces=fresh.id)
    assert schedules.get_idempotency(TENANT, "k") == claim


def test_remove_pending_gives_back_quota_and_key(schedules: ScheduleStore) -> None:
    item = schedule()
    record = IdempotencyRecord("k", item.id, "f", expires_at=2_000, created_at="now")
    schedules.insert(item, max_schedules=10, idempotency=record, now_epoch=1_000)
    schedules.remove_pending(TENANT, item.id, "k")
    assert schedules.get(TENANT, item.id) is None
    assert schedules.get_idempotency(TENANT, "k") is None
    assert schedules.quota_used(TENANT) == 0
    schedules.remove_pending(TENANT, item.id, "k")  # nothing left: not an error
    assert schedules.quota_used(TENANT) == 0


def test_remove_pending_leaves_an_active_item(schedules: ScheduleStore) -> None:
    item = schedule()
    schedules.insert(item, max_schedules=10)
    active = item.model_copy(update={"status": ScheduleStatus.ACTIVE})
    schedules.update(active, ["status"], expected_version=0)
    schedules.remove_pending(TENANT, item.id)
    assert schedules.get(TENANT, item.id) is not None
    assert schedules.quota_used(TENANT) == 1


def test_update_is_version_and_status_checked(schedules: ScheduleStore) -> None:
    item = schedule()
    schedules.insert(item, max_schedules=10)
    renamed = item.model_copy(update={"name": "renamed", "description": "ignored"})
    saved = schedules.update(
        renamed, ["name"], expected_version=0, statuses=(ScheduleStatus.PENDING,)
    )
    assert (saved.name, saved.version, saved.description) == ("renamed", 1, None)
    assert schedules.get(TENANT, item.id) == saved
    with pytest.raises(VersionConflict) as conflict:
        schedules.update(renamed, ["name"], expected_version=0)
    assert conflict.value.details == {"current_version": 1}
    with pytest.raises(InvalidState):
        schedules.update(renamed, ["name"], expected_version=1, statuses=(ScheduleStatus.ACTIVE,))
    with pytest.raises(NotFound):
        schedules.update(schedule(), ["name"], expected_version=0)


def test_update_clears_a_field_set_to_none(schedules: ScheduleStore) -> None:
    item = schedule(description="text", max_runs=3)
    schedules.insert(item, max_schedules=10)
    cleared = item.model_copy(update={"description": None, "max_runs": None})
    saved = schedules.update(cleared, ["description", "max_runs"], expected_version=0)
    assert (saved.description, saved.max_runs) == (None, None)


def test_mark_deleted_once(schedules: ScheduleStore) -> None:
    item = schedule()
    schedules.insert(item, max_schedules=10)
    tombstone = item.model_copy(update={"status": ScheduleStatus.DELETED, "next_run_at": None})
    schedules.mark_deleted(tombstone, expected_version=0)
    stored = schedules.get(TENANT, item.id)
    assert stored is not None
    assert (stored.status, stored.version) == (ScheduleStatus.DELETED, 1)
    assert schedules.quota_used(TENANT) == 0
    with pytest.raises(NotFound):
        schedules.mark_deleted(tombstone, expected_version=1)
    assert schedules.quota_used(TENANT) == 0


def test_list_pages_by_name_with_filters(schedules: ScheduleStore) -> None:
    names = ["b-2", "a-1", "c-3", "a-2", "b-1"]
    made = {}
    for index, name in enumerate(names):
        item = schedule(name, tags={"n": str(index % 2)})
        schedules.insert(item, max_schedules=10)
        made[name] = item
    schedules.insert(schedule("x", tenant=OTHER), max_schedules=10)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = schedules.list_page(TENANT, deleted=False, limit=2, cursor=cursor)
        assert len(page.items) <= 2
        seen += [s.name for s in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(names)
    prefixed = schedules.list_page(TENANT, deleted=False, limit=10, name_prefix="a-")
    assert [s.name for s in prefixed.items] == ["a-1", "a-2"]
    tagged = schedules.list_page(TENANT, deleted=False, limit=10, tag=("n", "0"))
    assert [s.name for s in tagged.items] == ["b-1", "b-2", "c-3"]
    assert schedules.list_page(TENANT, deleted=True, limit=10).items == []
    active = schedules.list_page(TENANT, deleted=False, limit=10, status=ScheduleStatus.ACTIVE)
    assert active.items == []


def test_list_refuses_a_cursor_it_did_not_issue(schedules: ScheduleStore) -> None:
    for name in ("a", "b", "c"):
        schedules.insert(schedule(name), max_schedules=10)
    page = schedules.list_page(TENANT, deleted=False, limit=1)
    assert page.next_cursor is not None
    for cursor in ("not-a-cursor", "e30"):
        with pytest.raises(InvalidCursor):
            schedules.list_page(TENANT, deleted=False, limit=1, cursor=cursor)
    with pytest.raises(InvalidCursor):
        schedules.list_page(OTHER, deleted=False, limit=1, cursor=page.next_cursor)


# --- ExecutionHistory -------------------------------------------------------------------


def _execution(schedule_id: str, day: int, status: ExecutionStatus) -> Execution:
    scheduled = datetime(2030, 1, day, 9, tzinfo=UTC)
    return Execution(
        id=scheduled.strftime("%Y%m%dT%H%M%SZ"),
        schedule_id=schedule_id,
        status=status,
        trigger=Trigger.SCHEDULE,
        scheduled_time=scheduled,
        started_at=scheduled,
        finished_at=scheduled,
        duration_ms=0,
    )


def test_history_pages_newest_first(history: tuple[ExecutionHistory, Any]) -> None:
    port, seed = history
    first, second = new_schedule_id(), new_schedule_id()
    for day in range(1, 6):
        seed(TENANT, _execution(first, day, ExecutionStatus.SKIPPED))
    seed(TENANT, _execution(second, 3, ExecutionStatus.SKIPPED))
    seed(OTHER, _execution(first, 4, ExecutionStatus.SKIPPED))

    def walk(schedule_id: str | None, **filters: Any) -> list[tuple[str, str]]:
        seen: list[tuple[str, str]] = []
        cursor = None
        for _ in range(20):
            page = port.list_page(
                TENANT,
                schedule_id,
                limit=2,
                cursor=cursor,
                **{"status": None, "since": None, "until": None, **filters},
            )
            seen += [(e.id, e.schedule_id) for e in page.items]
            cursor = page.next_cursor
            if cursor is None:
                return seen
        raise AssertionError("no last page")

    mine = walk(first)
    assert [e for e, _ in mine] == [f"2030010{d}T090000Z" for d in (5, 4, 3, 2, 1)]
    assert len(walk(None)) == 6
    window = walk(
        first,
        since=datetime(2030, 1, 2, tzinfo=UTC),
        until=datetime(2030, 1, 3, 9, tzinfo=UTC),
    )
    assert [e for e, _ in window] == ["20300103T090000Z", "20300102T090000Z"]
    assert walk(first, status=ExecutionStatus.FAILED) == []
    assert port.get(TENANT, first, "20300105T090000Z") is not None
    assert port.get(OTHER, second, "20300103T090000Z") is None
    with pytest.raises(InvalidCursor):
        port.list_page(
            TENANT, first, status=None, since=None, until=None, limit=2, cursor="garbage"
        )
    assert port.clear(TENANT, first) == 5
    assert walk(first) == []
    assert port.get(OTHER, first, "20300104T090000Z") is not None


# --- SchedulerEntries -------------------------------------------------------------------


def _spec(name: str, state: str = "ENABLED") -> EntrySpec:
    return EntrySpec(
        tenant=TENANT,
        schedule_id=name.rsplit("-", 1)[0],
        part=0,
        name=name,
        expression="rate(1 hour)",
        timezone="UTC",
        state=state,  # type: ignore[arg-type]
        one_off=False,
        flexible_window_minutes=0,
        max_retries=2,
        max_event_age_seconds=3600,
        start_date=NOW + timedelta(minutes=1),
    )


def test_entries_put_is_create_then_update_and_delete_says_if_it_existed(
    entries: SchedulerEntries,
) -> None:
    name = f"{new_schedule_id()}-0"
    assert entries.put_entry(_spec(name)) == "created"
    assert entries.put_entry(_spec(name, "DISABLED")) == "updated"
    assert entries.delete_entry(name) is True
    assert entries.delete_entry(name) is False
