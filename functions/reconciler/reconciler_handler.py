"""Reconciler Lambda entry: run by two Scheduler schedules of the stack.

``{"mode": "backfill", ...}`` (queued by the API): invoke the executor for each fire of
a backfill at a bounded rate. ``{"mode": "pass"}`` (every few minutes, the default): repair drift and report missed
runs, reading only what changed or is due. ``{"mode": "sweep"}`` (slower): a bounded
batch of the full sweep over the Scheduler entries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from jobscheduler.logic.backfill_runner import run_backfill
from jobscheduler.logic.reconcile import run_pass
from jobscheduler.logic.reconcile_sweep import run_sweep
from jobscheduler.observability import logger, metrics, tracer


class ReconcileEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mode: Literal["pass", "sweep", "backfill"] = "pass"
    # mode "backfill" (queued by POST /schedules/{id}/backfill):
    tenant: str | None = None
    schedule_id: str | None = None
    fires: list[AwareDatetime] = Field(default_factory=list, max_length=1000)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any] | None, context: LambdaContext) -> dict[str, Any]:
    request = ReconcileEvent.model_validate(event or {})
    now = datetime.now(UTC)
    if request.mode == "backfill":
        if not request.tenant or not request.schedule_id:
            raise ValueError("a backfill names its tenant and schedule")
        done = run_backfill(request.tenant, request.schedule_id, request.fires)
        return {"mode": "backfill", **done}
    if request.mode == "sweep":
        return {"mode": "sweep", **run_sweep(now).as_dict()}
    return {"mode": "pass", **run_pass(now).as_dict()}
