"""Executor Lambda entry: parse the payload, run one fire, return a small summary.

Invoked asynchronously by EventBridge Scheduler and by run-now. A payload that does not
parse is logged, counted and raised: Lambda's async retries and the DLQ take it from
there (it is raised once per delivery, never looped on).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from jobscheduler.logic.executor import InvalidPayload, execute
from jobscheduler.models.executions import ExecutorPayload
from jobscheduler.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        payload = ExecutorPayload.model_validate(event)
    except ValidationError:
        logger.exception("malformed executor payload", extra={"event": event})
        metrics.add_metric(name="MalformedPayloads", unit=MetricUnit.Count, value=1)
        raise
    try:
        summary = execute(payload, remaining_ms=context.get_remaining_time_in_millis())
    except InvalidPayload:
        logger.exception("executor payload cannot run", extra={"event": event})
        metrics.add_metric(name="MalformedPayloads", unit=MetricUnit.Count, value=1)
        raise
    return summary.as_dict()
