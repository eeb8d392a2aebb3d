"""Two tenants, http endpoints, real runs through the executor: each tenant receives
exactly its own events, whatever its filter asks for."""

from __future__ import annotations

import json
from urllib.parse import unquote

import boto3

from jobscheduler.gateways import subscriptions as gateway

from .conftest import TENANT_A, TENANT_B, subscribe


def test_each_tenant_receives_exactly_its_own_events(api, runner, hooks):
    a_all = subscribe(api, TENANT_A, "http", hooks.url("a-all"))
    b_all = subscribe(api, TENANT_B, "http", hooks.url("b-all"))
    assert (a_all.status, b_all.status) == (201, 201), (a_all.text, b_all.text)
    assert a_all.json["status"] == "confirmed"  # moto confirms at once

    sched_a, sched_b = runner.schedule(TENANT_A), runner.schedule(TENANT_B)
    # A subscription of B that names A's schedule: the tenant term still applies.
    b_spy = subscribe(
        api, TENANT_B, "http", hooks.url("b-spy"), schedule_ids=[sched_a.id, sched_b.id]
    )
    assert b_spy.status == 201, b_spy.text

    assert runner.run(sched_a, 3) == ["SUCCEEDED"] * 3
    assert runner.run(sched_b, 2) == ["SUCCEEDED"] * 2

    a_events, b_events = hooks.events("a-all"), hooks.events("b-all")
    assert {e["attributes"]["tenant"] for e in a_events} == {TENANT_A}
    assert {e["attributes"]["tenant"] for e in b_events} == {TENANT_B}
    assert [e["attributes"]["type"] for e in a_events].count("execution.succeeded") == 3
    assert [e["attributes"]["type"] for e in b_events].count("execution.succeeded") == 2
    assert {e["attributes"]["schedule_id"] for e in a_events} == {sched_a.id}
    # The spy asked for A's schedule too and got B's events only.
    spy = hooks.events("b-spy")
    assert spy, "B's own schedule matched and must be delivered"
    assert {e["attributes"]["tenant"] for e in spy} == {TENANT_B}
    assert {e["attributes"]["schedule_id"] for e in spy} == {sched_b.id}
    assert [e["attributes"]["type"] for e in spy] == [e["attributes"]["type"] for e in b_events]


def test_a_filter_on_another_tenants_schedule_only_receives_nothing(api, runner, hooks):
    sched_b = runner.schedule(TENANT_B)
    spy = subscribe(api, TENANT_A, "http", hooks.url("a-spy"), schedule_ids=[sched_b.id])
    assert spy.status == 201, spy.text
    runner.run(sched_b, 2)
    runner.run(runner.schedule(TENANT_A), 1)
    assert hooks.events("a-spy") == []


def test_the_sns_filter_policy_always_carries_the_tenant(api, hooks):
    made = subscribe(
        api,
        TENANT_A,
        "http",
        hooks.url("policy"),
        event_types=["execution.failed"],
        statuses=["FAILED", "TIMED_OUT"],
    )
    assert made.status == 201, made.text
    [sub] = [
        s
        for s in boto3.client("sns").list_subscriptions()["Subscriptions"]
        if s["Endpoint"] == hooks.url("policy")
    ]
    assert sub["TopicArn"] == gateway.tenant_topic_arn(TENANT_A)
    assert gateway.filter_policy_of(sub["SubscriptionArn"]) == {
        "tenant": [TENANT_A],
        "type": ["execution.failed"],
        "status": ["FAILED", "TIMED_OUT"],
    }
    attributes = boto3.client("sns").get_subscription_attributes(
        SubscriptionArn=sub["SubscriptionArn"]
    )["Attributes"]
    assert attributes["FilterPolicyScope"] == "MessageAttributes"


def test_events_carry_the_filter_attributes_and_a_uri_source(api, runner, hooks):
    assert subscribe(api, TENANT_A, "http", hooks.url("attrs")).status == 201
    schedule = runner.schedule(TENANT_A)
    runner.run(schedule)
    events = hooks.events("attrs")
    final = next(e for e in events if e["attributes"]["type"] == "execution.succeeded")
    assert final["attributes"] == {
        "type": "execution.succeeded",
        "event_type": "execution.succeeded",
        "tenant": TENANT_A,
        "schedule_id": schedule.id,
        "status": "SUCCEEDED",
        "task_type": "sns",
    }
    source = final["event"]["source"]
    assert source == "/jobscheduler/tenants/tenant%20a%2F%22quoted%22"
    assert unquote(source.rsplit("/", 1)[1]) == TENANT_A
    assert final["event"]["type"] == "com.jobscheduler.execution.succeeded"
    # SNS's own http headers, as a subscriber's framework dispatches on them.
    headers = {k.lower(): v for k, v in hooks.headers["attrs"][0].items()}
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-topic-arn"] == gateway.tenant_topic_arn(TENANT_A)
    assert json.loads(json.dumps(events))  # plain JSON all the way


def test_schedule_events_from_the_api_reach_the_tenant_too(api, hooks):
    assert subscribe(api, TENANT_A, "http", hooks.url("api-events")).status == 201
    created = api.create(tenant=TENANT_A)
    types = hooks.types("api-events")
    assert types == ["schedule.created"]
    [event] = hooks.events("api-events")
    assert event["attributes"]["schedule_id"] == created["id"]
    # Nothing of the task (it may hold credentials) travels in the event.
    assert "task" not in event["event"]["data"]["schedule"]
