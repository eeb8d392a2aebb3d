"""DLQ redrive: each dead letter goes back to the executor once per redrive; the claim
makes a repeated redrive harmless; what fails again stays in the queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from ops.redrive import redrive
from tests.integration.executor.conftest import fire

FIRE = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def _queue() -> str:
    url: str = boto3.client("sqs").create_queue(QueueName="redrive-test-dlq")["QueueUrl"]
    return url


def _send(url: str, body: Any) -> None:
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(body))


def _left(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_redrive_runs_dead_letters_once_and_reports(handler, put_schedule, target_topic):
    schedule = put_schedule()
    url = _queue()
    assert handler(fire(schedule, FIRE))["status"] == "SUCCEEDED"  # ran before dying late
    _send(url, fire(schedule, FIRE))  # a duplicate of a fire that ran
    _send(url, fire(schedule, FIRE + timedelta(minutes=5)))  # a lost fire
    _send(url, {"tenant": "x"})  # cannot run: the executor raises
    _send(url, "not an object")
    report = redrive(url, handler)
    assert report.as_dict() == {"ran": 1, "duplicate": 1, "failed_again": 1, "unreadable": 1}
    assert len(target_topic.messages()) == 2  # the first run and the lost fire, once each
    assert _left(url) == 2  # the one that failed again and the unreadable one stay


def test_a_repeated_redrive_runs_nothing_twice(handler, put_schedule, target_topic):
    schedule = put_schedule()
    url = _queue()
    for _ in range(3):  # the same dead letter, delivered three times
        _send(url, fire(schedule, FIRE))
    report = redrive(url, handler)
    assert (report.ran, report.duplicate) == (1, 2)
    assert len(target_topic.messages()) == 1
    assert _left(url) == 0


def test_dry_run_invokes_nothing(handler, put_schedule, target_topic):
    schedule = put_schedule()
    url = _queue()
    _send(url, fire(schedule, FIRE))
    calls: list[Any] = []

    def invoke(payload: dict[str, Any]) -> dict[str, Any]:
        calls.append(payload)
        return {}

    report = redrive(url, invoke, dry_run=True)
    assert calls == []
    assert report.ran == 0
    assert target_topic.messages() == []
