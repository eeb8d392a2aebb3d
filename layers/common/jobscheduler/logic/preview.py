"""POST /schedules/preview: compile a schedule and list its next runs. Writes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from jobscheduler.expressions import compile_schedule, next_runs, rate_anchor
from jobscheduler.logic.schedules import now_utc, policy
from jobscheduler.models.api import PreviewRequest, PreviewResponse


def preview(body: PreviewRequest, *, now: datetime | None = None) -> PreviewResponse:
    # "Preview from then instead of now": the runs from start_at on. A rate() runs first
    # at start_at, or without one at the first whole minute after creation (the
    # StartDate the entry is given), exactly as a schedule created now would run.
    created = now or now_utc()
    origin = body.start_at or created
    compiled = compile_schedule(
        body.schedule,
        body.timezone,
        now=origin,
        start_at=body.start_at,
        end_at=body.end_at,
        policy=policy(),
    )
    runs = next_runs(
        compiled.expressions,
        compiled.timezone,
        # The window is inclusive: a run at start_at itself is shown.
        after=origin - timedelta(microseconds=1) if body.start_at else origin,
        count=body.count,
        start_at=body.start_at,
        end_at=body.end_at,
        anchor=rate_anchor(body.start_at, created),
    )
    zone = ZoneInfo(compiled.timezone)
    return PreviewResponse(
        kind=compiled.kind,
        expressions=list(compiled.expressions),
        timezone=compiled.timezone,
        description=compiled.description,
        next_runs=[run.astimezone(zone) for run in runs],
    )
