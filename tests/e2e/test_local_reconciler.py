"""The local stack runs the reconciler on its schedule (template.yaml's ScheduleV2
events, here every 5 seconds): a deleted Scheduler entry is restored and the run it
cost is reported as missed (schedule.missed), end to end over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import EventQueue, Stack, Webhooks, start_stack, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def reconciling_stack() -> Iterator[Stack]:
    stack = start_stack(
        "--periodic-every", "5", "--parameter-overrides", "MissedRunGraceSeconds=60"
    )
    try:
        yield stack
    finally:
        code = stack.stop()
        assert code == 0, stack.output()


def test_deleted_entry_is_restored_and_the_missed_run_reported(
    reconciling_stack: Stack, webhooks: Webhooks
) -> None:
    stack = reconciling_stack
    events = EventQueue(stack)
    status, created = stack.request(
        "POST",
        "/schedules",
        {
            "name": "heal-e2e",
            "schedule": "rate(1 minute)",
            "missed_run_grace_seconds": 60,
            "task": {"type": "http", "url": webhooks.url + "/heal", "method": "POST"},
        },
    )
    assert status == 201, created
    scheduler = stack.client("scheduler")
    group = next(
        g["Name"]
        for g in scheduler.list_schedule_groups()["ScheduleGroups"]
        if g["Name"] != "default"
    )
    entry = f"{created['id']}-0"
    scheduler.delete_schedule(Name=entry, GroupName=group)

    def missed() -> list[dict[str, object]]:
        events.drain()
        return [
            e
            for e in events.events
            if e.get("schedule_id") == created["id"] and e["event_type"] == "schedule.missed"
        ]

    # The first run was due a minute after creation; 60 s of grace, a pass every 5 s.
    reported = wait_for(missed, timeout=200, interval=2)
    assert reported, stack.output()
    data = reported[0]["cloudevent"]["data"]
    assert data["expected_at"].startswith(created["next_run_at"][:16])
    assert data["grace_seconds"] == 60

    def repaired() -> list[object]:
        events.drain()
        return [
            e["cloudevent"]["data"]["kind"]
            for e in events.events
            if e.get("schedule_id") == created["id"] and e["event_type"] == "schedule.repaired"
        ]

    # The pass publishes schedule.missed, restores the entry, then schedule.repaired: the
    # second event may still be on its way when the first is read.
    assert wait_for(lambda: "entry_missing" in repaired(), timeout=30, interval=1), (
        repaired(),
        stack.output(),
    )
    restored = scheduler.get_schedule(Name=entry, GroupName=group)
    assert restored["State"] == "ENABLED"
    # Restored means it fires again: the emulator picks the entry up and runs it.
    assert wait_for(lambda: webhooks.hits("/heal") >= 1, timeout=90, interval=1), stack.output()
    assert len(missed()) == 1  # reported once
