"""When a stored schedule fires next: shared by the API (create, update, resume) and the
executor (after each run), so both compute next_run_at the same way."""

from __future__ import annotations

from datetime import datetime

from jobscheduler.expressions import next_runs, rate_anchor
from jobscheduler.models.schedules import Schedule


def next_fire(schedule: Schedule, *, after: datetime) -> datetime | None:
    """The first fire strictly after ``after`` that really runs (its calendar's
    exclusions stepped over); a rate runs on its grid (rate_anchor)."""
    anchor = rate_anchor(schedule.start_at, schedule.created_at)
    if schedule.exclusions:
        # Only schedules with exclusions load the calendar (and maybe holiday data).
        from jobscheduler.expressions.calendar import Calendar, next_real_fire

        return next_real_fire(
            schedule.expressions,
            schedule.timezone,
            Calendar(schedule.exclusions, schedule.timezone),
            after=after,
            start_at=schedule.start_at,
            end_at=schedule.end_at,
            anchor=anchor,
        )
    runs = next_runs(
        schedule.expressions,
        schedule.timezone,
        after=after,
        count=1,
        start_at=schedule.start_at,
        end_at=schedule.end_at,
        anchor=anchor,
    )
    return runs[0] if runs else None


def skip_reason(schedule: Schedule, scheduled_time: datetime) -> str | None:
    """Why the fire at ``scheduled_time`` must not run its task (None: it runs)."""
    if not schedule.exclusions:
        return None
    from jobscheduler.expressions.calendar import Calendar

    return Calendar(schedule.exclusions, schedule.timezone).reason(scheduled_time)
