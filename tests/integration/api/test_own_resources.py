"""Tasks aimed at the scheduler's own resources, by any spelling, are refused, writing nothing."""

from __future__ import annotations

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
        "api_arn": stack.att("ApiFunction", "Arn"),
        "api_name": stack.ref("ApiFunction"),
        "table_arn": stack.att("Table", "Arn"),
    }


def _tasks(own: dict[str, str]) -> list[tuple[dict[str, Any], str]]:
    alarm_topic = own["topic"].rsplit("-", 1)[0] + "-alarms"
    account = own["topic"].split(":")[4]
    return [
        ({"type": "sns", "topic_arn": own["topic"], "message": "forged"}, "lifecycle"),
        ({"type": "sns", "topic_arn": alarm_topic, "message": "forged"}, "alarm topic"),
        ({"type": "sqs", "queue_url": own["dlq_url"], "message": "x"}, "dead-letter queue"),
        ({"type": "sqs", "queue_url": own["dlq_url"] + "/", "message": "x"}, "dead-letter"),
        ({"type": "lambda", "function": own["executor_arn"]}, "own functions"),
        ({"type": "lambda", "function": own["executor_arn"] + ":live"}, "own functions"),
        ({"type": "lambda", "function": own["executor_name"] + ":$LATEST"}, "own functions"),
        ({"type": "lambda", "function": own["executor_name"]}, "own functions"),
        ({"type": "lambda", "function": "ExecutorFunction"}, "own functions"),
        ({"type": "lambda", "function": own["api_name"]}, "own functions"),
        ({"type": "lambda", "function": own["api_arn"]}, "own functions"),
        ({"type": "lambda", "function": own["api_arn"] + ":1"}, "own functions"),
        (
            {"type": "lambda", "function": f"{account}:function:{own['api_name']}"},
            "own functions",
        ),
        ({"type": "lambda", "function": "ApiFunction"}, "own functions"),
        (
            {
                "type": "eventbridge",
                "event_bus": own["table_arn"],
                "source": "s",
                "detail_type": "d",
            },
            "own resources",
        ),
    ]


def test_create_refuses_own_resources(api: Api, aws: Any) -> None:
    before = all_items()
    for task, reason in _tasks(_own(aws)):
        result = api.request("create", body=create_body(task=task))
        assert result.status == 422, result.text
        assert result.error_code == "forbidden_target"
        assert reason in result.json["error"]["message"], (task, result.json)
        [detail] = result.json["error"]["details"]
        assert detail["loc"][:2] == ["body", "task"]
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
    assert "step 'bad'" in result.json["error"]["message"]
    [detail] = result.json["error"]["details"]
    assert detail["loc"] == ["body", "task", "steps", 1, "task", "topic_arn"]


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
