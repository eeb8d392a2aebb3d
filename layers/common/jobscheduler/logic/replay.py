"""Replay: run a finished execution again, as a new execution linked to it.

The new run has its own id (``...-retry-...``), ``trigger: "retry"``, ``retry_of`` naming
the original, and the original's scheduled time, so a task sees the time it was meant
for. It is queued like run-now (an async invoke of the executor) and claimed like one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

from jobscheduler.errors import InvalidState, SchedulePending
from jobscheduler.gateways import executor_invoke
from jobscheduler.logic.executions import get_execution
from jobscheduler.logic.schedules import load
from jobscheduler.models.executions import ExecutionStatus, ExecutorPayload
from jobscheduler.models.ids import retry_execution_id
from jobscheduler.models.schedules import ScheduleStatus
from jobscheduler.observability import metrics


class RetryResponse(BaseModel):
    execution_id: str
    schedule_id: str
    retry_of: str


def retry(
    tenant: str, schedule_id: str, execution_id: str, *, now: datetime | None = None
) -> RetryResponse:
    now = now or datetime.now(UTC)
    schedule = load(tenant, schedule_id)
    if schedule.status == ScheduleStatus.PENDING:
        raise SchedulePending("the schedule is still being created; retry in a moment")
    original = get_execution(tenant, schedule_id, execution_id)
    if original.status == ExecutionStatus.RUNNING:
        raise InvalidState(
            f"execution {execution_id} is still running; retry it once it has finished",
            details={"status": original.status.value},
        )
    new_id = retry_execution_id(now)
    executor_invoke.invoke_async(
        ExecutorPayload(
            tenant=tenant,
            schedule_id=schedule_id,
            trigger="retry",
            scheduled_time=original.scheduled_time,
            execution_id=new_id,
            retry_of=original.id,
        )
    )
    metrics.add_metric(name="RetriesRequested", unit=MetricUnit.Count, value=1)
    return RetryResponse(execution_id=new_id, schedule_id=schedule_id, retry_of=original.id)
