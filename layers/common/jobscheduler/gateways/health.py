"""Reachability probes for GET /health (cheap read-only calls, never raising)."""

from __future__ import annotations

from jobscheduler.aws import AWS_ERRORS, client
from jobscheduler.settings import get_settings


def topic_reachable() -> bool:
    try:
        client("sns").get_topic_attributes(TopicArn=get_settings().topic_arn)
    except AWS_ERRORS:
        return False
    return True
