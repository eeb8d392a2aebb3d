"""Lifecycle events for the use cases: published, or ``DependencyUnavailable``."""

from __future__ import annotations

from jobscheduler.aws import unavailable
from jobscheduler.gateways import events
from jobscheduler.models.events import LifecycleEvent


def publish(event: LifecycleEvent) -> None:
    with unavailable("publish lifecycle event", dependency="sns"):
        events.publish(event)
