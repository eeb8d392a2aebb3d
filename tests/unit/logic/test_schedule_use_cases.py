"""The schedule use cases on in-memory adapters: each step of create, update, pause,
resume, delete and run-now failing in turn, and what the store, the Scheduler entries
and the published events look like afterwards. The same orders are exercised through
the handler and moto in tests/integration/api/test_faults.py; here they take
milliseconds and need no AWS at all (this folder cannot open sockets)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from jobscheduler.errors import DependencyUnavailable, IdempotencyKeyReused, VersionConflict
from jobscheduler.logic import entries as entry_logic
from jobscheduler.logic import executions as history_logic
from jobscheduler.logic import schedules as logic
from jobscheduler.models.api import ExecutionListQuery
from jobscheduler.models.executions import Execution, ExecutionStatus, Trigger
from jobscheduler.models.schedules import (
    PauseRequest,
    Schedule,
    ScheduleCreate,
    ScheduleStatus,
    ScheduleUpdate,
)
from tests.fakes.adapters import FakeAdapters, wired_fakes

TENANT = "tenant-a"
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
EVENTS = Path(__file__).resolve().parents[3] / "events"


@pytest.fixture
def fakes() -> Iterator[FakeAdapters]:
    with wired_fakes() as wired:
        yield wired


def body(**changes: Any) -> ScheduleCreate:
    data = json.loads(json.loads((EVENTS / "api-create.json").read_text())["body"])
    return ScheduleCreate.model_validate({**data, **changes})


def two_parts() -> ScheduleCreate:
    # Both day fields set: Unix cron semantics need two Scheduler entries.
    return body(schedule="0 9 1 * MON", timezone="UTC")


def create(**changes: Any) -> Schedule:
    return logic.create(TENANT, body(**changes), now=NOW).schedule


def stored(fakes: FakeAdapters, sid: str) -> Schedule:
    return fakes.schedules.items[(TENANT, sid)]


def assert_consistent(fakes: FakeAdapters, sid: str) -> None:
    """The entries are exactly those the stored item needs, in its state."""
    item = fakes.schedules.items.get((TENANT, sid))
    wanted = (
        {}
        if item is None
        else {
            spec.name: (spec.state, spec.expression)
            for spec in entry_logic.entry_specs(item, now=NOW)
        }
    )
    have = {
        name: (spec.state, spec.expression)
        for name, spec in fakes.entries.entries.items()
        if name.startswith(f"{sid}-")
    }
    assert have == wanted


# --- create -----------------------------------------------------------------------------


def test_create_writes_item_entries_quota_and_event(fakes: FakeAdapters) -> None:
    schedule = create()
    assert schedule.status == ScheduleStatus.ACTIVE
    assert schedule.version == 1
    assert fakes.entries.states() == {f"{schedule.id}-0": "ENABLED"}
    assert fakes.schedules.quota[TENANT] == 1
    assert fakes.events.types() == ["schedule.created"]
    assert_consistent(fakes, schedule.id)


def test_create_item_write_fails(fakes: FakeAdapters) -> None:
    fakes.schedules.faults.fail("insert")
    with pytest.raises(DependencyUnavailable):
        create()
    assert fakes.schedules.items == {}
    assert fakes.entries.entries == {}
    assert fakes.events.events == []


def test_create_entry_fails_is_undone(fakes: FakeAdapters) -> None:
    fakes.entries.faults.fail("put_entry")
    with pytest.raises(DependencyUnavailable):
        create()
    assert fakes.schedules.items == {}
    assert fakes.entries.entries == {}
    assert fakes.schedules.quota[TENANT] == 0
    assert fakes.events.events == []
    assert create().status == ScheduleStatus.ACTIVE  # the quota unit came back


def test_create_second_entry_fails_deletes_the_first(fakes: FakeAdapters) -> None:
    fakes.entries.faults.fail("put_entry", on=(2,))
    with pytest.raises(DependencyUnavailable):
        logic.create(TENANT, two_parts(), now=NOW)
    assert fakes.entries.faults.raised["put_entry"] == 1
    assert fakes.entries.entries == {}
    assert fakes.schedules.items == {}


def test_create_activation_fails_is_undone(fakes: FakeAdapters) -> None:
    fakes.schedules.faults.fail("update")
    with pytest.raises(DependencyUnavailable):
        create()
    assert fakes.schedules.items == {}
    assert fakes.entries.entries == {}
    assert fakes.schedules.quota[TENANT] == 0


def test_create_with_failed_undo_leaves_a_visible_pending_schedule_delete_repairs(
    fakes: FakeAdapters,
) -> None:
    fakes.schedules.faults.fail("update")  # activation fails
    fakes.entries.faults.fail("delete_entry")  # and so does the undo of the entry
    with pytest.raises(DependencyUnavailable):
        create()
    [(_, sid)] = fakes.schedules.items
    assert logic.get(TENANT, sid).status == ScheduleStatus.PENDING
    assert_consistent(fakes, sid)  # a PENDING item shows; its entry is no orphan

    logic.delete(TENANT, sid, now=NOW)
    assert fakes.entries.entries == {}
    assert fakes.schedules.quota[TENANT] == 0
    assert stored(fakes, sid).status == ScheduleStatus.DELETED


def test_publish_failure_does_not_fail_or_undo_the_write(fakes: FakeAdapters) -> None:
    fakes.events.faults.fail("publish")
    schedule = create()
    assert stored(fakes, schedule.id).status == ScheduleStatus.ACTIVE
    assert fakes.events.events == []
    logic.pause(TENANT, schedule.id, None, now=NOW)
    assert fakes.events.types() == ["schedule.paused"]


def test_idempotent_create_replays_and_refuses_another_body(fakes: FakeAdapters) -> None:
    first = logic.create(TENANT, body(), now=NOW, idempotency_key="k-1")
    again = logic.create(TENANT, body(), now=NOW, idempotency_key="k-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.schedule.id == first.schedule.id
    assert len(fakes.schedules.items) == 1
    with pytest.raises(IdempotencyKeyReused):
        logic.create(TENANT, body(name="other"), now=NOW, idempotency_key="k-1")


def test_failed_create_frees_its_idempotency_key(fakes: FakeAdapters) -> None:
    fakes.entries.faults.fail("put_entry")
    with pytest.raises(DependencyUnavailable):
        logic.create(TENANT, body(), now=NOW, idempotency_key="k-2")
    assert fakes.schedules.keys == {}
    retried = logic.create(TENANT, body(), now=NOW, idempotency_key="k-2")
    assert retried.replayed is False


# --- update -----------------------------------------------------------------------------


def _patch(target: Schedule, **changes: Any) -> Schedule:
    return logic.update(
        TENANT,
        target.id,
        ScheduleUpdate.model_validate({"schedule": "rate(2 hours)", **changes}),
        if_match=str(target.version),
        now=NOW,
    )


def test_update_entry_fails_restores_old_entries(fakes: FakeAdapters) -> None:
    schedule = logic.create(TENANT, two_parts(), now=NOW).schedule
    before = dict(fakes.entries.entries)
    fakes.entries.faults.fail("put_entry", on=(3,))  # create wrote parts 0 and 1
    with pytest.raises(DependencyUnavailable):
        _patch(schedule)
    assert {n: s.expression for n, s in fakes.entries.entries.items()} == {
        n: s.expression for n, s in before.items()
    }
    assert stored(fakes, schedule.id).version == 1
    assert_consistent(fakes, schedule.id)


def test_update_stale_part_delete_fails_restores_both_parts(fakes: FakeAdapters) -> None:
    schedule = logic.create(TENANT, two_parts(), now=NOW).schedule
    before = {n: s.expression for n, s in fakes.entries.entries.items()}
    fakes.entries.faults.fail("delete_entry")
    with pytest.raises(DependencyUnavailable):
        _patch(schedule)
    assert {n: s.expression for n, s in fakes.entries.entries.items()} == before
    assert_consistent(fakes, schedule.id)


def test_update_item_write_fails_restores_entries(fakes: FakeAdapters) -> None:
    schedule = logic.create(TENANT, two_parts(), now=NOW).schedule
    fakes.events.events.clear()
    fakes.schedules.faults.fail("update", on=(2,))  # the first was create's activation
    with pytest.raises(DependencyUnavailable):
        _patch(schedule)
    assert stored(fakes, schedule.id).version == 1
    assert_consistent(fakes, schedule.id)
    assert fakes.events.events == []


def test_concurrent_update_loses_and_entries_follow_the_winner(
    fakes: FakeAdapters, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule = create()
    real_update = fakes.schedules.update

    def racing_update(item: Schedule, fields: Any, **kwargs: Any) -> Schedule:
        # The winner lands between our entries write and our item write.
        monkeypatch.setattr(fakes.schedules, "update", real_update)
        _patch(schedule, schedule="rate(3 hours)")
        return real_update(item, fields, **kwargs)

    monkeypatch.setattr(fakes.schedules, "update", racing_update)
    with pytest.raises(VersionConflict):
        _patch(schedule)
    assert stored(fakes, schedule.id).expressions == ["rate(3 hours)"]
    assert_consistent(fakes, schedule.id)


# --- pause / resume ---------------------------------------------------------------------


def test_pause_item_write_fails(fakes: FakeAdapters) -> None:
    schedule = create()
    fakes.schedules.faults.fail("update", on=(2,))
    with pytest.raises(DependencyUnavailable):
        logic.pause(TENANT, schedule.id, None, now=NOW)
    assert stored(fakes, schedule.id).status == ScheduleStatus.ACTIVE
    assert_consistent(fakes, schedule.id)


def test_pause_entry_fails_reverts_the_item(fakes: FakeAdapters) -> None:
    schedule = create()
    fakes.events.events.clear()
    fakes.entries.faults.fail("put_entry", on=(2,))
    with pytest.raises(DependencyUnavailable):
        logic.pause(TENANT, schedule.id, PauseRequest(note="why"), now=NOW)
    item = stored(fakes, schedule.id)
    assert item.status == ScheduleStatus.ACTIVE
    assert item.pause_note is None
    assert item.next_run_at == schedule.next_run_at
    assert_consistent(fakes, schedule.id)
    assert fakes.events.events == []


def test_pause_with_failed_revert_converges_and_pausing_again_is_idempotent(
    fakes: FakeAdapters,
) -> None:
    schedule = create()
    fakes.entries.faults.fail("put_entry", on=(2,))  # disabling the entry fails
    fakes.schedules.faults.fail("update", on=(3,))  # and so does the revert to ACTIVE
    with pytest.raises(DependencyUnavailable):
        logic.pause(TENANT, schedule.id, None, now=NOW)
    # The item stays PAUSED; the compensation then converges the entries to it.
    assert stored(fakes, schedule.id).status == ScheduleStatus.PAUSED
    assert fakes.entries.states() == {f"{schedule.id}-0": "DISABLED"}
    assert_consistent(fakes, schedule.id)

    logic.pause(TENANT, schedule.id, None, now=NOW)
    assert_consistent(fakes, schedule.id)


def test_resume_entry_fails(fakes: FakeAdapters) -> None:
    schedule = create()
    logic.pause(TENANT, schedule.id, None, now=NOW)
    fakes.entries.faults.fail("put_entry", on=(3,))
    with pytest.raises(DependencyUnavailable):
        logic.resume(TENANT, schedule.id, now=NOW)
    assert stored(fakes, schedule.id).status == ScheduleStatus.PAUSED
    assert_consistent(fakes, schedule.id)


def test_resume_item_write_fails_disables_the_entry_again(fakes: FakeAdapters) -> None:
    schedule = create()
    logic.pause(TENANT, schedule.id, None, now=NOW)
    fakes.schedules.faults.fail("update", on=(3,))
    with pytest.raises(DependencyUnavailable):
        logic.resume(TENANT, schedule.id, now=NOW)
    assert stored(fakes, schedule.id).status == ScheduleStatus.PAUSED
    assert fakes.entries.states() == {f"{schedule.id}-0": "DISABLED"}
    assert_consistent(fakes, schedule.id)


# --- delete -----------------------------------------------------------------------------


def test_delete_item_write_fails(fakes: FakeAdapters) -> None:
    schedule = create()
    fakes.schedules.faults.fail("mark_deleted")
    with pytest.raises(DependencyUnavailable):
        logic.delete(TENANT, schedule.id, now=NOW)
    assert stored(fakes, schedule.id).status == ScheduleStatus.ACTIVE
    assert fakes.schedules.quota[TENANT] == 1
    assert_consistent(fakes, schedule.id)


def test_delete_entry_fails_then_a_repeated_delete_cleans_up(fakes: FakeAdapters) -> None:
    schedule = create()
    fakes.events.events.clear()
    fakes.entries.faults.fail("delete_entry")
    with pytest.raises(DependencyUnavailable):
        logic.delete(TENANT, schedule.id, now=NOW)
    assert stored(fakes, schedule.id).status == ScheduleStatus.DELETED
    assert f"{schedule.id}-0" in fakes.entries.entries
    assert fakes.schedules.quota[TENANT] == 0
    assert fakes.events.types() == ["schedule.deleted"]

    logic.delete(TENANT, schedule.id, now=NOW)
    assert fakes.entries.entries == {}
    assert fakes.schedules.quota[TENANT] == 0
    assert fakes.events.types() == ["schedule.deleted"]


def test_delete_retries_when_a_run_moves_the_version(
    fakes: FakeAdapters, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule = create()
    key = (TENANT, schedule.id)
    real = fakes.schedules.mark_deleted

    def run_finished_first(item: Schedule, *, expected_version: int) -> None:
        monkeypatch.setattr(fakes.schedules, "mark_deleted", real)
        moved = fakes.schedules.items[key]
        fakes.schedules.items[key] = moved.model_copy(update={"version": moved.version + 1})
        real(item, expected_version=expected_version)

    monkeypatch.setattr(fakes.schedules, "mark_deleted", run_finished_first)
    logic.delete(TENANT, schedule.id, now=NOW)
    assert stored(fakes, schedule.id).status == ScheduleStatus.DELETED
    assert fakes.entries.entries == {}


# --- run now and history ----------------------------------------------------------------


def test_run_now_queues_one_manual_run(fakes: FakeAdapters) -> None:
    schedule = create()
    answer = logic.run_now(TENANT, schedule.id, now=NOW)
    [payload] = fakes.executor.payloads
    assert (payload.trigger, payload.execution_id) == ("manual", answer.execution_id)
    assert answer.execution_id.startswith("20300107T080000Z-manual-")


def test_run_now_invoke_fails(fakes: FakeAdapters) -> None:
    schedule = create()
    fakes.executor.faults.fail("invoke_async")
    with pytest.raises(DependencyUnavailable):
        logic.run_now(TENANT, schedule.id, now=NOW)
    assert fakes.executor.payloads == []


def test_history_pages_and_clears(fakes: FakeAdapters) -> None:
    schedule = create()
    for hour in range(5):
        fakes.history.put(
            TENANT,
            Execution(
                id=f"2030010{hour + 1}T090000Z",
                schedule_id=schedule.id,
                status=ExecutionStatus.SUCCEEDED,
                trigger=Trigger.SCHEDULE,
                scheduled_time=datetime(2030, 1, hour + 1, 9, tzinfo=UTC),
            ),
        )
    seen: list[str] = []
    cursor = None
    while True:
        page = history_logic.list_executions(
            TENANT, schedule.id, ExecutionListQuery(limit=2, cursor=cursor)
        )
        seen += [e.id for e in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == 5
    assert history_logic.clear_executions(TENANT, schedule.id, confirm=True) == 5
