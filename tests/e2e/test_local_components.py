"""The local stack's pieces in-process (no subprocess): the payload v2 event, the HTTP and
Lambda API servers over loopback, the Scheduler emulator, the event printer and the
state file against moto."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from local.event_printer import EventPrinter, format_event
from local.functions import FunctionNotFoundError, FunctionRegistry, merged_environment
from local.http_api import (
    ApiConfig,
    ApiServer,
    NoRouteError,
    Route,
    RouteMatch,
    api_config_from_template,
    build_event,
    identity_from_authorization,
    map_response,
    match_route,
)
from local.lambda_api import LambdaApiServer
from local.resources import plan
from local.scheduler_emulator import SchedulerEmulator, iso_z
from local.state import StateStore


def _jwt(payload: dict[str, Any]) -> str:
    def seg(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{seg({'alg': 'none'})}.{seg(payload)}.sig"


# ---- payload v2 event ----------------------------------------------------------------


def test_build_event_matches_api_gateway_v2_for_proxy_route_on_default_stage() -> None:
    # stage and routes come from template.yaml: $default, ANY /{proxy+} authorized.
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    event = build_event(
        method="post",
        target="/schedules/abc?tag=a&tag=b&empty=&q=x%20y",
        headers=[
            ("Host", "127.0.0.1:3000"),
            ("X-Multi", "1"),
            ("x-multi", "2"),
            ("Cookie", "a=1; b=2"),
            ("User-Agent", "curl/8"),
            ("Authorization", "Bearer alice"),
        ],
        body=b'{"name": "x"}',
        source_ip="127.0.0.1",
        now=now,
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /{proxy+}"
    assert event["rawPath"] == "/schedules/abc"
    assert event["rawQueryString"] == "tag=a&tag=b&empty=&q=x%20y"
    assert event["queryStringParameters"] == {"tag": "a,b", "empty": "", "q": "x y"}
    assert event["headers"]["x-multi"] == "1,2"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["pathParameters"] == {"proxy": "schedules/abc"}
    assert event["body"] == '{"name": "x"}'
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["http"] == {
        "method": "POST",
        "path": "/schedules/abc",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "curl/8",
    }
    assert ctx["stage"] == "$default"
    assert ctx["routeKey"] == "ANY /{proxy+}"
    assert ctx["time"] == "22/Nov/2026:09:00:00 +0000"
    assert ctx["timeEpoch"] == int(now.timestamp() * 1000)
    assert ctx["authorizer"]["jwt"]["claims"] == {"sub": "alice"}


@pytest.mark.parametrize("path", ["/health", "/docs", "/openapi.json"])
def test_build_event_for_public_route_has_no_authorizer_nor_path_parameters(path: str) -> None:
    # A token sent anyway changes nothing: API Gateway runs no authorizer on the route.
    event = build_event(
        method="GET",
        target=path + "?x=1",
        headers=[("Authorization", "Bearer alice")],
        body=b"",
        source_ip="127.0.0.1",
    )
    assert event["routeKey"] == event["requestContext"]["routeKey"] == f"GET {path}"
    assert event["rawPath"] == event["requestContext"]["http"]["path"] == path
    assert event["requestContext"]["stage"] == "$default"
    assert "authorizer" not in event["requestContext"]
    assert "pathParameters" not in event
    assert event["headers"]["authorization"] == "Bearer alice"
    assert event["queryStringParameters"] == {"x": "1"}


@pytest.mark.parametrize(
    ("method", "target", "proxy"),
    [
        ("HEAD", "/health", "health"),  # routes match the exact method only
        ("POST", "/health", "health"),
        ("GET", "/health/", "health/"),  # nor a trailing slash
        ("GET", "/docs/x", "docs/x"),
        ("GET", "/schedules/a%20b/", "schedules/a b/"),
    ],
)
def test_build_event_falls_back_to_the_authorized_proxy_route(
    method: str, target: str, proxy: str
) -> None:
    event = build_event(method=method, target=target, headers=[], body=b"", source_ip="::1")
    assert event["routeKey"] == "ANY /{proxy+}"
    assert event["pathParameters"] == {"proxy": proxy}
    assert event["requestContext"]["authorizer"]["jwt"]["claims"] == {"sub": "local"}


def test_build_event_without_a_matching_route_raises() -> None:
    # "/" matches no route: {proxy+} needs a segment (API Gateway answers 404 itself).
    with pytest.raises(NoRouteError):
        build_event(method="GET", target="/", headers=[], body=b"", source_ip="::1")
    with pytest.raises(NoRouteError):
        build_event(
            method="GET",
            target="/schedules",
            headers=[],
            body=b"",
            source_ip="::1",
            routes=[Route("GET /health", authorized=False)],
        )


def test_build_event_on_named_stage_prefixes_paths_and_encodes_binary_body() -> None:
    for target in ("/health", "/dev/health"):  # the prefix is optional locally
        event = build_event(
            method="GET",
            target=target,
            headers=[],
            body=b"\xff\xfe",
            source_ip="127.0.0.1",
            stage="dev",
        )
        assert event["rawPath"] == event["requestContext"]["http"]["path"] == "/dev/health"
        assert event["requestContext"]["stage"] == "dev"
        assert event["routeKey"] == "GET /health"
        assert "queryStringParameters" not in event
        assert event["isBase64Encoded"] is True
        assert base64.b64decode(event["body"]) == b"\xff\xfe"
    event = build_event(
        method="GET", target="/schedules", headers=[], body=b"", source_ip="::1", stage="dev"
    )
    assert event["rawPath"] == "/dev/schedules"
    assert event["pathParameters"] == {"proxy": "schedules"}


def test_match_route_prefers_literal_then_param_then_greedy_and_exact_method() -> None:
    routes = [
        Route("ANY /{proxy+}", authorized=True),
        Route("ANY /items/{id}", authorized=True),
        Route("GET /items/{id}", authorized=True),
        Route("GET /items/new", authorized=False),
    ]
    assert match_route(routes, "GET", "/items/new") == RouteMatch(routes[3], {})
    assert match_route(routes, "GET", "/items/7") == RouteMatch(routes[2], {"id": "7"})
    assert match_route(routes, "DELETE", "/items/7") == RouteMatch(routes[1], {"id": "7"})
    assert match_route(routes, "GET", "/items/7/x") == RouteMatch(routes[0], {"proxy": "items/7/x"})
    assert match_route(routes, "GET", "/items/") == RouteMatch(routes[0], {"proxy": "items/"})
    catch_all = Route("$default", authorized=True)
    assert match_route([catch_all], "GET", "/") == RouteMatch(catch_all, {})


def test_api_config_comes_from_the_template() -> None:
    config = api_config_from_template()
    assert config.stage == "$default"
    assert set(config.routes) == {
        Route("ANY /{proxy+}", authorized=True),
        Route("GET /health", authorized=False),
        Route("GET /docs", authorized=False),
        Route("GET /openapi.json", authorized=False),
        Route("GET /console", authorized=False),
        Route("GET /console/{proxy+}", authorized=False),
    }
    # A user's template with a named stage from a parameter and a literal JWT route.
    custom = {
        "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
        "Resources": {
            "S": {
                "Type": "AWS::ApiGatewayV2::Stage",
                "Properties": {"StageName": {"Ref": "Stage"}},
            },
            "R": {
                "Type": "AWS::ApiGatewayV2::Route",
                "Properties": {"RouteKey": "ANY /{proxy+}", "AuthorizationType": "JWT"},
            },
            "P": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {"RouteKey": "GET /ping"}},
        },
    }
    assert api_config_from_template(custom) == ApiConfig(
        stage="dev",
        routes=(Route("ANY /{proxy+}", authorized=True), Route("GET /ping", authorized=False)),
    )


def test_identity_from_jwt_is_decoded_not_verified() -> None:
    claims, scopes = identity_from_authorization(
        "Bearer " + _jwt({"sub": "u1", "aud": ["a", "b"], "exp": 5, "scope": "read write"})
    )
    assert claims == {"sub": "u1", "aud": "[a b]", "exp": "5", "scope": "read write"}
    assert scopes == ["read", "write"]
    assert identity_from_authorization(None) == ({"sub": "local"}, None)
    assert identity_from_authorization("Basic abc") == ({"sub": "local"}, None)
    # Three dots but not base64 JSON: treated as an opaque token.
    assert identity_from_authorization("Bearer a.b.c")[0] == {"sub": "a.b.c"}


def test_map_response_handles_cookies_base64_and_inferred_results() -> None:
    status, headers, body = map_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "text/plain"},
            "cookies": ["a=1", "b=2"],
            "body": base64.b64encode(b"\x00\x01").decode(),
            "isBase64Encoded": True,
        }
    )
    assert status == 201
    assert ("Set-Cookie", "a=1") in headers
    assert ("Set-Cookie", "b=2") in headers
    assert body == b"\x00\x01"
    assert map_response({"ok": True}) == (
        200,
        [("Content-Type", "application/json")],
        b'{"ok": true}',
    )


# ---- HTTP API server ----------------------------------------------------------------


def _serve(server: Any) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def test_api_server_round_trip_404_without_route_and_500_on_handler_exception() -> None:
    seen: list[dict[str, Any]] = []

    def invoke(event: dict[str, Any]) -> Any:
        seen.append(event)
        if event["rawPath"].endswith("/boom"):
            raise RuntimeError("boom")
        authorizer = event["requestContext"].get("authorizer")
        return {
            "statusCode": 202,
            "headers": {"X-Echo": authorizer["jwt"]["claims"]["sub"] if authorizer else "-"},
            "body": json.dumps({"path": event["rawPath"], "route": event["routeKey"]}),
        }

    server = ApiServer(("127.0.0.1", 0), invoke)  # template.yaml's stage and routes
    _serve(server)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        request = urllib.request.Request(
            base + "/schedules?x=1",
            data=b"{}",
            method="POST",
            headers={"Authorization": "Bearer bob", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 202
            assert response.headers["X-Echo"] == "bob"
            assert json.loads(response.read()) == {"path": "/schedules", "route": "ANY /{proxy+}"}
        assert seen[0]["body"] == "{}"
        with urllib.request.urlopen(base + "/schedules", timeout=5) as response:
            assert response.headers["X-Echo"] == "local"  # no token: the local tenant
        with urllib.request.urlopen(base + "/health", timeout=5) as response:
            assert response.headers["X-Echo"] == "-"
            assert json.loads(response.read()) == {"path": "/health", "route": "GET /health"}
        calls = len(seen)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base + "/", timeout=5)
        assert err.value.code == 404
        assert json.loads(err.value.read()) == {"message": "Not Found"}
        assert len(seen) == calls  # API Gateway never invokes the function then
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base + "/boom", timeout=5)
        assert err.value.code == 500
        assert json.loads(err.value.read()) == {"message": "Internal Server Error"}
    finally:
        server.shutdown()
        server.server_close()


def test_api_server_on_named_stage_prefixes_paths() -> None:
    seen: list[dict[str, Any]] = []

    def invoke(event: dict[str, Any]) -> Any:
        seen.append(event)
        return {"statusCode": 204}

    server = ApiServer(("127.0.0.1", 0), invoke, stage="dev")
    _serve(server)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/health"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 204
        assert seen[0]["rawPath"] == "/dev/health"
        assert seen[0]["requestContext"]["stage"] == "dev"
    finally:
        server.shutdown()
        server.server_close()


def test_api_server_with_the_real_handler_public_routes_and_local_tenant(aws: Any) -> None:
    from api_handler import lambda_handler

    class Context:
        function_name = "ApiFunction"
        memory_limit_in_mb = 256
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
        aws_request_id = "req-1"

        def get_remaining_time_in_millis(self) -> int:
            return 29_000

    server = ApiServer(("127.0.0.1", 0), lambda event: lambda_handler(event, Context()))
    _serve(server)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for path, kind in (
            ("/health", "application/json"),
            ("/docs", "text/html"),
            ("/openapi.json", "application/json"),
        ):
            with urllib.request.urlopen(base + path, timeout=10) as response:  # no token
                assert response.status == 200, path
                assert response.headers["Content-Type"].startswith(kind), path
        # No token on an authorized route: the local-only default identity, tenant "local".
        sample = Path(__file__).resolve().parents[2] / "events" / "api-create.json"
        request = urllib.request.Request(
            base + "/schedules",
            data=json.loads(sample.read_text())["body"].encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            schedule_id = json.loads(response.read())["id"]
        as_local = urllib.request.Request(
            f"{base}/schedules/{schedule_id}", headers={"Authorization": "Bearer local"}
        )
        with urllib.request.urlopen(as_local, timeout=10) as response:
            assert response.status == 200
        as_other = urllib.request.Request(
            f"{base}/schedules/{schedule_id}", headers={"Authorization": "Bearer mallory"}
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(as_other, timeout=10)
        assert err.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


# ---- Lambda Invoke API ----------------------------------------------------------------


@pytest.fixture
def registry() -> FunctionRegistry:
    reg = FunctionRegistry(plan())

    def api(event: Any, context: Any) -> Any:
        if isinstance(event, dict) and event.get("fail"):
            raise ValueError("bad input")
        return {"echo": event, "fn": context.function_name, "ms": context.memory_limit_in_mb}

    calls: list[Any] = []

    def executor(event: Any, context: Any) -> Any:
        calls.append(event)
        return None

    reg._handlers = {"ApiFunction": api, "ExecutorFunction": executor}
    reg.calls = calls  # type: ignore[attr-defined]
    return reg


def test_registry_resolves_names_arns_and_logical_ids(registry: FunctionRegistry) -> None:
    api = registry.specs["ApiFunction"]
    assert registry.resolve(api.name) is api
    assert registry.resolve(api.arn) is api
    assert registry.resolve(api.arn + ":$LATEST") is api
    assert registry.resolve("ApiFunction") is api
    assert registry.specs["ExecutorFunction"].timeout_s == 300
    with pytest.raises(FunctionNotFoundError):
        registry.resolve("nope")
    with pytest.raises(FunctionNotFoundError):
        registry.resolve("arn:aws:sqs:us-east-1:123456789012:function:x")
    env = merged_environment(registry.stack)
    assert "EXECUTOR_FUNCTION_ARN" in env
    assert "HTTP_MAX_RESPONSE_BYTES" in env


def test_lambda_api_like_aws(registry: FunctionRegistry) -> None:
    server = LambdaApiServer(("127.0.0.1", 0), registry)
    _serve(server)
    client = boto3.client(
        "lambda",
        endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
        config=Config(retries={"max_attempts": 1}),
    )
    api_name = registry.specs["ApiFunction"].name
    try:
        ok = client.invoke(FunctionName=api_name, Payload=b'{"a": 1}')
        assert ok["StatusCode"] == 200
        assert "FunctionError" not in ok
        assert json.loads(ok["Payload"].read()) == {"echo": {"a": 1}, "fn": api_name, "ms": 256}

        failed = client.invoke(FunctionName="ApiFunction", Payload=b'{"fail": true}')
        assert failed["StatusCode"] == 200
        assert failed["FunctionError"] == "Unhandled"
        error = json.loads(failed["Payload"].read())
        assert error["errorType"] == "ValueError"
        assert error["errorMessage"] == "bad input"

        dry = client.invoke(FunctionName=api_name, InvocationType="DryRun")
        assert dry["StatusCode"] == 204

        arn = registry.specs["ExecutorFunction"].arn
        queued = client.invoke(FunctionName=arn, InvocationType="Event", Payload=b'{"k": 2}')
        assert queued["StatusCode"] == 202
        deadline = time.monotonic() + 5
        while not registry.calls and time.monotonic() < deadline:
            time.sleep(0.02)
        assert registry.calls == [{"k": 2}]

        with pytest.raises(client.exceptions.ResourceNotFoundException) as err:
            client.invoke(FunctionName="no-such-function", Payload=b"{}")
        assert "Function not found" in str(err.value)
        with pytest.raises(client.exceptions.InvalidRequestContentException):
            client.invoke(FunctionName=api_name, Payload=b"{not json")
    finally:
        server.shutdown()
        server.server_close()
        server.close()


# ---- Scheduler emulator (moto in-process) ----------------------------------------------


class _Recorder:
    def __init__(self, fail_times: int = 0) -> None:
        self.calls: list[tuple[str, Any, float]] = []
        self.fail_times = fail_times
        self.lock = threading.Lock()

    def __call__(self, arn: str, event: Any) -> Any:
        with self.lock:
            self.calls.append((arn, event, time.time()))
            if len(self.calls) <= self.fail_times:
                raise RuntimeError(f"failure {len(self.calls)}")
        return None

    def wait(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.02)


def _entry(stack: Any, name: str, expression: str, **extra: Any) -> None:
    target = {
        "Arn": stack.att("ExecutorFunction", "Arn"),
        "RoleArn": stack.att("SchedulerRole", "Arn"),
        "Input": json.dumps(
            {
                "schedule_id": name,
                "scheduled_time": "<aws.scheduler.scheduled-time>",
                "scheduler_execution_id": "<aws.scheduler.execution-id>",
                "attempt_number": "<aws.scheduler.attempt-number>",
                "arn": "<aws.scheduler.schedule-arn>",
            }
        ),
        "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60},
        "DeadLetterConfig": {"Arn": stack.att("DeadLetterQueue", "Arn")},
    }
    target.update(extra.pop("target", {}))
    boto3.client("scheduler").create_schedule(
        GroupName=stack.ref("ScheduleGroup"),
        Name=name,
        ScheduleExpression=expression,
        FlexibleTimeWindow=extra.pop("window", {"Mode": "OFF"}),
        Target=target,  # type: ignore[arg-type]
        **extra,
    )


def _at(seconds: float) -> tuple[str, datetime]:
    # at() has one-second resolution: pick the next whole second at least `seconds` away.
    when = (datetime.now(UTC) + timedelta(seconds=seconds + 1)).replace(microsecond=0)
    return f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})", when


def _emulator(stack: Any, invoker: Any, **kwargs: Any) -> SchedulerEmulator:
    return SchedulerEmulator(
        scheduler_client=boto3.client("scheduler"),
        sqs_client=boto3.client("sqs"),
        group=stack.ref("ScheduleGroup"),
        invoker=invoker,
        refresh_s=0.1,
        retry_scale_s=0.05,
        **kwargs,
    )


def test_emulator_fires_one_off_on_time_with_context_attributes_then_deletes(aws: Any) -> None:
    expression, when = _at(0.5)
    _entry(aws, "one-0", expression, ActionAfterCompletion="DELETE")
    _entry(aws, "paused-0", expression, State="DISABLED")
    recorder = _Recorder()
    emulator = _emulator(aws, recorder)
    emulator.start()
    try:
        recorder.wait(1)
        time.sleep(0.5)  # a DISABLED entry would have fired by now too
        assert len(recorder.calls) == 1
        arn, event, at = recorder.calls[0]
        assert arn == aws.att("ExecutorFunction", "Arn")
        assert event["schedule_id"] == "one-0"
        assert event["scheduled_time"] == iso_z(when)
        assert event["attempt_number"] == "1"
        assert len(event["scheduler_execution_id"]) == 36
        assert event["arn"].endswith(":schedule/" + aws.ref("ScheduleGroup") + "/one-0")
        assert 0 <= at - when.timestamp() < 1.0
        deadline = time.monotonic() + 3
        names: list[str] = ["one-0"]
        while "one-0" in names and time.monotonic() < deadline:
            names = [
                s["Name"]
                for s in boto3.client("scheduler").list_schedules(
                    GroupName=aws.ref("ScheduleGroup")
                )["Schedules"]
            ]
            time.sleep(0.05)
        assert names == ["paused-0"]  # ActionAfterCompletion DELETE; the paused one stays
    finally:
        emulator.stop()


def test_emulator_retries_then_dead_letters_with_scheduler_attributes(aws: Any) -> None:
    expression, _ = _at(0.2)
    _entry(aws, "failing-0", expression)
    recorder = _Recorder(fail_times=99)
    emulator = _emulator(aws, recorder)
    emulator.start()
    try:
        recorder.wait(3)
        time.sleep(0.3)
        assert [c[1]["attempt_number"] for c in recorder.calls] == ["1", "2", "3"]
        assert len({c[1]["scheduler_execution_id"] for c in recorder.calls}) == 1
        sqs = boto3.client("sqs")
        messages = sqs.receive_message(
            QueueUrl=aws.ref("DeadLetterQueue"),
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
        )["Messages"]
        assert len(messages) == 1
        attributes = {k: v["StringValue"] for k, v in messages[0]["MessageAttributes"].items()}
        assert attributes["ERROR_CODE"] == "RuntimeError"
        assert attributes["ERROR_MESSAGE"] == "failure 3"
        assert attributes["RETRY_ATTEMPTS"] == "2"
        assert attributes["TARGET_ARN"] == aws.att("ExecutorFunction", "Arn")
        assert attributes["SCHEDULE_ARN"].endswith("/failing-0")
        assert attributes["GROUP"] == aws.ref("ScheduleGroup")
        assert attributes["EXECUTION_ID"] == recorder.calls[0][1]["scheduler_execution_id"]
        assert json.loads(messages[0]["Body"])["schedule_id"] == "failing-0"
        assert emulator.stats.dead_lettered == 1
    finally:
        emulator.stop()


def test_emulator_recovers_within_retry_policy(aws: Any) -> None:
    expression, _ = _at(0.2)
    _entry(aws, "flaky-0", expression)
    recorder = _Recorder(fail_times=1)
    emulator = _emulator(aws, recorder)
    emulator.start()
    try:
        recorder.wait(2)
        time.sleep(0.3)
        assert len(recorder.calls) == 2
        assert emulator.stats.dead_lettered == 0
    finally:
        emulator.stop()


def test_emulator_flexible_window_delays_within_window(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random

    picked: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        picked.append((low, high))
        return 0.4 if high == 120 else low

    monkeypatch.setattr(random, "uniform", uniform)
    expression, when = _at(0.2)
    _entry(aws, "flex-0", expression, window={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 2})
    recorder = _Recorder()
    emulator = _emulator(aws, recorder)
    emulator.start()
    try:
        recorder.wait(1)
        assert (0, 120) in picked
        at = recorder.calls[0][2]
        assert 0.4 <= at - when.timestamp() < 1.4
        # The scheduled time stays the nominal one, as with Scheduler.
        assert recorder.calls[0][1]["scheduled_time"] == iso_z(when)
    finally:
        emulator.stop()


def test_emulator_plans_cron_rate_and_honours_state_and_end(aws: Any) -> None:
    from jobscheduler.expressions import next_runs

    now = datetime.now(UTC)
    _entry(aws, "cron-0", "cron(* * * * ? *)", ScheduleExpressionTimezone="Europe/Paris")
    _entry(aws, "rate-0", "rate(5 minutes)")
    # Its grid (StartDate, then every 5 minutes) has no point between now and EndDate.
    _entry(
        aws,
        "ended-0",
        "rate(5 minutes)",
        StartDate=now - timedelta(minutes=4),
        EndDate=now + timedelta(seconds=30),
    )
    _entry(aws, "off-0", "cron(* * * * ? *)", State="DISABLED")
    emulator = _emulator(aws, _Recorder(), next_runs=next_runs)
    emulator.refresh()
    planned = {job.name: job.scheduled for job in emulator._heap}
    assert set(planned) == {"cron-0", "rate-0"}
    next_minute = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    assert planned["cron-0"] == next_minute
    # Without StartDate, Scheduler runs a rate first when it is created.
    created = emulator.index["rate-0"].created
    assert abs((planned["rate-0"] - created).total_seconds()) < 1
    # A pause (an update) is picked up at the next refresh: no fire stays planned.
    boto3.client("scheduler").update_schedule(
        GroupName=aws.ref("ScheduleGroup"),
        Name="cron-0",
        ScheduleExpression="cron(* * * * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": aws.att("ExecutorFunction", "Arn"),
            "RoleArn": aws.att("SchedulerRole", "Arn"),
        },
        State="DISABLED",
    )
    emulator.refresh()
    assert emulator.index["cron-0"].state == "DISABLED"
    live = {
        job.name
        for job in emulator._heap
        if job.name in emulator.index and emulator.index[job.name].generation == job.generation
    }
    assert live == {"rate-0"}
    emulator.stop()


# ---- event printer ----------------------------------------------------------------


def test_format_event_one_line() -> None:
    envelope = {
        "Type": "Notification",
        "Message": json.dumps(
            {
                "type": "com.jobscheduler.execution.failed",
                "time": "2026-11-22T09:00:01.250000Z",
                "subject": "sch_1",
                "data": {"event_type": "execution.failed", "duration_ms": 12, "error": "HTTP 500"},
            }
        ),
        "MessageAttributes": {
            "event_type": {"Type": "String", "Value": "execution.failed"},
            "schedule_id": {"Type": "String", "Value": "sch_1"},
            "status": {"Type": "String", "Value": "FAILED"},
            "tenant": {"Type": "String", "Value": "local"},
        },
    }
    line = format_event(envelope)
    assert "\n" not in line
    assert line.startswith("09:00:01.250")
    for part in ("execution.failed", "sch_1", "FAILED", "12 ms", "error: HTTP 500"):
        assert part in line
    assert format_event({}).split()[1] == "?"


def test_event_printer_prints_published_events(aws: Any) -> None:
    from jobscheduler.gateways.events import publish
    from jobscheduler.models.events import LifecycleEvent

    lines: list[str] = []
    printer = EventPrinter(
        sns_client=boto3.client("sns"),
        sqs_client=boto3.client("sqs"),
        topic_arn=aws.ref("EventsTopic"),
        queue_name="printer-test",
        printer=lines.append,
    )
    printer.setup()
    publish(
        LifecycleEvent(
            event_type="execution.succeeded",
            tenant="t1",
            schedule_id="sch_9",
            status="SUCCEEDED",
            task_type="http",
            data={"duration_ms": 42, "lateness_ms": 7},
        )
    )
    assert printer.poll_once(wait_s=0) == 1
    assert "execution.succeeded" in lines[0]
    assert "sch_9" in lines[0]
    assert "42 ms" in lines[0]
    assert printer.poll_once(wait_s=0) == 0  # deleted after printing


# ---- state file --------------------------------------------------------------------


def _store(stack: Any, path: Path) -> StateStore:
    return StateStore(
        path,
        clients={n: boto3.client(n) for n in ("dynamodb", "scheduler", "sns", "ssm")},
        table_name=stack.ref("Table"),
        group=stack.ref("ScheduleGroup"),
        topic_arn=stack.ref("EventsTopic"),
        secret_prefix="/job-scheduler-local/webhook-secrets/",
    )


def test_state_round_trip(tmp_path: Path) -> None:
    from moto import mock_aws

    from jobscheduler.aws import reset_clients
    from local.resources import provision

    path = tmp_path / "state.json"
    created = datetime.now(UTC)
    with mock_aws():
        reset_clients()
        stack = plan()
        provision(stack)
        boto3.client("dynamodb").put_item(
            TableName=stack.ref("Table"),
            Item={"PK": {"S": "T#a"}, "SK": {"S": "S#1"}, "blob": {"B": b"\x00\x01"}},
        )
        _entry(stack, "keep-0", "rate(5 minutes)")
        boto3.client("sns").subscribe(
            TopicArn=stack.ref("EventsTopic"), Protocol="http", Endpoint="http://127.0.0.1:9/x"
        )
        boto3.client("ssm").put_parameter(
            Name="/job-scheduler-local/webhook-secrets/a", Value="whsec_x", Type="SecureString"
        )
        size = _store(stack, path).save({"keep-0": {"anchor": created, "last_fired": created}})
        assert size > 0
        assert not list(tmp_path.glob(".state-*"))  # the temp file was renamed
    with mock_aws():
        reset_clients()
        stack = plan()
        provision(stack)
        store = _store(stack, path)
        data = store.load()
        assert data is not None
        emulator_state = store.restore(data)
        item = boto3.client("dynamodb").get_item(
            TableName=stack.ref("Table"), Key={"PK": {"S": "T#a"}, "SK": {"S": "S#1"}}
        )["Item"]
        assert item["blob"]["B"] == b"\x00\x01"
        detail = boto3.client("scheduler").get_schedule(
            GroupName=stack.ref("ScheduleGroup"), Name="keep-0"
        )
        assert detail["ScheduleExpression"] == "rate(5 minutes)"
        assert detail["Target"]["DeadLetterConfig"]["Arn"] == stack.att("DeadLetterQueue", "Arn")
        subs = boto3.client("sns").list_subscriptions_by_topic(TopicArn=stack.ref("EventsTopic"))
        assert [s["Endpoint"] for s in subs["Subscriptions"]] == ["http://127.0.0.1:9/x"]
        value = boto3.client("ssm").get_parameter(
            Name="/job-scheduler-local/webhook-secrets/a", WithDecryption=True
        )["Parameter"]["Value"]
        assert value == "whsec_x"
        assert emulator_state["anchors"]["keep-0"] == created
        assert emulator_state["last_fired"]["keep-0"] == created
    reset_clients()


def test_state_file_of_another_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"version": 99}')
    store = StateStore(
        path, clients={}, table_name="t", group="g", topic_arn="a", secret_prefix="/"
    )
    with pytest.raises(ValueError, match="version"):
        store.load()
    assert (
        StateStore(
            tmp_path / "absent.json",
            clients={},
            table_name="t",
            group="g",
            topic_arn="a",
            secret_prefix="/",
        ).load()
        is None
    )
