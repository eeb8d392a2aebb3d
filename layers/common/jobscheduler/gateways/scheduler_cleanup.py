"""Publishing a lifecycle event without losing the work that raised it (the reconciler's
events; the executor and its automatic pause publish through the EventPublisher port,
see logic/run_events.py and logic/auto_pause.py)."""

from __future__ import annotations

from jobscheduler.aws import AWS_ERRORS
from jobscheduler.gateways.events import publish
from jobscheduler.models.events import LifecycleEvent
from jobscheduler.observability import logger


def try_publish(event: LifecycleEvent) -> bool:
    """Publish after the record is written; a failure is logged, never raised."""
    try:
        publish(event)
    except AWS_ERRORS:
        logger.exception("lifecycle event not published", extra={"event_type": event.event_type})
        return False
    return True
