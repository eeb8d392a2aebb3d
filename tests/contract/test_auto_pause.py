"""The AutoPauseStore contract (the executor's pause of a schedule that keeps failing),
run against the in-memory fake and against dal/auto_pause.py on moto: the pause lands
only on the item the run read (still ACTIVE, same version), once, and never over a
change the owner made meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobscheduler.models.ids import new_schedule_id
from jobscheduler.models.schedules import Schedule, ScheduleKind, ScheduleStatus
from jobscheduler.ports import AutoPauseStore, ScheduleStore
from tests.fakes.adapters import FakeAdapters

TENANT = "tenant-pause"
T0 = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
NOTE = "paused automatically after 3 failed runs in a row"
THREADS = 20


@dataclass
class Rig:
    pauses: AutoPauseStore
    store: ScheduleStore
    put: Callable[[Schedule], None]
    stored: Callable[[str], Schedule | None]
    marked: Callable[[str], bool]  # left for the reconciler to disable the entries
    on_moto: bool = False


def _fake_rig() -> Rig:
    fakes = FakeAdapters()

    def put(schedule: Schedule) -> None:
        fakes.schedules.items[(TENANT, schedule.id)] = schedule

    def stored(schedule_id: str) -> Schedule | None:
        return fakes.schedules.items.get((TENANT, schedule_id))

    def marked(schedule_id: str) -> bool:
        return (TENANT, schedule_id) in fakes.pauses.marked

    return Rig(fakes.pauses, fakes.schedules, put, stored, marked)


def _real_rig() -> Rig:
    from jobscheduler.aws import table
    from jobscheduler.dal import auto_pause, codec, keys, schedules
    from jobscheduler.settings import get_settings

    items = table(get_settings().table_name)

    def put(schedule: Schedule) -> None:
        items.put_item(Item=codec.schedule_to_item(schedule))

    def stored(schedule_id: str) -> Schedule | None:
        return schedules.get(TENANT, schedule_id)

    def marked(schedule_id: str) -> bool:
        item = items.get_item(Key=keys.schedule_key(TENANT, schedule_id), ConsistentRead=True)
        return bool(item.get("Item", {}).get(auto_pause.APPLY_ENTRIES))

    return Rig(auto_pause, schedules, put, stored, marked, on_moto=True)


@pytest.fixture(params=["fake", "real"])
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    if request.param == "fake":
        yield _fake_rig()
        return
    request.getfixturevalue("aws")
    yield _real_rig()


def _schedule(rig: Rig, **changes: Any) -> Schedule:
    schedule = Schedule.model_validate(
        {
            "id": new_schedule_id(),
            "tenant": TENANT,
            "name": "flaky",
            "schedule": "rate(1 hour)",
            "timezone": "UTC",
            "kind": ScheduleKind.RECURRING,
            "expressions": ["rate(1 hour)"],
            "status": ScheduleStatus.ACTIVE,
            "version": 4,
            "created_at": T0 - timedelta(days=1),
            "updated_at": T0 - timedelta(days=1),
            "next_run_at": T0 + timedelta(hours=1),
            "pause_after_failures": 3,
            "consecutive_failures": 3,
            "total_runs": 9,
            "task": {"type": "http", "url": "https://example.com/hook"},
            **changes,
        }
    )
    rig.put(schedule)
    return schedule


def _pause(rig: Rig, schedule: Schedule, *, version: int | None = None) -> bool:
    return rig.pauses.pause_item(
        TENANT,
        schedule.id,
        version=schedule.version if version is None else version,
        note=NOTE,
        now=T0,
    )


def _current(rig: Rig, schedule: Schedule) -> Schedule:
    found = rig.stored(schedule.id)
    assert found is not None
    return found


def test_pauses_the_item_the_run_read(rig: Rig) -> None:
    schedule = _schedule(rig)
    assert _pause(rig, schedule)
    after = _current(rig, schedule)
    assert after.status == ScheduleStatus.PAUSED
    assert after.pause_note == NOTE
    assert after.next_run_at is None
    assert after.version == schedule.version + 1
    assert after.updated_at == T0
    # The counters belong to the run's finish, not to the pause.
    assert (after.consecutive_failures, after.total_runs) == (3, 9)
    assert rig.marked(schedule.id)


def test_pauses_once(rig: Rig) -> None:
    schedule = _schedule(rig)
    assert _pause(rig, schedule)
    assert not _pause(rig, schedule)
    assert _current(rig, schedule).version == schedule.version + 1


def test_an_edit_since_the_read_wins(rig: Rig) -> None:
    schedule = _schedule(rig)
    edited = schedule.model_copy(update={"name": "renamed"})
    rig.store.update(edited, ["name"], expected_version=schedule.version)
    assert not _pause(rig, schedule)
    after = _current(rig, schedule)
    assert (after.status, after.name) == (ScheduleStatus.ACTIVE, "renamed")
    assert after.version == schedule.version + 1
    assert after.pause_note is None
    assert not rig.marked(schedule.id)


def test_a_pause_and_resume_since_the_read_wins(rig: Rig) -> None:
    """ACTIVE again, but not the ACTIVE the run saw: the owner's resume stands."""
    schedule = _schedule(rig, version=6)
    assert not _pause(rig, schedule, version=5)
    assert _current(rig, schedule).status == ScheduleStatus.ACTIVE


@pytest.mark.parametrize(
    "status", [ScheduleStatus.PAUSED, ScheduleStatus.COMPLETED, ScheduleStatus.DELETED]
)
def test_only_an_active_item_is_paused(rig: Rig, status: ScheduleStatus) -> None:
    schedule = _schedule(rig, status=status, next_run_at=None, pause_note="owner's note")
    assert not _pause(rig, schedule)
    after = _current(rig, schedule)
    assert (after.status, after.pause_note, after.version) == (
        status,
        "owner's note",
        schedule.version,
    )


def test_a_missing_item_is_not_created(rig: Rig) -> None:
    ghost = _schedule(rig).model_copy(update={"id": new_schedule_id()})  # never stored
    assert not _pause(rig, ghost)
    assert rig.stored(ghost.id) is None


def test_twenty_concurrent_pauses_land_once(rig: Rig, request: pytest.FixtureRequest) -> None:
    if rig.on_moto:  # real DynamoDB serializes conditional writes per item; moto does not
        request.getfixturevalue("serialized_moto")
    schedule = _schedule(rig)
    barrier = threading.Barrier(THREADS)
    results: list[bool] = []

    def one() -> None:
        barrier.wait()
        results.append(_pause(rig, schedule))

    threads = [threading.Thread(target=one) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * (THREADS - 1) + [True]
    assert _current(rig, schedule).version == schedule.version + 1
