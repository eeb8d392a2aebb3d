"""A rate schedule keeps its cadence through every later write (issue: rate anchors).

Scheduler runs a rate first at StartDate and, when a write omits StartDate, restarts
the cadence at the time of that write. So each write must carry the next point of the
schedule's original grid, and next_run_at must name that same instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobscheduler.models.ids import scheduler_entry_name
from tests.integration.api.conftest import Api, assert_consistent, entries

# A day ahead of the real clock: the Scheduler emulator (like Scheduler) refuses a
# StartDate more than a few minutes in the past, whatever the logic's clock says.
T0 = (datetime.now(UTC) + timedelta(days=1)).replace(second=27, microsecond=0)


def _clock(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    from jobscheduler.logic.schedules import common

    monkeypatch.setattr(common, "now_utc", lambda: when)


def _entry(sid: str) -> dict[str, Any]:
    return entries()[scheduler_entry_name(sid, 0)]


def _start(sid: str) -> datetime:
    start: datetime = _entry(sid)["StartDate"]
    return start.astimezone(UTC)


def _next(api: Api, sid: str) -> datetime:
    body = api.request("get", path=f"/schedules/{sid}").json
    return datetime.fromisoformat(body["next_run_at"]).astimezone(UTC)


def test_rate_without_start_at_keeps_its_grid_through_pause_resume_and_patch(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clock(monkeypatch, T0)
    sid = api.create(schedule="rate(90 minutes)", timezone="America/New_York")["id"]
    anchor = T0.replace(second=0) + timedelta(minutes=1)  # first whole minute after T0
    assert _start(sid) == anchor
    assert _next(api, sid) == anchor

    # Paused 2h17m after creation: the grid is anchor, +90 min, +180 min, ...
    _clock(monkeypatch, T0 + timedelta(hours=2, minutes=17))
    assert api.request("pause", path=f"/schedules/{sid}/pause").status == 200
    assert _start(sid) == anchor + 2 * timedelta(minutes=90)
    assert _entry(sid)["State"] == "DISABLED"

    _clock(monkeypatch, T0 + timedelta(hours=7, minutes=1))
    assert api.request("resume", path=f"/schedules/{sid}/resume").status == 200
    expected = anchor + 5 * timedelta(minutes=90)  # the next grid point
    assert _start(sid) == expected
    assert _next(api, sid) == expected

    _clock(monkeypatch, T0 + timedelta(hours=8))
    patched = api.request(
        "update",
        path=f"/schedules/{sid}",
        body={"flexible_window_minutes": 15},
        headers={"if-match": '"3"'},
    )
    assert patched.status == 200, patched.text
    assert _start(sid) == anchor + 6 * timedelta(minutes=90)
    assert_consistent(sid)


def test_rate_with_start_at_runs_first_at_start_and_later_writes_stay_on_it(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clock(monkeypatch, T0)
    start = (T0 + timedelta(days=1)).replace(hour=6, minute=30, second=0)
    created = api.create(schedule="rate(7 hours)", timezone="UTC", start_at=start.isoformat())
    sid = created["id"]
    assert _start(sid) == start
    assert datetime.fromisoformat(created["next_run_at"]).astimezone(UTC) == start

    _clock(monkeypatch, start + timedelta(days=3, minutes=5))
    assert api.request("pause", path=f"/schedules/{sid}/pause").status == 200
    assert api.request("resume", path=f"/schedules/{sid}/resume").status == 200
    # 3 days + 5 min = 72h05m after start: the grid point after it is 77h.
    assert _start(sid) == start + timedelta(hours=77)
    assert _next(api, sid) == start + timedelta(hours=77)


def test_cron_entry_still_drops_a_past_start(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    _clock(monkeypatch, T0)
    start = T0 + timedelta(hours=1)
    sid = api.create(schedule="0 9 * * *", timezone="UTC", start_at=start.isoformat())["id"]
    assert _start(sid) == start
    _clock(monkeypatch, T0 + timedelta(days=2))
    assert api.request("pause", path=f"/schedules/{sid}/pause").status == 200
    assert "StartDate" not in _entry(sid)
