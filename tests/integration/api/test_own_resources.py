"""Tasks aimed at the scheduler's own topic, DLQ or executor are refused, writing nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.api.conftest import Api, all_items, create_body, entries


def _own(aws: Any) -> dict[str, str]:
    stack = aws
    return {
        "topic": stack.ref("EventsTopic"),
        "dlq_url": stack.ref("DeadLetterQueue"),
        "dlq_arn": stack.att("DeadLetterQueue", "Arn"),
        "executor_arn": stack.att("ExecutorFunction", "Arn"),
        "executor_name": stack.ref("ExecutorFunction"),
    }


def _tasks(own: dict[str, str]) -> list[tuple[dict[str, Any], str]]:
    return [
        ({"type": "sns", "topic_arn": own["topic"], "message": "forged"}, "lifecycle topic"),
        ({"type": "sqs", "queue_url": own["dlq_url"], "message": "x"}, "dead-letter queue"),
        ({"type": "lambda", "function": own["executor_arn"]}, "executor"),
        ({"type": "lambda", "function": own["executor_name"] + ":$LATEST"}, "executor"),
        ({"type": "lambda", "function": own["executor_name"]}, "executor"),
    ]


def test_create_refuses_own_resources(api: Api, aws: Any) -> None:
    before = all_items()
    for task, reason in _tasks(_own(aws)):
        result = api.request("create", body=create_body(task=task))
        assert result.status == 422, result.text
        assert result.error_code == "forbidden_target"
        assert reason in result.json["error"]["message"]
    assert all_items() == before
    assert entries() == {}


def test_a_sequence_step_is_checked_too(api: Api, aws: Any) -> None:
    own = _own(aws)
    task = {
        "type": "sequence",
        "steps": [
            {"id": "ok", "task": {"type": "http", "url": "https://example.com/hook"}},
            {"id": "bad", "task": {"type": "sns", "topic_arn": own["topic"], "message": "x"}},
        ],
    }
    result = api.request("create", body=create_body(task=task))
    assert result.status == 422
    assert result.error_code == "forbidden_target"
    assert "steps[bad]" in json.dumps(result.json["error"])


def test_update_refuses_own_resources(api: Api, aws: Any) -> None:
    created = api.request("create", body=create_body()).json
    path = f"/schedules/{created['id']}"
    task = {"type": "sns", "topic_arn": _own(aws)["topic"], "message": "forged"}
    result = api.request(
        "update", path=path, body={"task": task}, headers={"if-match": str(created["version"])}
    )
    assert result.status == 422
    assert result.error_code == "forbidden_target"
    after = api.request("get", path=path).json
    assert after["task"] == created["task"]
    assert after["version"] == created["version"]


@pytest.mark.parametrize(
    "topic", ["arn:aws:sns:us-east-1:123456789012:someone-elses-topic"], ids=["other"]
)
def test_other_topics_are_fine(api: Api, topic: str) -> None:
    task = {"type": "sns", "topic_arn": topic, "message": "x"}
    assert api.request("create", body=create_body(task=task)).status == 201
