"""HTTP(S) deliveries of the embedded SNS, made to look like AWS's.

moto already applies each subscription's filter policy, but it posts http(s)
notifications without their ``MessageAttributes``, without SNS's ``x-amz-sns-*``
headers, and synchronously inside ``Publish`` (a slow or closed endpoint then slows or
fails the publisher). This module replaces that one branch, in this process only (the
local stack runs moto in-process; an external ``--endpoint-url`` keeps its own
behaviour):

- the JSON body is SNS's notification document, attributes included (``{"Type":
  "String", "Value": ...}`` per attribute), or the bare message with raw delivery;
- the headers are those SNS sends (message type, message id, topic, subscription);
- one background worker delivers in publish order, with a timeout and up to three
  attempts (SNS's default http policy retries too), so ``Publish`` never waits on it.

Subscriptions are confirmed at once (moto has no SubscriptionConfirmation round trip).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from moto.sns import models as sns_models

_ATTEMPTS = 3
_TIMEOUT_S = 10.0
_RETRY_DELAY_S = 0.2


@dataclass(frozen=True)
class _Delivery:
    url: str
    body: str
    headers: dict[str, str]


class _Worker:
    def __init__(self) -> None:
        self.queue: queue.Queue[_Delivery] = queue.Queue()
        self.delivered = 0
        self.failed = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, delivery: _Delivery) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="sns-http-delivery", daemon=True
                )
                self._thread.start()
        self.queue.put(delivery)

    def _loop(self) -> None:
        while True:
            delivery = self.queue.get()
            try:
                self._deliver(delivery)
            finally:
                self.queue.task_done()

    def _deliver(self, delivery: _Delivery) -> None:
        for attempt in range(_ATTEMPTS):
            try:
                response = requests.post(
                    delivery.url,
                    data=delivery.body.encode(),
                    headers=delivery.headers,
                    timeout=_TIMEOUT_S,
                )
                if response.status_code < 500:
                    self.delivered += 1
                    return
            except requests.RequestException:
                pass
            time.sleep(_RETRY_DELAY_S * (attempt + 1))
        self.failed += 1

    def drain(self, timeout_s: float = 10.0) -> bool:
        """Wait until every queued delivery was attempted (tests); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self.queue.unfinished_tasks:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True


WORKER = _Worker()
_original_publish = sns_models.Subscription.publish
_installed = False


def _publish(
    self: Any,
    message: str,
    message_id: str,
    subject: str | None = None,
    message_attributes: dict[str, Any] | None = None,
    group_id: str | None = None,
    deduplication_id: str | None = None,
    message_structure: str | None = None,
) -> None:
    if self.protocol not in ("http", "https"):
        _original_publish(
            self,
            message,
            message_id,
            subject=subject,
            message_attributes=message_attributes,
            group_id=group_id,
            deduplication_id=deduplication_id,
            message_structure=message_structure,
        )
        return
    matcher = self._filter_policy_matcher
    if matcher is not None and not matcher.matches(message_attributes, message):
        return
    if message_structure == "json":
        message = self._parse_message_structure(message, self.protocol)
    raw = str(self.attributes.get("RawMessageDelivery", "false")).lower() == "true"
    if raw:
        body = message
    else:
        body = json.dumps(
            self.get_post_data(message, message_id, subject, message_attributes=message_attributes)
        )
    headers = {
        "Content-Type": "text/plain; charset=UTF-8",
        "User-Agent": "Amazon Simple Notification Service Agent",
        "x-amz-sns-message-type": "Notification",
        "x-amz-sns-message-id": message_id,
        "x-amz-sns-topic-arn": self.topic.arn,
        "x-amz-sns-subscription-arn": self.arn,
    }
    if raw:
        headers["x-amz-sns-rawdelivery"] = "true"
    WORKER.submit(_Delivery(self.endpoint, body, headers))


def install() -> None:
    """Patch moto's Subscription once per process (idempotent)."""
    global _installed
    if not _installed:
        sns_models.Subscription.publish = _publish  # type: ignore[method-assign]
        _installed = True
