"""The reconciler's side of a backfill: invoke the executor for each fire, oldest
first, at a bounded rate (so a 1,000-fire backfill neither floods the target nor
exhausts the account's Lambda concurrency)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from jobscheduler.errors import DependencyUnavailable
from jobscheduler.gateways import executor_invoke
from jobscheduler.models.executions import ExecutorPayload
from jobscheduler.observability import logger, metrics

FIRES_PER_SECOND = 10.0


def run_backfill(
    tenant: str,
    schedule_id: str,
    fires: Sequence[datetime],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    queued = failed = 0
    for index, fire in enumerate(sorted(fires)):
        if index:
            sleep(1.0 / FIRES_PER_SECOND)
        try:
            executor_invoke.invoke_async(
                ExecutorPayload(
                    tenant=tenant, schedule_id=schedule_id, trigger="backfill", scheduled_time=fire
                )
            )
        except DependencyUnavailable:
            # The fire keeps no record: a later backfill of the window picks it up.
            logger.exception("backfill fire not queued", extra={"scheduled_time": str(fire)})
            failed += 1
            continue
        queued += 1
    metrics.add_metric(name="BackfillFiresInvoked", unit=MetricUnit.Count, value=queued)
    return {"queued": queued, "failed": failed}
