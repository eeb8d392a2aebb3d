"""GET /health: is each dependency reachable (cheap read-only probes)."""

from __future__ import annotations

from jobscheduler import __version__
from jobscheduler.dal import schedules as store
from jobscheduler.gateways import health as probes
from jobscheduler.gateways import scheduler
from jobscheduler.models.api import HealthChecks, HealthResponse


def health() -> HealthResponse:
    checks = HealthChecks(
        table=store.table_reachable(),
        schedule_group=scheduler.group_reachable(),
        topic=probes.topic_reachable(),
    )
    ok = checks.table and checks.schedule_group and checks.topic
    return HealthResponse(
        status="ok" if ok else "degraded",
        version=__version__,
        checks=checks,
    )
