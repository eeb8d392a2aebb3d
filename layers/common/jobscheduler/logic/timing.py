"""When a stored schedule fires next: shared by the API (create, update, resume) and the
executor (after each run), so both compute next_run_at the same way."""

from __future__ import annotations

from datetime import datetime

from jobscheduler.expressions import next_runs, rate_anchor
from jobscheduler.models.schedules import Schedule


def next_fire(schedule: Schedule, *, after: datetime) -> datetime | None:
    """The first fire strictly after ``after``; a rate runs on its grid (rate_anchor)."""
    runs = next_runs(
        schedule.expressions,
        schedule.timezone,
        after=after,
        count=1,
        start_at=schedule.start_at,
        end_at=schedule.end_at,
        anchor=rate_anchor(schedule.start_at, schedule.created_at),
    )
    return runs[0] if runs else None
