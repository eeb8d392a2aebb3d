"""Reconciler Lambda entry: run by two Scheduler schedules of the stack.

``{"mode": "pass"}`` (every few minutes, the default): repair drift and report missed
runs, reading only what changed or is due. ``{"mode": "sweep"}`` (slower): a bounded
batch of the full sweep over the Scheduler entries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from jobscheduler.logic.reconcile import run_pass
from jobscheduler.logic.reconcile_sweep import run_sweep
from jobscheduler.observability import logger, metrics, tracer


class ReconcileEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mode: Literal["pass", "sweep"] = "pass"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any] | None, context: LambdaContext) -> dict[str, Any]:
    request = ReconcileEvent.model_validate(event or {})
    now = datetime.now(UTC)
    if request.mode == "sweep":
        return {"mode": "sweep", **run_sweep(now).as_dict()}
    return {"mode": "pass", **run_pass(now).as_dict()}
