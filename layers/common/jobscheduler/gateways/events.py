"""Publishes lifecycle events (CloudEvents JSON + filterable message attributes) to SNS."""

from __future__ import annotations

from jobscheduler.aws import client
from jobscheduler.models.events import LifecycleEvent
from jobscheduler.settings import get_settings


def publish(event: LifecycleEvent) -> str:
    """Publish one event; returns the SNS message id. Errors propagate to the caller."""
    response = client("sns").publish(
        TopicArn=get_settings().topic_arn,
        Message=event.cloudevent().model_dump_json(exclude_none=True),
        MessageAttributes=event.message_attributes(),
    )
    return str(response["MessageId"])
