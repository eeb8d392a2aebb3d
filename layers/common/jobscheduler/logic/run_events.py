"""What a run tells the world besides its record: the lifecycle events, and the removal
of a finished schedule's Scheduler entries. Neither may fail the run: a failure is
logged and counted, and the run stays recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from jobscheduler.errors import DependencyUnavailable
from jobscheduler.models.events import EventType, LifecycleEvent
from jobscheduler.models.executions import Execution
from jobscheduler.models.ids import scheduler_entry_name
from jobscheduler.models.schedules import Schedule, ScheduleStatus
from jobscheduler.observability import logger, metrics
from jobscheduler.wiring import event_publisher, scheduler_entries


def publish(
    event_type: EventType,
    tenant: str,
    execution: Execution,
    schedule: Schedule | None,
    *,
    next_run_at: datetime | None = None,
) -> None:
    # The outcome event is the only one by default, so it carries what a subscriber
    # would otherwise have taken from execution.started (when it began, which task).
    data: dict[str, Any] = {
        "execution_id": execution.id,
        "schedule_id": execution.schedule_id,
        "trigger": execution.trigger.value,
        "scheduled_time": _iso(execution.scheduled_time),
        "started_at": _iso(execution.started_at) if execution.started_at else None,
        "finished_at": _iso(execution.finished_at) if execution.finished_at else None,
        "status": execution.status.value,
        "duration_ms": execution.duration_ms,
        "lateness_ms": execution.lateness_ms,
        "attempts": execution.attempts,
        "error": execution.error,
        "task_type": execution.task_type,
    }
    if next_run_at is not None:
        data["next_run_at"] = _iso(next_run_at)
    if execution.skip_reason:
        data["skip_reason"] = execution.skip_reason
    if schedule is not None:
        data["schedule_name"] = schedule.name
    _send(
        LifecycleEvent(
            event_type=event_type,
            tenant=tenant,
            schedule_id=execution.schedule_id,
            status=execution.status.value,
            task_type=execution.task_type or "unknown",
            data=data,
        )
    )


def publish_completed(
    tenant: str, schedule: Schedule, final: Execution, *, total_runs: int | None = None
) -> None:
    _send(
        LifecycleEvent(
            event_type="schedule.completed",
            tenant=tenant,
            schedule_id=schedule.id,
            status=ScheduleStatus.COMPLETED.value,
            task_type=schedule.task_type,
            data={
                "schedule_id": schedule.id,
                "name": schedule.name,
                "last_execution_id": final.id,
                "total_runs": schedule.total_runs + 1 if total_runs is None else total_runs,
            },
        )
    )


def _send(event: LifecycleEvent) -> None:
    """Publish after the record is written; a failure is logged and counted, never
    raised (the run is recorded whatever SNS does)."""
    try:
        event_publisher.publish(event)
    except DependencyUnavailable:
        logger.exception("lifecycle event not published", extra={"event_type": event.event_type})
        metrics.add_metric(name="PublishFailures", unit=MetricUnit.Count, value=1)


def delete_entries(schedule_id: str, parts: int) -> None:
    """Remove entries ``{id}-0`` .. ``{id}-{parts-1}``; a failure is logged, not raised:
    a later fire of the finished schedule retries the cleanup."""
    try:
        for part in range(max(parts, 1)):
            scheduler_entries.delete_entry(scheduler_entry_name(schedule_id, part))
    except DependencyUnavailable:
        logger.exception("could not delete the Scheduler entries of a completed schedule")


def _iso(moment: datetime) -> str:
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.isoformat().replace("+00:00", "Z")
