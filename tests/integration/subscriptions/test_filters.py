"""Filters by event type, status and schedule id select exactly what they say; a
deleted subscription receives nothing more."""

from __future__ import annotations

from .conftest import TENANT_A, subscribe


def test_filters_select_exactly_what_they_say(api, runner, hooks):
    ok, bad = runner.schedule(TENANT_A), runner.schedule(TENANT_A, fails=True)
    made = {
        "all": subscribe(api, TENANT_A, "http", hooks.url("all")),
        "failed": subscribe(
            api, TENANT_A, "http", hooks.url("failed"), event_types=["execution.failed"]
        ),
        "succeeded-status": subscribe(
            api, TENANT_A, "http", hooks.url("succeeded-status"), statuses=["SUCCEEDED"]
        ),
        "one-schedule": subscribe(
            api, TENANT_A, "http", hooks.url("one-schedule"), schedule_ids=[bad.id]
        ),
        "narrow": subscribe(
            api,
            TENANT_A,
            "http",
            hooks.url("narrow"),
            event_types=["execution.succeeded", "execution.failed"],
            schedule_ids=[ok.id],
            statuses=["FAILED"],
        ),
    }
    assert {name: r.status for name, r in made.items()} == dict.fromkeys(made, 201)

    assert runner.run(ok, 2) == ["SUCCEEDED"] * 2
    assert runner.run(bad, 3) == ["FAILED"] * 3

    everything = hooks.events("all")
    outcomes = [e for e in everything if e["attributes"]["type"] != "execution.started"]
    assert len(outcomes) == 5  # one outcome per run (plus execution.started if published)
    expected = {
        "failed": [e for e in everything if e["attributes"]["type"] == "execution.failed"],
        "succeeded-status": [e for e in everything if e["attributes"]["status"] == "SUCCEEDED"],
        "one-schedule": [e for e in everything if e["attributes"]["schedule_id"] == bad.id],
        # Succeeded or failed, of `ok`, with status FAILED: `ok` never failed.
        "narrow": [],
    }
    assert len(expected["failed"]) == 3
    assert len(expected["succeeded-status"]) == 2
    assert len([e for e in expected["one-schedule"] if e in outcomes]) == 3
    for name, want in expected.items():
        got = hooks.events(name)
        assert [e["event"]["id"] for e in got] == [e["event"]["id"] for e in want], name


def test_deleting_a_subscription_stops_deliveries(api, runner, hooks):
    made = subscribe(api, TENANT_A, "http", hooks.url("gone"), event_types=["execution.succeeded"])
    schedule = runner.schedule(TENANT_A)
    runner.run(schedule)
    assert hooks.types("gone") == ["execution.succeeded"]

    deleted = api.request("delete", path=f"/subscriptions/{made.json['id']}", tenant=TENANT_A)
    assert deleted.status == 204, deleted.text
    runner.run(schedule, 2)
    assert hooks.types("gone") == ["execution.succeeded"]
    again = api.request("delete", path=f"/subscriptions/{made.json['id']}", tenant=TENANT_A)
    assert again.status == 404
    assert again.error_code == "subscription_not_found"


def test_a_tenant_may_subscribe_again_after_deleting(api, hooks):
    first = subscribe(api, TENANT_A, "http", hooks.url("again"))
    assert first.status == 201
    assert (
        api.request("delete", path=f"/subscriptions/{first.json['id']}", tenant=TENANT_A).status
        == 204
    )
    second = subscribe(api, TENANT_A, "http", hooks.url("again"), statuses=["FAILED"])
    assert second.status == 201, second.text
    assert second.json["filter"]["statuses"] == ["FAILED"]
