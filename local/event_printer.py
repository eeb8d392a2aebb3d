"""Prints each lifecycle event of the SNS topic on one readable line.

An SQS queue of our own is subscribed to the topic (raw delivery off, as most real
subscribers have it), so each message is the SNS envelope around the CloudEvent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Printer = Callable[[str], None]


def format_event(envelope: dict[str, Any]) -> str:
    """One line: time, event type, schedule id, status, duration / lateness / error."""
    attributes = envelope.get("MessageAttributes") or {}

    def attr(name: str) -> str:
        value = attributes.get(name) or {}
        return str(value.get("Value", ""))

    try:
        cloud = json.loads(envelope.get("Message") or "{}")
    except ValueError:
        cloud = {}
    if not isinstance(cloud, dict):
        cloud = {}
    data = cloud.get("data") if isinstance(cloud.get("data"), dict) else {}
    assert isinstance(data, dict)
    event_type = attr("event_type") or str(data.get("event_type") or cloud.get("type") or "?")
    schedule_id = attr("schedule_id") or str(cloud.get("subject") or "-")
    status = attr("status") or str(data.get("status") or "-")
    stamp = str(cloud.get("time") or envelope.get("Timestamp") or "")
    try:
        clock = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)
        when = clock.strftime("%H:%M:%S.") + f"{clock.microsecond // 1000:03d}"
    except ValueError:
        when = stamp or "--:--:--"
    parts = [when, f"{event_type:<20}", f"{schedule_id:<28}", f"{status:<10}"]
    details = []
    if data.get("trigger"):
        details.append(str(data["trigger"]))
    if data.get("duration_ms") is not None:
        details.append(f"{data['duration_ms']} ms")
    if data.get("lateness_ms") is not None:
        details.append(f"late {data['lateness_ms']} ms")
    if data.get("error"):
        details.append(f"error: {data['error']}")
    if data.get("skip_reason"):
        details.append(f"skipped: {data['skip_reason']}")
    tenant = attr("tenant")
    if tenant:
        details.append(f"tenant {tenant}")
    return "  ".join(parts + ([", ".join(details)] if details else [])).rstrip()


class EventPrinter:
    def __init__(
        self,
        *,
        sns_client: Any,
        sqs_client: Any,
        topic_arn: str,
        queue_name: str,
        printer: Printer = print,
    ) -> None:
        self.sns = sns_client
        self.sqs = sqs_client
        self.topic_arn = topic_arn
        self.queue_name = queue_name
        self.printer = printer
        self.queue_url = ""
        self.subscription_arn = ""
        self.seen = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def setup(self) -> None:
        self.queue_url = self.sqs.create_queue(QueueName=self.queue_name)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.subscription_arn = self.sns.subscribe(
            TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn
        )["SubscriptionArn"]

    def start(self) -> None:
        if not self.queue_url:
            self.setup()
        self._thread = threading.Thread(target=self._loop, name="event-printer", daemon=True)
        self._thread.start()

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        if wait and self._thread is not None:
            self._thread.join(5)

    def poll_once(self, wait_s: int = 1) -> int:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_s
        )
        messages = response.get("Messages", [])
        for message in messages:
            try:
                envelope = json.loads(message["Body"])
                line = format_event(envelope if isinstance(envelope, dict) else {})
            except ValueError:
                line = f"(unreadable event) {message['Body'][:200]}"
            self.printer(line)
            self.seen += 1
        if messages:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)
                ],
            )
        return len(messages)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:
                if self._stop.is_set():
                    return
                self.printer(f"(event printer: {type(exc).__name__}: {exc})")
                self._stop.wait(1)


def subscribe_http(sns_client: Any, topic_arn: str, url: str) -> str:
    """An SNS http(s) subscription: moto's server POSTs each message's SNS envelope to
    the URL (no SubscriptionConfirmation round trip, unlike AWS)."""
    protocol = "https" if url.lower().startswith("https:") else "http"
    arn: str = sns_client.subscribe(TopicArn=topic_arn, Protocol=protocol, Endpoint=url)[
        "SubscriptionArn"
    ]
    return arn
