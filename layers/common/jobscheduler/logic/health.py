"""GET /health: is each dependency reachable (cheap read-only probes)."""

from __future__ import annotations

from jobscheduler.dal import schedules as store
from jobscheduler.gateways import health as probes
from jobscheduler.gateways import scheduler
from jobscheduler.models.api import HealthChecks, HealthResponse
from jobscheduler.settings import get_settings


def health() -> HealthResponse:
    checks = HealthChecks(
        table=store.table_reachable(),
        schedule_group=scheduler.group_reachable(),
        topic=probes.topic_reachable(),
    )
    ok = checks.table and checks.schedule_group and checks.topic
    return HealthResponse(
        status="ok" if ok else "degraded",
        version=get_settings().service_version,
        checks=checks,
    )
