"""Backfill: run the past fires of a schedule that have no execution, oldest first.

The API computes the fires of the window (the schedule's own expressions, zone, window
and rate anchor), drops those that already have a record, keeps at most
``MAX_FIRES`` and hands the list to the reconciler function (one async invoke), which
invokes the executor for each at a bounded rate. Each run has the fire's own id and
``trigger: "backfill"``; the executor fences the schedule and claims the record, so a
fire is never run twice: not by a second backfill of the same window, not by a late
delivery of the fire itself (dal/backfill_fence.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from jobscheduler.dal import executions as history
from jobscheduler.errors import SchedulePending, ValidationFailed
from jobscheduler.expressions import next_runs
from jobscheduler.gateways import reconciler_invoke
from jobscheduler.logic.schedules import load
from jobscheduler.models.ids import scheduled_execution_id
from jobscheduler.models.schedules import Schedule, ScheduleStatus
from jobscheduler.observability import metrics

MAX_FIRES = 1000
# Executions read to find the fires already run: the window's records, a page at a time.
_PAGE = 200
_MAX_PAGES = 15


class BackfillRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: AwareDatetime = Field(alias="from", description="Window start (inclusive)")
    end: AwareDatetime = Field(alias="to", description="Window end (inclusive, not in the future)")


class BackfillResponse(BaseModel):
    schedule_id: str
    count: int = Field(description="Fires queued to run")
    already_run: int = Field(description="Fires of the window that have an execution")
    first: datetime | None = None
    last: datetime | None = None
    truncated: bool = Field(description="More fires remain after `last` (1,000 per request)")
    next_from: datetime | None = Field(
        default=None, description="Send this as `from` to continue a truncated backfill"
    )


def _fires(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    fires = next_runs(
        schedule.expressions,
        schedule.timezone,
        after=start - timedelta(microseconds=1),
        count=MAX_FIRES + 1,
        start_at=schedule.start_at,
        end_at=schedule.end_at,
        anchor=schedule.created_at,
    )
    return [fire for fire in fires if fire <= end]


def _run_ids(tenant: str, schedule_id: str, start: datetime, end: datetime) -> set[str]:
    ids: set[str] = set()
    cursor = None
    for _ in range(_MAX_PAGES):
        page, cursor = history.list_executions(
            tenant, schedule_id, since=start, until=end, limit=_PAGE, cursor=cursor
        )
        ids.update(execution.id for execution in page)
        if cursor is None:
            break
    return ids


def backfill(
    tenant: str, schedule_id: str, body: BackfillRequest, *, now: datetime | None = None
) -> BackfillResponse:
    now = now or datetime.now(UTC)
    schedule = load(tenant, schedule_id)
    if schedule.status == ScheduleStatus.PENDING:
        raise SchedulePending("the schedule is still being created; retry in a moment")
    start, end = body.start.astimezone(UTC), body.end.astimezone(UTC)
    if end < start:
        raise ValidationFailed(
            "'to' must not be before 'from'",
            details={"from": start.isoformat(), "to": end.isoformat()},
        )
    if end > now:
        raise ValidationFailed(
            "'to' lies in the future: a backfill runs past fires only",
            details={
                "to": end.isoformat(),
                "now": now.isoformat(),
                "suggestion": f'send "to": "{now.replace(microsecond=0).isoformat()}" or earlier',
            },
        )
    fires = _fires(schedule, start, end)
    truncated = len(fires) > MAX_FIRES
    fires = fires[:MAX_FIRES]
    done = _run_ids(tenant, schedule_id, start, fires[-1] if fires else end)
    todo = [fire for fire in fires if scheduled_execution_id(fire) not in done]
    if todo:
        reconciler_invoke.queue_backfill(tenant, schedule_id, todo)
    metrics.add_metric(name="BackfillFiresQueued", unit=MetricUnit.Count, value=len(todo))
    return BackfillResponse(
        schedule_id=schedule_id,
        count=len(todo),
        already_run=len(fires) - len(todo),
        first=todo[0] if todo else None,
        last=todo[-1] if todo else None,
        truncated=truncated,
        next_from=fires[-1] + timedelta(seconds=1) if truncated else None,
    )
