"""The benchmark harness itself: the AWS-call counter against moto, the request-unit
estimates, the classification of calls, the price arithmetic, seeding and the table.
No timing assertions: benchmarks measure, these tests check the measuring."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from bench import common
from bench.__main__ import evaluate, print_table
from bench.common import (
    PRICES,
    Call,
    CallCounter,
    CallSummary,
    Goal,
    classify,
    dollars_per_million,
    seed_items,
    to_typed,
    typed_item_size,
)


def _table_name(aws: Any) -> str:
    return str(aws.ref("Table"))


def test_counter_counts_each_call_by_service_and_operation(aws: Any) -> None:
    table = boto3.resource("dynamodb").Table(_table_name(aws))
    sns = boto3.client("sns")
    with CallCounter() as counter:
        table.put_item(Item={"PK": "a", "SK": "1"})
        table.put_item(Item={"PK": "a", "SK": "2"})
        table.get_item(Key={"PK": "a", "SK": "1"})
        table.query(
            KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": "a"}, Limit=1
        )
        sns.publish(TopicArn=aws.ref("EventsTopic"), Message="hello")
    assert counter.by_operation() == {
        "dynamodb:PutItem": 2,
        "dynamodb:GetItem": 1,
        "dynamodb:Query": 1,
        "sns:Publish": 1,
    }
    query = next(c for c in counter.calls if c.operation == "Query")
    assert query.scanned_count == 1
    assert all(c.seconds > 0 for c in counter.calls)


def test_counter_sees_clients_of_other_sessions_and_older_clients(aws: Any) -> None:
    # Created before the counter, on its own session (as jobscheduler.aws does).
    early = boto3.session.Session().client("dynamodb")
    with CallCounter() as counter:
        early.list_tables()
        boto3.session.Session().client("sns").list_topics()
    assert counter.by_operation() == {"dynamodb:ListTables": 1, "sns:ListTopics": 1}


def test_counter_records_failed_calls_and_restores_botocore(aws: Any) -> None:
    table = boto3.resource("dynamodb").Table(_table_name(aws))
    table.put_item(Item={"PK": "a", "SK": "1"})
    original = common.original_api_call()
    with CallCounter() as counter, pytest.raises(Exception, match="ConditionalCheckFailed"):
        table.put_item(Item={"PK": "a", "SK": "1"}, ConditionExpression="attribute_not_exists(PK)")
    assert [(c.operation, c.error) for c in counter.calls] == [
        ("PutItem", "ConditionalCheckFailedException")
    ]
    # A failed conditional write still consumes its units.
    assert counter.calls[0].write_units == 1
    assert common.original_api_call() is original
    with CallCounter() as counter:
        with counter.paused():
            table.get_item(Key={"PK": "a", "SK": "1"})
        assert counter.calls == []


def test_write_units_follow_item_size_and_transactions(aws: Any) -> None:
    name = _table_name(aws)
    table = boto3.resource("dynamodb").Table(name)
    with CallCounter() as counter:
        table.put_item(Item={"PK": "small", "SK": "1", "data": "x" * 100})
        table.put_item(Item={"PK": "big", "SK": "1", "data": "x" * 1500})  # 2 KB units
        table.meta.client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": name, "Item": {"PK": "t", "SK": "1"}}},
                {"Put": {"TableName": name, "Item": {"PK": "t", "SK": "2"}}},
            ]
        )
        table.get_item(Key={"PK": "big", "SK": "1"}, ConsistentRead=True)
        table.get_item(Key={"PK": "big", "SK": "1"})
    units = [(c.operation, c.write_units, c.read_units) for c in counter.calls]
    assert units == [
        ("PutItem", 1, 0),
        ("PutItem", 2, 0),
        ("TransactWriteItems", 4, 0),  # 2 items x 2 WRU (transactional)
        ("GetItem", 0, 1),  # strongly consistent, under 4 KB
        ("GetItem", 0, 0.5),  # eventually consistent
    ]


def test_update_is_billed_by_the_larger_of_old_and_new_item(aws: Any) -> None:
    table = boto3.resource("dynamodb").Table(_table_name(aws))
    table.put_item(Item={"PK": "u", "SK": "1", "data": "x" * 3000})
    with CallCounter() as counter:
        table.update_item(
            Key={"PK": "u", "SK": "1"},
            UpdateExpression="SET #d = :v",
            ExpressionAttributeNames={"#d": "data"},
            ExpressionAttributeValues={":v": "short"},
        )
    assert counter.calls[0].write_units == 3


def test_classify_separates_lifecycle_events_from_the_tasks_own_publish() -> None:
    lifecycle = "arn:aws:sns:us-east-1:123456789012:events"
    calls = [
        Call("dynamodb", "GetItem", {}, read_units=1),
        Call("dynamodb", "TransactWriteItems", {}, write_units=4),
        Call("sns", "Publish", {"TopicArn": lifecycle}),
        Call("sns", "Publish", {"TopicArn": "arn:aws:sns:us-east-1:123456789012:task"}),
        Call("dynamodb", "UpdateItem", {}, write_units=2),
        Call("sns", "Publish", {"TopicArn": lifecycle}),
        Call("ssm", "GetParameter", {}),
        Call("sqs", "SendMessage", {}),
    ]
    summary = classify(calls, lifecycle_topic_arn=lifecycle)
    assert (summary.ddb_reads, summary.ddb_writes) == (1, 2)
    assert (summary.ddb_read_units, summary.ddb_write_units) == (1, 6)
    assert summary.sns_lifecycle_publishes == 2
    assert summary.task_calls == 2
    assert summary.other == {"ssm:GetParameter": 1}


def test_dollars_per_million_uses_the_published_prices() -> None:
    summary = CallSummary(ddb_write_units=8, ddb_read_units=1, sns_lifecycle_publishes=2)
    parts = dollars_per_million(summary, duration_ms=34.1, task_publishes=1)
    assert PRICES["dynamodb_per_million_wru"] == 0.625
    assert PRICES["dynamodb_per_million_rru"] == 0.125
    assert parts["dynamodb"] == pytest.approx(8 * 0.625 + 1 * 0.125)
    assert parts["sns"] == pytest.approx(3 * 0.50)
    # 35 ms billed (1 ms steps) at 128 MB: 0.125 GB x 0.035 s x $0.0000133334 x 1e6.
    assert parts["lambda"] == pytest.approx(0.20 + 0.125 * 0.035 * 13.3334)
    assert parts["scheduler"] == pytest.approx(1.00)
    assert parts["total"] == pytest.approx(sum(v for k, v in parts.items() if k != "total"))


def test_item_size_counts_names_and_values() -> None:
    assert typed_item_size({"PK": "abc"}) == 5
    assert typed_item_size({"PK": {"S": "abc"}}) == 5
    assert typed_item_size({"n": 12345, "b": True}) == 1 + 4 + 1 + 1
    assert typed_item_size({"m": {"k": "vv"}}) == 1 + 3 + 1 + 1 + 2


def test_seed_items_are_visible_to_queries(aws: Any) -> None:
    name = _table_name(aws)
    seed_items(
        name,
        [
            to_typed({"PK": "T#1", "SK": f"S#{i:03d}", "GSI1PK": "G", "GSI1SK": f"{i:03d}"})
            for i in range(30)
        ],
    )
    client = boto3.client("dynamodb")
    page = client.query(
        TableName=name,
        KeyConditionExpression="PK = :p",
        ExpressionAttributeValues={":p": {"S": "T#1"}},
        Limit=10,
    )
    assert page["Count"] == 10
    by_index = client.query(
        TableName=name,
        IndexName="GSI1",
        KeyConditionExpression="GSI1PK = :p",
        ExpressionAttributeValues={":p": {"S": "G"}},
    )
    assert by_index["Count"] == 30
    assert client.get_item(TableName=name, Key={"PK": {"S": "T#1"}, "SK": {"S": "S#007"}})["Item"]


def test_goals_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert Goal("<=", 1.5).met(1.5) is True
    assert Goal("<=", 1.5).met(1.51) is False
    assert Goal("==", False).met(False) is True
    assert Goal("==", False).met(True) is False
    assert Goal("<=", 1).met(None) is None
    rows = evaluate({"cold_start.api.ratio": 2.0, "warm.executor.ratio": 1.2, "other": 3})
    assert [row[3] for row in rows] == ["MISS", "pass", ""]
    print_table({"cold_start.api.ratio": 2.0})
    out = capsys.readouterr().out
    assert "cold_start.api.ratio" in out
    assert "MISS" in out


def test_api_event_is_a_payload_v2_event_with_the_tenant_claim() -> None:
    event = common.api_event(
        "POST", "/schedules", tenant="t-1", query={"limit": "50"}, body=json.dumps({"a": 1})
    )
    assert event["version"] == "2.0"
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == "t-1"
    assert event["rawQueryString"] == "limit=50"
    assert json.loads(event["body"]) == {"a": 1}


def _projection_table() -> str:
    """A table with one index of each projection, all keyed on (IK, IS)."""
    name = "projections"
    client = boto3.client("dynamodb")
    attributes = ["PK", "SK", "AK", "AS", "KK", "KS", "NK", "NS"]
    indexes: list[Any] = [
        {
            "IndexName": index,
            "KeySchema": [
                {"AttributeName": f"{prefix}K", "KeyType": "HASH"},
                {"AttributeName": f"{prefix}S", "KeyType": "RANGE"},
            ],
            "Projection": projection,
        }
        for index, prefix, projection in (
            ("ALL", "A", {"ProjectionType": "ALL"}),
            ("KEYS", "K", {"ProjectionType": "KEYS_ONLY"}),
            ("NARROW", "N", {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["status"]}),
        )
    ]
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in attributes],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=indexes,
    )
    return name


def _in_every_index(**extra: str) -> dict[str, Any]:
    keys = {f"{p}{k}": f"{p}-{k}" for p in "AKN" for k in "KS"}
    return to_typed({"PK": "p", "SK": "s", **keys, **extra})


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # An attribute no narrow index holds: only the ALL index is written.
        ({"counter": "2"}, {"ALL": 1}),
        # A projected attribute: the ALL and the INCLUDE index.
        ({"status": "PAUSED"}, {"ALL": 1, "NARROW": 1}),
        # An index's sort key: a delete and a put there, a plain update in ALL.
        ({"KS": "K-moved"}, {"ALL": 1, "KEYS": 2}),
    ],
)
def test_index_writes_follow_each_projection(
    aws: Any, change: dict[str, str], expected: dict[str, int]
) -> None:
    name = _projection_table()
    before = _in_every_index(status="ACTIVE", counter="1")
    after = {**before, **to_typed(change)}
    assert common.index_write_units_by_index(name, before, after) == expected
    assert common.index_write_units(name, before, after) == sum(expected.values())


def test_index_entries_are_sized_by_what_the_index_stores(aws: Any) -> None:
    name = _projection_table()
    big = "x" * 1500
    # A new item enters every index; only the ALL entry carries the 1.5 KB attribute.
    item = _in_every_index(status="ACTIVE", blob=big)
    assert common.index_write_units_by_index(name, None, item) == {
        "ALL": 2,
        "KEYS": 1,
        "NARROW": 1,
    }
    # Leaving a sparse index (its key removed) costs one delete there.
    left = {k: v for k, v in item.items() if k != "NS"}
    assert common.index_write_units_by_index(name, item, left) == {"ALL": 2, "NARROW": 1}
    assert common.index_write_units_by_index(name, item, item) == {}


def test_call_counter_reports_index_writes_per_index(aws: Any) -> None:
    name = _projection_table()
    table = boto3.resource("dynamodb").Table(name)
    table.put_item(Item={"PK": "p", "SK": "s", "KK": "k", "KS": "1", "NK": "n", "NS": "1"})
    with CallCounter() as counter:
        table.update_item(
            Key={"PK": "p", "SK": "s"},
            UpdateExpression="SET KS = :two, unindexed = :x",
            ExpressionAttributeValues={":two": "2", ":x": "x"},
        )
    summary = classify(counter.calls, lifecycle_topic_arn="")
    assert dict(summary.index_units_by_name) == {"KEYS": 2}
    assert summary.ddb_index_write_units == 2


def test_batch_get_rounds_each_item_up_to_4_kb(aws: Any) -> None:
    table = boto3.resource("dynamodb").Table(_table_name(aws))
    for i in range(3):
        table.put_item(Item={"PK": "b", "SK": str(i), "data": "x" * 100})
    keys = [{"PK": "b", "SK": str(i)} for i in range(3)]
    with CallCounter() as counter:
        table.meta.client.batch_get_item(RequestItems={_table_name(aws): {"Keys": keys}})
        table.query(KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": "b"})
    # Three small items: 3 x 0.5 apiece in a batch, 0.5 in all for a Query.
    assert [c.read_units for c in counter.calls] == [1.5, 0.5]
