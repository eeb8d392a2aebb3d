"""POST /schedules/preview: compile a schedule and list its next runs. Writes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from jobscheduler.errors import InvalidExclusion
from jobscheduler.expressions import CompiledSchedule, compile_schedule, next_runs, rate_anchor
from jobscheduler.logic.calendars import effective_exclusions
from jobscheduler.logic.schedules.common import now_utc, policy
from jobscheduler.models.api import PreviewRequest, PreviewResponse, SkippedRun
from jobscheduler.models.calendars import ExclusionRule


class _Window(NamedTuple):
    """Where the listed runs start: ``after`` (exclusive) on the grid of ``anchor``."""

    after: datetime
    anchor: datetime


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
        holiday_country=body.holiday_country,
    )
    exclusions = effective_exclusions(body.exclude, compiled.exclude)
    window = _Window(
        # The window is inclusive: a run at start_at itself is shown.
        after=origin - timedelta(microseconds=1) if body.start_at else origin,
        anchor=rate_anchor(body.start_at, created),
    )
    if exclusions:
        runs, skipped = _runs_with_exclusions(body, compiled, exclusions, window)
    else:
        runs = _runs(body, compiled, window, count=body.count)
        skipped = [] if body.include_skipped else None
    zone = ZoneInfo(compiled.timezone)
    return PreviewResponse(
        kind=compiled.kind,
        expressions=list(compiled.expressions),
        timezone=compiled.timezone,
        description=compiled.description,
        next_runs=[run.astimezone(zone) for run in runs],
        exclusions=exclusions,
        skipped_runs=skipped,
    )


def _runs_with_exclusions(
    body: PreviewRequest,
    compiled: CompiledSchedule,
    exclusions: list[ExclusionRule],
    window: _Window,
) -> tuple[list[datetime], list[SkippedRun] | None]:
    """The runs the exclusions leave, and (if asked) the ones they skip."""
    # The calendar (and holiday data) is loaded only when there is something to skip.
    from jobscheduler.expressions.calendar import Calendar, scan

    fires = scan(
        compiled.expressions,
        compiled.timezone,
        Calendar(exclusions, compiled.timezone),
        after=window.after,
        count=body.count,
        start_at=body.start_at,
        end_at=body.end_at,
        anchor=window.anchor,
        list_skipped=body.include_skipped,
    )
    runs = [fire.at for fire in fires if fire.skipped is None]
    if not runs and _runs(body, compiled, window, count=1):
        # As a create would be: exclusions that leave no run are a mistake.
        raise InvalidExclusion(
            f"the exclusions leave schedule {body.schedule!r} no run in the next years"
        )
    if not body.include_skipped:
        return runs, None
    zone = ZoneInfo(compiled.timezone)
    skipped = [
        SkippedRun(at=fire.at.astimezone(zone), reason=fire.skipped)
        for fire in fires
        if fire.skipped is not None
    ]
    return runs, skipped


def _runs(
    body: PreviewRequest, compiled: CompiledSchedule, window: _Window, *, count: int
) -> list[datetime]:
    """The next ``count`` runs, exclusions left aside."""
    return next_runs(
        compiled.expressions,
        compiled.timezone,
        after=window.after,
        count=count,
        start_at=body.start_at,
        end_at=body.end_at,
        anchor=window.anchor,
    )
