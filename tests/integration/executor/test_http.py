"""HTTP tasks against a loopback test server: signing, results, retries, timeouts, caps,
redirects and the SSRF guard in the real request path."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from jobscheduler.dal import executions as records
from jobscheduler.dal import keys
from jobscheduler.gateways import http_client
from jobscheduler.gateways.secrets import get_or_create_signing_secret
from jobscheduler.logic.runner import RunContext, run_task
from jobscheduler.models.ids import message_id
from jobscheduler.models.schedules import RetryPolicy
from jobscheduler.models.tasks import HttpTask
from jobscheduler.settings import reset_settings

from .conftest import TENANT, fire


def _http(url: str, **fields: Any) -> dict[str, Any]:
    return {"type": "http", "url": url, **fields}


def _ctx(**overrides) -> RunContext:
    values: dict[str, Any] = {
        "tenant": TENANT,
        "schedule_id": "sch_00000000000000000000",
        "execution_id": "20260101T000000Z",
        "retry": RetryPolicy(max_attempts=3, backoff_seconds=0.01, max_backoff_seconds=0.02),
        "deadline": float("inf"),
        "sleep": lambda _s: None,
    }
    values.update(overrides)
    return RunContext(**values)


def test_http_post_json_signed_and_recorded(handler, put_schedule, http_server, allow_loopback):
    schedule = put_schedule(
        task=_http(
            http_server.url + "/hook?x=1",
            body={"report": "daily", "n": 3},
            headers={"X-Custom": "yes"},
        )
    )
    http_server.responses[:] = [(201, {"Content-Type": "text/plain"}, b"created")]
    scheduled = datetime.now(UTC).replace(microsecond=0)

    assert handler(fire(schedule, scheduled))["status"] == "SUCCEEDED"

    [request] = http_server.requests
    assert request.method == "POST"
    assert request.path == "/hook?x=1"
    assert json.loads(request.body) == {"report": "daily", "n": 3}
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Custom"] == "yes"
    assert request.headers["Host"] == http_server.url.removeprefix("http://")
    execution_id = keys.scheduled_execution_id(scheduled)
    assert request.headers["webhook-id"] == message_id(TENANT, schedule.id, execution_id)
    assert request.headers["X-Schedule-Id"] == schedule.id
    assert request.headers["X-Execution-Id"] == execution_id
    assert "X-Step-Id" not in request.headers
    # The receiver verifies with the tenant's secret (the one the API hands out).
    secret = get_or_create_signing_secret(TENANT)
    verified = Webhook(secret).verify(request.body, request.headers)
    assert verified == {"report": "daily", "n": 3}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body + b" ", request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(get_or_create_signing_secret("another-tenant")).verify(
            request.body, request.headers
        )

    [record] = records.list_executions(TENANT, schedule.id)[0]
    assert record.result == {"status_code": 201, "body": "created"}
    assert record.task_type == "http"


def test_http_text_body_and_get(http_server, allow_loopback):
    outcome = run_task(
        HttpTask.model_validate(_http(http_server.url + "/t", body="plain words", method="put")),
        _ctx(),
    )
    assert outcome.status == "SUCCEEDED"
    outcome = run_task(HttpTask.model_validate(_http(http_server.url, method="GET")), _ctx())
    assert outcome.status == "SUCCEEDED"
    put, get = http_server.requests
    assert (put.method, put.body, put.headers["Content-Type"]) == (
        "PUT",
        b"plain words",
        "text/plain; charset=utf-8",
    )
    assert get.method == "GET"
    assert get.body == b""
    secret = get_or_create_signing_secret(TENANT)
    Webhook(secret).verify(get.body, get.headers, json_parse=False)  # empty body signed too


def test_http_5xx_retried_then_success(http_server, allow_loopback):
    http_server.responses[:] = [(503, {}, b"busy"), (500, {}, b"oops"), (200, {}, b"fine")]
    delays: list[float] = []
    outcome = run_task(HttpTask.model_validate(_http(http_server.url)), _ctx(sleep=delays.append))
    assert outcome.status == "SUCCEEDED"
    assert outcome.attempts == 3
    assert len(delays) == 2
    assert all(0 <= d <= 0.02 for d in delays)
    # webhook-id is stable across retries; each attempt is signed afresh.
    assert {r.headers["webhook-id"] for r in http_server.requests} == {
        message_id(TENANT, "sch_00000000000000000000", "20260101T000000Z")
    }


def test_http_429_honours_retry_after_within_the_cap(http_server, allow_loopback):
    http_server.responses[:] = [(429, {"Retry-After": "1"}, b""), (204, {}, b"")]
    delays: list[float] = []
    outcome = run_task(
        HttpTask.model_validate(_http(http_server.url)),
        _ctx(
            sleep=delays.append,
            retry=RetryPolicy(max_attempts=2, backoff_seconds=0.01, max_backoff_seconds=5),
        ),
    )
    assert outcome.status == "SUCCEEDED"
    assert delays == [1.0]


def test_http_4xx_fails_at_once_and_success_codes(http_server, allow_loopback):
    http_server.responses[:] = [(404, {}, b"no such thing")]
    outcome = run_task(HttpTask.model_validate(_http(http_server.url)), _ctx())
    assert outcome.status == "FAILED"
    assert outcome.attempts == 1
    assert outcome.result == {"status_code": 404, "body": "no such thing"}
    assert outcome.error
    assert "HTTP 404" in outcome.error
    accepted = run_task(
        HttpTask.model_validate(_http(http_server.url, success_codes=[404])), _ctx()
    )
    assert accepted.status == "SUCCEEDED"
    http_server.responses[:] = [(200, {}, b"")]
    strict = run_task(HttpTask.model_validate(_http(http_server.url, success_codes=[202])), _ctx())
    assert strict.status == "FAILED"
    assert strict.attempts == 1


def test_http_timeout_is_timed_out(handler, put_schedule, allow_loopback):
    # A server that accepts connections and never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        schedule = put_schedule(
            task=_http(url, timeout_seconds=0.2),
            retry={"max_attempts": 2, "backoff_seconds": 0.01},
        )
        summary = handler(fire(schedule, datetime.now(UTC)))
    finally:
        silent.close()
    assert summary["status"] == "TIMED_OUT"
    [record] = records.list_executions(TENANT, schedule.id)[0]
    assert record.status == "TIMED_OUT"
    assert record.attempts == 2
    assert record.error
    assert "timed out" in record.error


def test_http_connection_refused_is_retried(allow_loopback):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    outcome = run_task(HttpTask.model_validate(_http(f"http://127.0.0.1:{port}/")), _ctx())
    assert outcome.status == "FAILED"
    assert outcome.attempts == 3
    assert outcome.error
    assert "cannot connect" in outcome.error


def test_http_response_is_capped(http_server, allow_loopback, monkeypatch):
    monkeypatch.setenv("HTTP_MAX_RESPONSE_BYTES", "2048")
    reset_settings()
    http_server.responses[:] = [(200, {}, b"a" * 1500 + b"b" * 100_000)]
    outcome = run_task(HttpTask.model_validate(_http(http_server.url)), _ctx())
    assert outcome.status == "SUCCEEDED"
    assert outcome.result == {"status_code": 200, "body": "a" * 1024, "body_truncated": True}
    direct = http_client.request(
        "GET", http_server.url, timeout=5, allow_loopback=True, max_response_bytes=2048
    )
    assert len(direct.body) == 2048
    assert direct.truncated


def test_redirects_off_by_default(http_server, allow_loopback):
    http_server.responses[:] = [(302, {"Location": "/next"}, b""), (200, {}, b"next")]
    outcome = run_task(HttpTask.model_validate(_http(http_server.url)), _ctx())
    assert outcome.status == "FAILED"
    assert outcome.attempts == 1
    assert outcome.result
    assert outcome.result["status_code"] == 302
    assert len(http_server.requests) == 1


def test_redirect_followed_when_on_and_method_rules(http_server, allow_loopback):
    http_server.responses[:] = [
        (303, {"Location": "/see-other"}, b""),
        (307, {"Location": "/again"}, b""),
        (200, {}, b"done"),
    ]
    task = _http(http_server.url + "/start", body={"a": 1}, follow_redirects=True)
    outcome = run_task(HttpTask.model_validate(task), _ctx())
    assert outcome.status == "SUCCEEDED"
    assert outcome.result == {"status_code": 200, "body": "done", "redirects": 2}
    first, second, third = http_server.requests
    assert (first.method, second.method, third.method) == ("POST", "GET", "GET")
    assert second.path == "/see-other"
    assert second.body == b""
    assert third.path == "/again"


def test_redirect_to_private_address_is_refused(http_server, allow_loopback):
    for location in (
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0x7f.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "file:///etc/passwd",
    ):
        http_server.requests.clear()
        http_server.responses[:] = [(302, {"Location": location}, b"")]
        task = _http(http_server.url, follow_redirects=True)
        outcome = run_task(HttpTask.model_validate(task), _ctx())
        assert outcome.status == "FAILED", location
        assert outcome.attempts == 1, location  # refusals are never retried
        assert len(http_server.requests) == 1


def test_redirect_to_loopback_refused_when_loopback_disallowed(http_server, monkeypatch):
    """The first hop is allowed through a pinned resolver; the hop to 127.0.0.1 is checked
    with the default (no loopback) policy and refused."""
    import ipaddress

    def resolver(host, port, *, allow_loopback):
        if host == "public.example":
            return [ipaddress.ip_address("127.0.0.1")]  # stands in for a public address
        from jobscheduler.gateways.ssrf import resolve

        return resolve(host, port, allow_loopback=allow_loopback)

    port = http_server.url.rsplit(":", 1)[1]
    http_server.responses[:] = [(302, {"Location": f"http://127.0.0.1:{port}/inside"}, b"")]
    with pytest.raises(http_client.HttpRefused, match="loopback"):
        http_client.request(
            "GET",
            f"http://public.example:{port}/",
            timeout=5,
            follow_redirects=True,
            resolver=resolver,
        )
    assert [r.path for r in http_server.requests] == ["/"]
    assert http_server.requests[0].headers["Host"] == f"public.example:{port}"


def test_too_many_redirects(http_server, allow_loopback):
    http_server.responses[:] = [(302, {"Location": "/loop"}, b"")]
    with pytest.raises(http_client.HttpRefused, match="more than 2 redirects"):
        http_client.request(
            "GET",
            http_server.url,
            timeout=5,
            follow_redirects=True,
            max_redirects=2,
            allow_loopback=True,
        )
    assert len(http_server.requests) == 3


def test_cross_origin_redirect_drops_every_task_header(http_server, allow_loopback):
    port = http_server.url.rsplit(":", 1)[1]
    http_server.responses[:] = [
        (307, {"Location": f"http://localhost:{port}/other"}, b""),
        (200, {}, b""),
    ]
    http_client.request(
        "GET",
        http_server.url,
        headers={"Authorization": "Bearer s3cret", "X-Keep": "1"},
        timeout=5,
        follow_redirects=True,
        allow_loopback=True,
    )
    first, second = http_server.requests
    assert first.headers["Authorization"] == "Bearer s3cret"
    assert "Authorization" not in second.headers
    assert "X-Keep" not in second.headers


def test_loopback_refused_by_default(handler, put_schedule, http_server, aws):
    schedule = put_schedule(task=_http(http_server.url))
    summary = handler(fire(schedule, datetime.now(UTC)))
    assert summary["status"] == "FAILED"
    [record] = records.list_executions(TENANT, schedule.id)[0]
    assert record.attempts == 1
    assert record.error
    assert "loopback" in record.error
    assert http_server.requests == []


SSRF_URLS = (
    "http://localhost:{port}/",
    "http://169.254.169.254/latest/meta-data/",
    "http://2130706433:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://0x7f.1:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::1]:{port}/",
    "http://10.0.0.1/",
    "http://100.64.1.1/",
    "http://[fd00::1]/",
)


def test_ssrf_targets_refused_in_the_run(http_server, aws):
    """Through the task model (pydantic normalizes numeric spellings to dotted quads)
    and the runner: each refused, once, without a request."""
    port = http_server.url.rsplit(":", 1)[1]
    for url in SSRF_URLS:
        task = HttpTask.model_validate(_http(url.format(port=port)))
        outcome = run_task(task, _ctx())
        assert (outcome.status, outcome.attempts) == ("FAILED", 1), url
        # Literal addresses and loopback names are refused before any lookup (the
        # rules of the create-time check, applied again at run time); names resolve.
        assert any(
            why in (outcome.error or "") for why in ("resolves to", "address", "loopback name")
        ), url
    assert http_server.requests == []


def test_dialled_address_is_the_checked_one(http_server, allow_loopback, monkeypatch):
    """DNS answers 127.0.0.1 first and a private address afterwards (rebinding): the
    client resolves once and connects to what it checked; Host keeps the name."""
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1", "10.0.0.1", "10.0.0.1"])

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = http_server.url.rsplit(":", 1)[1]
    response = http_client.request(
        "GET", f"http://rebind.example:{port}/r", timeout=5, allow_loopback=True
    )
    assert response.status_code == 200
    [request] = http_server.requests
    assert request.headers["Host"] == f"rebind.example:{port}"


def test_cross_origin_redirect_carries_no_task_or_webhook_header(http_server, allow_loopback):
    """A signed task with an API key follows a 307 to another origin (same server, other
    host name): the second hop gets the body and the client's own headers, nothing else."""
    port = http_server.url.rsplit(":", 1)[1]
    http_server.responses[:] = [
        (307, {"Location": f"http://localhost:{port}/elsewhere"}, b""),
        (200, {}, b"done"),
    ]
    task = _http(
        http_server.url + "/start",
        body={"a": 1},
        headers={"X-Api-Key": "k-123", "Authorization": "Bearer t", "Cookie": "s=1"},
        follow_redirects=True,
    )
    outcome = run_task(HttpTask.model_validate(task), _ctx())
    assert outcome.status == "SUCCEEDED"
    first, second = http_server.requests
    assert first.headers["X-Api-Key"] == "k-123"
    assert first.headers["webhook-signature"]
    assert second.path == "/elsewhere"
    assert second.body == b'{"a":1}'  # 307 keeps method and body
    sent = {name.lower() for name in second.headers}
    for name in ("x-api-key", "authorization", "cookie"):
        assert name not in sent
    assert not [name for name in sent if name.startswith("webhook-")]
    assert sent <= {"host", "user-agent", "content-type", "content-length", "accept-encoding"}


