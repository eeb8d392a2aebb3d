"""POST/GET/DELETE /subscriptions: hostile input gets a 4xx and writes nothing; the
limit holds under concurrency; a failing AWS call leaves nothing behind."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import TENANT_A, TENANT_B, sns_subscriptions, subscribe, table_items


def _state() -> tuple[int, int]:
    """What a refused request must not change: table items (besides counters at 0) and
    SNS subscriptions."""
    items = [i for i in table_items() if not (i["SK"] == "SUBSCRIPTIONS" and i["count"] == 0)]
    return len(items), len(sns_subscriptions())


BAD = [
    ({"protocol": "ftp", "endpoint": "ftp://example.com/x"}, 422, "validation_error"),
    ({"protocol": "HTTPS", "endpoint": "https://example.com/x"}, 422, "validation_error"),
    ({"protocol": "https", "endpoint": "not a url"}, 422, "invalid_endpoint"),
    ({"protocol": "https", "endpoint": "http://127.0.0.1:9/x"}, 422, "invalid_endpoint"),
    ({"protocol": "http", "endpoint": "http://"}, 422, "invalid_endpoint"),
    ({"protocol": "http", "endpoint": "http://[::1/x"}, 422, "invalid_endpoint"),
    ({"protocol": "http", "endpoint": "http://169.254.169.254/latest"}, 422, "forbidden_endpoint"),
    ({"protocol": "http", "endpoint": "http://10.0.0.8/hook"}, 422, "forbidden_endpoint"),
    ({"protocol": "https", "endpoint": "https://[::ffff:10.0.0.1]/x"}, 422, "forbidden_endpoint"),
    ({"protocol": "http", "endpoint": "http://2130706433/x"}, 422, "forbidden_endpoint"),
    ({"protocol": "http", "endpoint": "http://0x7f.1/x"}, 422, "forbidden_endpoint"),
    (
        {"protocol": "http", "endpoint": "http://no-such-host.invalid/x"},
        422,
        "endpoint_unresolvable",
    ),
    ({"protocol": "email", "endpoint": "not-an-address"}, 422, "invalid_endpoint"),
    (
        {"protocol": "sqs", "endpoint": "https://sqs.us-east-1.amazonaws.com/1/q"},
        422,
        "invalid_endpoint",
    ),
    (
        {"protocol": "sqs", "endpoint": "arn:aws:sqs:us-east-1:123456789012:q.fifo"},
        422,
        "invalid_endpoint",
    ),
    ({"protocol": "lambda", "endpoint": "my-function"}, 422, "invalid_endpoint"),
    (
        {"protocol": "http", "endpoint": "http://127.0.0.1:9/x", "filter": {"tenant": ["b"]}},
        422,
        "validation_error",
    ),
    (
        {
            "protocol": "http",
            "endpoint": "http://127.0.0.1:9/x",
            "filter": {"event_types": ["schedule.*"]},
        },
        422,
        "validation_error",
    ),
    (
        {"protocol": "http", "endpoint": "http://127.0.0.1:9/x", "filter": {"event_types": []}},
        422,
        "validation_error",
    ),
    (
        {
            "protocol": "http",
            "endpoint": "http://127.0.0.1:9/x",
            "filter": {"statuses": ["failed"]},
        },
        422,
        "validation_error",
    ),
    (
        {
            "protocol": "http",
            "endpoint": "http://127.0.0.1:9/x",
            "filter": {"statuses": [{"anything-but": "x"}]},
        },
        422,
        "validation_error",
    ),
    (
        {
            "protocol": "http",
            "endpoint": "http://127.0.0.1:9/x",
            "filter": {"schedule_ids": ["sch_x"]},
        },
        422,
        "validation_error",
    ),
    (
        {
            "protocol": "http",
            "endpoint": "http://127.0.0.1:9/x",
            "filter": {
                "event_types": ["execution.failed", "execution.succeeded"],
                "schedule_ids": [f"sch_{i:020d}" for i in range(40)],
                "statuses": ["FAILED", "SUCCEEDED"],
            },
        },
        422,
        "filter_too_complex",
    ),
    ({"protocol": "http", "endpoint": "http://127.0.0.1:9/x", "extra": 1}, 422, "validation_error"),
    ({"protocol": "http"}, 422, "validation_error"),
    ({"protocol": "http", "endpoint": "x" * 3000}, 422, "validation_error"),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD)
def test_bad_input_is_a_4xx_and_writes_nothing(api, body, status, code):
    before = _state()
    result = api.request("create", path="/subscriptions", body=body, tenant=TENANT_A)
    assert (result.status, result.error_code) == (status, code), result.text
    assert result.json["error"]["message"]
    assert _state() == before


@pytest.mark.parametrize(
    ("protocol", "endpoint", "fixed"),
    [
        ("http", "http://127.0.0.1:{port}/bell\x07", "http://127.0.0.1:{port}/bell%07"),
        ("http", "http://127.0.0.1:{port}/nul\x00x", "http://127.0.0.1:{port}/nul%00x"),
        ("https", "https://hooks.example.com/\x1b[31m", "https://hooks.example.com/%1B[31m"),
        ("http", "http://127.0.0.1:{port}/\u202eevil", "http://127.0.0.1:{port}/%E2%80%AEevil"),
        ("http", "http://127.0.0.1:{port}/zero\u200bwidth", None),
        ("email", "ops\x07@example.com", "ops@example.com"),
        ("email", "ops\u2028@example.com", "ops@example.com"),
        (
            "sqs",
            "arn:aws:sqs:us-east-1:123456789012:q\x00",
            "arn:aws:sqs:us-east-1:123456789012:q",
        ),
    ],
)
def test_invisible_characters_in_the_endpoint_are_refused_with_a_fix(
    api, hooks, protocol, endpoint, fixed
):
    """A control or format character is a 422 at the field, before anything is written;
    for a URL the suggestion percent-encodes it, elsewhere it drops it."""
    port = hooks.base.rsplit(":", 1)[1].split("/", 1)[0]
    endpoint = endpoint.replace("{port}", port)
    before = _state()
    response = subscribe(api, TENANT_A, protocol, endpoint)
    assert (response.status, response.error_code) == (422, "invalid_endpoint"), response.text
    detail = response.json["error"]["details"][0]
    assert detail["loc"] == ["body", "endpoint"]
    assert "invisible character U+" in detail["msg"]
    if fixed is not None:
        assert detail["suggestion"] == fixed.replace("{port}", port)
    assert _state() == before


def test_the_suggested_url_for_an_invisible_character_is_accepted(api, hooks):
    """The suggestion works when applied: the percent-encoded URL subscribes."""
    refused = subscribe(api, TENANT_A, "http", hooks.url("bell\x07"))
    assert refused.status == 422, refused.text
    suggestion = refused.json["error"]["details"][0]["suggestion"]
    accepted = subscribe(api, TENANT_A, "http", suggestion)
    assert accepted.status == 201, accepted.text
    assert accepted.json["endpoint"] == hooks.url("bell%07")


def test_the_stacks_own_queue_and_functions_are_refused(api):
    from jobscheduler.settings import get_settings

    settings = get_settings()
    before = _state()
    for protocol, endpoint in (
        ("sqs", settings.dlq_arn),
        ("lambda", settings.executor_function_arn),
    ):
        result = subscribe(api, TENANT_A, protocol, endpoint)
        assert (result.status, result.error_code) == (422, "forbidden_endpoint"), result.text
    assert _state() == before


def test_malformed_json_and_no_identity(api):
    raw = api.request("create", path="/subscriptions", raw_body="{not json", tenant=TENANT_A)
    assert (raw.status, raw.error_code) == (400, "malformed_json")
    anonymous = api.request(
        "create", path="/subscriptions", body={"protocol": "http", "endpoint": "x"}, tenant=None
    )
    assert anonymous.status == 401


def test_another_tenants_subscription_is_not_found(api, hooks):
    made = subscribe(api, TENANT_A, "http", hooks.url("mine"))
    sub_id = made.json["id"]
    before = _state()
    for sample, method in (("get", "GET"), ("delete", "DELETE")):
        result = api.request(
            sample, path=f"/subscriptions/{sub_id}", method=method, tenant=TENANT_B
        )
        assert (result.status, result.error_code) == (404, "subscription_not_found")
    listed = api.request("list", path="/subscriptions", tenant=TENANT_B)
    assert listed.json["items"] == []
    for odd in ("sub_x", "..%2F", "SUBSCRIPTIONS", "sub_" + "z" * 24):
        result = api.request("get", path=f"/subscriptions/{odd}", tenant=TENANT_A)
        assert result.status == 404, odd
    assert _state() == before
    # Still A's, still delivering.
    assert api.request("get", path=f"/subscriptions/{sub_id}", tenant=TENANT_A).status == 200


def test_create_get_list_delete(api, hooks):
    made = subscribe(api, TENANT_A, "http", hooks.url("one"), event_types=["execution.failed"])
    assert made.status == 201
    body = made.json
    assert body["id"].startswith("sub_")
    assert made.headers["location"] == f"/subscriptions/{body['id']}"
    assert body["protocol"] == "http"
    assert body["endpoint"] == hooks.url("one")
    assert body["filter"] == {
        "event_types": ["execution.failed"],
        "schedule_ids": None,
        "statuses": None,
    }
    assert body["status"] == "confirmed"
    assert body["created_at"]
    got = api.request("get", path=f"/subscriptions/{body['id']}", tenant=TENANT_A)
    assert got.json == body
    pages, cursor = [], None
    for i in range(3):
        assert subscribe(api, TENANT_A, "email", f"ops{i}@example.com").status == 201
    while True:
        query = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = api.request("list", path="/subscriptions", query=query, tenant=TENANT_A)
        assert page.status == 200, page.text
        pages.append(page.json["items"])
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    ids = [s["id"] for p in pages for s in p]
    assert len(ids) == len(set(ids)) == 4
    assert all(len(p) <= 2 for p in pages)
    assert api.request("delete", path=f"/subscriptions/{body['id']}", tenant=TENANT_A).status == 204
    assert api.request("get", path=f"/subscriptions/{body['id']}", tenant=TENANT_A).status == 404


def test_cursors_of_another_tenant_or_forged_are_refused(api):
    for i in range(3):
        subscribe(api, TENANT_A, "email", f"ops{i}@example.com")
    page = api.request("list", path="/subscriptions", query={"limit": "1"}, tenant=TENANT_A)
    cursor = page.json["next_cursor"]
    other = api.request("list", path="/subscriptions", query={"cursor": cursor}, tenant=TENANT_B)
    assert (other.status, other.error_code) == (400, "invalid_cursor")
    forged = api.request("list", path="/subscriptions", query={"cursor": "e30"}, tenant=TENANT_A)
    assert (forged.status, forged.error_code) == (400, "invalid_cursor")


def test_the_same_endpoint_twice_is_a_conflict(api, hooks):
    assert subscribe(api, TENANT_A, "http", hooks.url("twice")).status == 201
    before = _state()
    again = subscribe(api, TENANT_A, "http", hooks.url("twice"), statuses=["FAILED"])
    assert (again.status, again.error_code) == (409, "subscription_exists")
    assert again.json["error"]["details"]["id"]
    assert _state() == before
    # Another tenant may subscribe the same URL (its own topic, its own events).
    assert subscribe(api, TENANT_B, "http", hooks.url("twice")).status == 201


def test_the_limit_is_a_429_and_holds_under_concurrency(
    api, hooks, monkeypatch, atomic_transactions
):
    from jobscheduler.settings import reset_settings

    monkeypatch.setenv("MAX_SUBSCRIPTIONS_PER_TENANT", "3")
    reset_settings()
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(lambda i: subscribe(api, TENANT_A, "http", hooks.url(f"c{i}")), range(8))
        )
    statuses = sorted(r.status for r in results)
    assert statuses == [201] * 3 + [429] * 5, [r.text for r in results]
    assert {r.error_code for r in results if r.status == 429} == {"quota_exceeded"}
    listed = api.request("list", path="/subscriptions", tenant=TENANT_A).json["items"]
    assert len(listed) == 3
    assert len(sns_subscriptions()) == 3
    # The same endpoint, concurrently: one subscription, the rest conflicts.
    monkeypatch.setenv("MAX_SUBSCRIPTIONS_PER_TENANT", "10")
    reset_settings()
    with ThreadPoolExecutor(6) as pool:
        same = list(
            pool.map(lambda _: subscribe(api, TENANT_B, "http", hooks.url("same")), range(6))
        )
    assert sorted(r.status for r in same) == [201] + [409] * 5
    assert len(sns_subscriptions()) == 4


@pytest.mark.parametrize(
    ("service", "operation"),
    [
        ("dynamodb", "TransactWriteItems"),
        ("sns", "CreateTopic"),
        ("sns", "Subscribe"),
        ("sns", "GetSubscriptionAttributes"),
        ("dynamodb", "UpdateItem"),
    ],
)
def test_a_failing_call_on_create_leaves_nothing(api, hooks, inject, service, operation):
    before = _state()
    fault = inject(service, operation)
    result = subscribe(api, TENANT_A, "http", hooks.url("fault"))
    assert fault.raised == 1
    assert (result.status, result.error_code) == (503, "dependency_unavailable"), result.text
    assert _state() == before
    retry = subscribe(api, TENANT_A, "http", hooks.url("fault"))
    assert retry.status == 201, retry.text


@pytest.mark.parametrize(
    ("service", "operation"), [("sns", "Unsubscribe"), ("dynamodb", "TransactWriteItems")]
)
def test_a_failing_call_on_delete_is_finished_by_a_retry(
    api, hooks, inject, runner, service, operation
):
    made = subscribe(api, TENANT_A, "http", hooks.url("del"))
    sub_id = made.json["id"]
    inject(service, operation)
    failed = api.request("delete", path=f"/subscriptions/{sub_id}", tenant=TENANT_A)
    assert failed.status == 503
    retried = api.request("delete", path=f"/subscriptions/{sub_id}", tenant=TENANT_A)
    assert retried.status == 204, retried.text
    assert sns_subscriptions() == []
    runner.run(runner.schedule(TENANT_A))
    assert hooks.events("del") == []


def test_an_interrupted_create_is_cleaned_up_by_delete(api, hooks, monkeypatch):
    """The SNS subscription exists but its ARN never reached the item (a crash between
    the two): DELETE finds it on the tenant's topic by endpoint."""
    from jobscheduler.dal import subscriptions as dal

    def crash(*_: object, **__: object) -> None:
        raise RuntimeError("the function died here")

    finish = dal.finish
    monkeypatch.setattr(dal, "finish", crash)
    crashed = subscribe(api, TENANT_A, "http", hooks.url("crash"))
    assert crashed.status == 500
    monkeypatch.setattr(dal, "finish", finish)
    [item] = api.request("list", path="/subscriptions", tenant=TENANT_A).json["items"]
    assert item["status"] == "creating"
    assert len(sns_subscriptions()) == 1
    assert api.request("delete", path=f"/subscriptions/{item['id']}", tenant=TENANT_A).status == 204
    assert sns_subscriptions() == []


def test_concurrent_deletes_one_wins_and_the_limit_is_given_back_once(
    api, hooks, atomic_transactions
):
    from jobscheduler.dal import subscriptions as dal

    sub_id = subscribe(api, TENANT_A, "http", hooks.url("race")).json["id"]
    path = f"/subscriptions/{sub_id}"
    with ThreadPoolExecutor(6) as pool:
        results = list(
            pool.map(lambda _: api.request("delete", path=path, tenant=TENANT_A), range(6))
        )
    assert sorted(r.status for r in results) == [204] + [404] * 5
    assert dal.count(TENANT_A) == 0
    assert sns_subscriptions() == []


def test_a_task_may_not_publish_to_a_tenant_topic(api, hooks):
    """Such a task would forge events for that tenant's subscribers."""
    from tests.integration.api.conftest import create_body

    victim = subscribe(api, TENANT_B, "http", hooks.url("victim")).json["topic_arn"]
    before = _state()
    body = create_body(task={"type": "sns", "topic_arn": victim, "message": {"forged": True}})
    result = api.request("create", body=body, tenant=TENANT_A)
    assert (result.status, result.error_code) == (422, "forbidden_target"), result.text
    assert _state() == before
