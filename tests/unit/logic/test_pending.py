"""The PENDING rule on in-memory adapters: when a create is abandoned (one constant,
one function), resume finishing such a create on that clock, and the rollback order
the create's undo and the reconciler share."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from jobscheduler.errors import Conflict, DependencyUnavailable
from jobscheduler.logic import pending
from jobscheduler.logic import schedules as logic
from jobscheduler.models.schedules import Schedule, ScheduleStatus
from tests.fakes.adapters import FakeAdapters, wired_fakes
from tests.unit.logic.test_schedule_use_cases import TENANT, body

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.fixture
def fakes() -> Iterator[FakeAdapters]:
    with wired_fakes() as wired:
        yield wired


def _stuck(fakes: FakeAdapters) -> Schedule:
    """A create whose activation and undo both failed."""
    fakes.schedules.faults.fail("update")
    fakes.entries.faults.fail("delete_entry")
    with pytest.raises(DependencyUnavailable):
        logic.create(TENANT, body(), now=NOW)
    [schedule] = fakes.schedules.items.values()
    assert schedule.status == ScheduleStatus.PENDING
    return schedule


def test_abandoned_from_the_constant_on(fakes: FakeAdapters) -> None:
    schedule = _stuck(fakes)
    at = pending.abandoned_at(schedule)
    assert at == NOW + pending.PENDING_ABANDONED_AFTER
    assert not pending.is_abandoned(schedule, at - TICK)
    assert pending.is_abandoned(schedule, at)
    active = schedule.model_copy(update={"status": ScheduleStatus.ACTIVE})
    assert not pending.is_abandoned(active, at + timedelta(days=1))


def test_resume_follows_the_same_clock(fakes: FakeAdapters) -> None:
    schedule = _stuck(fakes)
    at = pending.abandoned_at(schedule)
    with pytest.raises(Conflict) as refused:
        logic.resume(TENANT, schedule.id, now=at - TICK)
    assert refused.value.code == "schedule_pending"
    assert fakes.schedules.items[(TENANT, schedule.id)].status == ScheduleStatus.PENDING

    finished = logic.resume(TENANT, schedule.id, now=at)
    assert finished.status == ScheduleStatus.ACTIVE
    assert fakes.entries.states() == {f"{schedule.id}-0": "ENABLED"}
    assert fakes.events.types() == ["schedule.created"]


def test_roll_back_deletes_entries_before_the_item(fakes: FakeAdapters) -> None:
    schedule = _stuck(fakes)
    fakes.entries.faults.fail("delete_entry", on=(fakes.entries.faults.calls["delete_entry"] + 1,))
    with pytest.raises(DependencyUnavailable):
        pending.roll_back(schedule)
    # The entry could not go, so the item stays: no entry fires for a hidden schedule.
    assert fakes.schedules.items[(TENANT, schedule.id)].status == ScheduleStatus.PENDING
    assert fakes.schedules.quota[TENANT] == 1

    pending.roll_back(schedule)
    assert fakes.schedules.items == {}
    assert fakes.entries.entries == {}
    assert fakes.schedules.quota[TENANT] == 0