def test_same_origin_redirect_keeps_task_headers_and_signature(http_server, allow_loopback):
    http_server.responses[:] = [(308, {"Location": "/moved"}, b""), (200, {}, b"")]
    task = _http(http_server.url, headers={"X-Api-Key": "k-123"}, follow_redirects=True)
    assert run_task(HttpTask.model_validate(task), _ctx()).status == "SUCCEEDED"
    first, second = http_server.requests
    assert second.headers["X-Api-Key"] == "k-123"
    assert second.headers["webhook-id"] == first.headers["webhook-id"]


def test_task_user_agent_replaces_ours_whatever_its_case(monkeypatch, allow_loopback):
    sent: list[dict[str, str]] = []

    def capture(method, url, *, headers, **_):
        sent.append(dict(headers))
        return http_client.HttpResponse(status_code=200, body=b"", truncated=False, url=url)

    monkeypatch.setattr(http_client, "request", capture)
    task = _http("https://example.com/", headers={"user-agent": "mine/2"})
    assert run_task(HttpTask.model_validate(task), _ctx()).status == "SUCCEEDED"
    [headers] = sent
    assert [v for k, v in headers.items() if k.lower() == "user-agent"] == ["mine/2"]


def test_webhook_id_names_one_message_across_schedules_tenants_and_steps(
    http_server, allow_loopback
):
    """Standard Webhooks receivers drop a repeated webhook-id: two schedules (of two
    tenants) firing in the same minute, and two steps of one fire, must differ; a
    retried or redelivered message must not."""
    task = HttpTask.model_validate(
        _http(http_server.url, headers={"webhook-id": "forged", "x-schedule-id": "forged"})
    )
    fire = "20260101T000000Z"
    contexts = [
        _ctx(),
        _ctx(),  # redelivery of the same fire
        _ctx(tenant="tenant-b", schedule_id="sch_11111111111111111111"),
        _ctx(schedule_id="sch_22222222222222222222"),
        _ctx(execution_id="20260101T000100Z"),
    ]
    for ctx in contexts:
        assert run_task(task, ctx).status == "SUCCEEDED"
    ids = [r.headers["webhook-id"] for r in http_server.requests]
    assert ids[0] == ids[1]
    assert len(set(ids)) == 4
    assert all(i.startswith("msg_") and len(i) == 36 for i in ids)
    assert [r.headers["X-Schedule-Id"] for r in http_server.requests][2] == (
        "sch_11111111111111111111"
    )
    assert {r.headers["X-Execution-Id"] for r in http_server.requests} == {
        fire,
        "20260101T000100Z",
    }
    # The task's own same-named headers never replace ours (no duplicate either).
    assert all(
        [k.lower() for k in r.headers].count("webhook-id") == 1 for r in http_server.requests
    )


