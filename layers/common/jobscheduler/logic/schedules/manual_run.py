"""Run now: queue a manual run of a schedule."""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from jobscheduler.errors import SchedulePending
from jobscheduler.logic.schedules import common
from jobscheduler.models.api import RunResponse
from jobscheduler.models.executions import ExecutorPayload
from jobscheduler.models.ids import manual_execution_id
from jobscheduler.models.schedules import ScheduleStatus
from jobscheduler.observability import metrics
from jobscheduler.wiring import executor_invoker as executor_invoke


def run_now(tenant: str, schedule_id: str, *, now: datetime | None = None) -> RunResponse:
    """Queue a manual run (also of a PAUSED or COMPLETED schedule: a manual run is an
    explicit request); it lands in the same history and does not move next_run_at."""
    now = now or common.now_utc()
    current = common.load(tenant, schedule_id)
    if current.status == ScheduleStatus.PENDING:
        raise SchedulePending(common.PENDING_MESSAGE)
    execution_id = manual_execution_id(now)
    executor_invoke.invoke_async(
        ExecutorPayload(
            tenant=tenant,
            schedule_id=schedule_id,
            trigger="manual",
            scheduled_time=now,
            execution_id=execution_id,
        )
    )
    metrics.add_metric(name="ManualRunsRequested", unit=MetricUnit.Count, value=1)
    return RunResponse(execution_id=execution_id, schedule_id=schedule_id)
