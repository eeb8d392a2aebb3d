"""Publishes lifecycle events (CloudEvents JSON + filterable message attributes) to SNS."""

from __future__ import annotations

from jobscheduler.aws import client
from jobscheduler.gateways.tenant_topics import publish_to_tenant
from jobscheduler.models.events import LifecycleEvent
from jobscheduler.settings import get_settings


def publish(event: LifecycleEvent) -> str:
    """Publish one event to the stack's topic (operators, every tenant) and, when the
    tenant has subscribed, to the tenant's own topic (docs/subscriptions.md); returns
    the first message id. Errors propagate to the caller."""
    message = event.cloudevent().model_dump_json(exclude_none=True)
    attributes = event.message_attributes()
    response = client("sns").publish(
        TopicArn=get_settings().topic_arn, Message=message, MessageAttributes=attributes
    )
    publish_to_tenant(event.tenant, message, attributes)
    return str(response["MessageId"])