def test_sequence_steps_get_their_own_message_ids(http_server, allow_loopback):
    from jobscheduler.models.tasks import SequenceTask

    sequence = SequenceTask.model_validate(
        {
            "type": "sequence",
            "steps": [
                {"id": "first", "task": _http(http_server.url + "/1")},
                {"id": "second", "task": _http(http_server.url + "/2", method="GET")},
            ],
        }
    )
    assert run_task(sequence, _ctx()).status == "SUCCEEDED"
    one, two = http_server.requests
    assert one.headers["webhook-id"] == message_id(
        TENANT, "sch_00000000000000000000", "20260101T000000Z.first"
    )
    assert one.headers["webhook-id"] != two.headers["webhook-id"]
    assert (one.headers["X-Step-Id"], two.headers["X-Step-Id"]) == ("first", "second")


def test_a_bodyless_request_verifies_by_hand(http_server, allow_loopback):
    """What docs/webhooks.md tells a receiver to do without the library."""
    import base64
    import hashlib
    import hmac

    run_task(HttpTask.model_validate(_http(http_server.url, method="GET")), _ctx())
    [get] = http_server.requests
    secret = get_or_create_signing_secret(TENANT)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{get.headers['webhook-id']}.{get.headers['webhook-timestamp']}.".encode()
    expected = base64.b64encode(hmac.new(key, signed + get.body, hashlib.sha256).digest())
    versions = [s.split(",", 1) for s in get.headers["webhook-signature"].split()]
    assert any(v == "v1" and hmac.compare_digest(sig.encode(), expected) for v, sig in versions)
