"""A corpus of hostile requests through the real handler under moto. Each must get a 4xx
in the API's error shape (a code and a message), and none may write anything: the
table and the Scheduler entries are compared before and after every request, and no
lifecycle event may be published."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.integration.api.conftest import Api, EventQueue, all_items, create_body, entries

MIN_CORPUS = 150


@dataclass
class Hostile:
    label: str
    sample: str
    path: str | None = None  # "{active}" / "{paused}" are filled in
    body: Any = None
    raw_body: str | None = None
    base64_body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] | None = None
    status: int | None = None  # the exact status expected, when there is one
    code: str | None = None  # the exact error code expected, when there is one


def _with_task(**task_changes: Any) -> dict[str, Any]:
    body = create_body()
    body["task"] = {**body["task"], **task_changes}
    return body


def _nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def _corpus() -> list[Hostile]:
    cases: list[Hostile] = []
    add = cases.append
    body_routes = (
        ("create", None),
        ("update", "/schedules/{active}"),
        ("pause", "/schedules/{active}/pause"),
        ("preview", None),
    )

    # Bodies that are not UTF-8 (API Gateway passes them base64-encoded).
    for raw in (b'{"name": "\xff\xfe"}', b"\xc3\x28", b"\xed\xa0\x80", b'{"a": "\x80"}'):
        for sample, path in body_routes:
            add(
                Hostile(
                    f"not utf-8 {raw!r} {sample}",
                    sample,
                    path,
                    base64_body=raw,
                    status=400,
                    code="invalid_encoding",
                )
            )
    add(
        Hostile(
            "lone surrogate",
            "create",
            raw_body='{"name": "\ud800"}',
            status=400,
            code="invalid_encoding",
        )
    )

    # Over-deep JSON.
    for depth in (33, 100, 1_000, 100_000):
        for sample, path in body_routes:
            add(
                Hostile(
                    f"depth {depth} {sample}",
                    sample,
                    path,
                    raw_body=_nested(depth),
                    status=400,
                    code="json_too_deep",
                )
            )
    deep_task = _with_task(body=json.loads(_nested(40)))
    add(Hostile("deep task.body", "create", body=deep_task, status=400, code="json_too_deep"))
    add(
        Hostile(
            "deep objects",
            "create",
            raw_body='{"a":' * 50 + "1" + "}" * 50,
            status=400,
            code="json_too_deep",
        )
    )

    # Numbers DynamoDB cannot store, and non-JSON constants.
    huge = "9" * 5000
    for key in ("priority", "max_runs", "flexible_window_minutes"):
        text = json.dumps(create_body())[:-1] + f', "{key}": {huge}}}'
        add(
            Hostile(
                f"5000-digit {key}", "create", raw_body=text, status=422, code="number_out_of_range"
            )
        )
    for number in ("1" + "0" * 38, "-" + "9" * 39, "1e400", "-1e400", "1e-400", "1e126"):
        text = json.dumps(_with_task(body={"n": 0})).replace('{"n": 0}', f'{{"n": {number}}}')
        add(
            Hostile(
                f"number {number[:12]}",
                "create",
                raw_body=text,
                status=422,
                code="number_out_of_range",
            )
        )
    add(
        Hostile(
            "5000-digit count",
            "preview",
            raw_body=f'{{"schedule": "rate(1 hour)", "count": {huge}}}',
            status=422,
            code="number_out_of_range",
        )
    )
    add(
        Hostile(
            "5000-digit version",
            "update",
            "/schedules/{active}",
            raw_body=f'{{"version": {huge}}}',
            status=422,
            code="number_out_of_range",
        )
    )
    for constant in ("NaN", "Infinity", "-Infinity"):
        add(
            Hostile(
                f"constant {constant}",
                "create",
                raw_body=json.dumps(create_body())[:-1] + f', "priority": {constant}}}',
                status=400,
                code="malformed_json",
            )
        )

    # Expressions and dates out of range.
    for expression in (
        "rate(99999999999 minutes)",
        "rate(99999999999 hours)",
        "rate(99999999999 days)",
        "in 99999999999999 days",
        "in 99999999999999 minutes",
        "in 99999999999999 weeks",
    ):
        add(
            Hostile(
                f"create {expression}", "create", body=create_body(schedule=expression), status=422
            )
        )
        add(Hostile(f"preview {expression}", "preview", body={"schedule": expression}, status=422))
        add(
            Hostile(
                f"patch {expression}",
                "update",
                "/schedules/{active}",
                body={"schedule": expression},
                status=422,
            )
        )
    for moment in ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-12:00"):
        add(
            Hostile(
                f"start_at {moment}",
                "create",
                body=create_body(schedule="rate(1 hour)", start_at=moment),
                status=422,
            )
        )
        add(
            Hostile(
                f"preview start_at {moment}",
                "preview",
                body={"schedule": "rate(1 hour)", "start_at": moment},
                status=422,
            )
        )
    add(
        Hostile(
            "end_at 0001", "create", body=create_body(end_at="0001-01-01T00:00:00Z"), status=422
        )
    )

    # A number where a date-time string belongs (pydantic would read a Unix timestamp).
    for stamp in (0, 1_900_000_000, 1.5, True):
        add(
            Hostile(
                f"create start_at {stamp!r}",
                "create",
                body=create_body(start_at=stamp),
                status=422,
                code="validation_error",
            )
        )
        add(
            Hostile(
                f"preview start_at {stamp!r}",
                "preview",
                body={"schedule": "rate(1 hour)", "start_at": stamp},
                status=422,
                code="validation_error",
            )
        )

    # Empty map keys anywhere in a task.
    add(Hostile("empty header name", "create", body=_with_task(headers={"": "x"}), status=422))
    add(Hostile("empty body key", "create", body=_with_task(body={"": "x"}), status=422))
    add(
        Hostile(
            "nested empty key", "create", body=_with_task(body={"a": [{"b": {"": 1}}]}), status=422
        )
    )
    add(
        Hostile(
            "patch empty body key",
            "update",
            "/schedules/{active}",
            body={"task": {**create_body()["task"], "body": {"": 1}}},
            status=422,
        )
    )
    for task in (
        {"type": "lambda", "function": "reports", "payload": {"": 1}},
        {
            "type": "sqs",
            "queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
            "message": {"": 1},
        },
        {"type": "eventbridge", "source": "app", "detail_type": "t", "detail": {"": 1}},
        {
            "type": "stepfunctions",
            "state_machine_arn": "arn:aws:states:us-east-1:123456789012:stateMachine:sm",
            "input": {"x": {"": 1}},
        },
        {
            "type": "sequence",
            "steps": [
                {"id": "a", "task": {"type": "lambda", "function": "reports", "payload": {"": 1}}}
            ],
        },
    ):
        add(
            Hostile(
                f"empty key in {task['type']}", "create", body=create_body(task=task), status=422
            )
        )

    # Bodies that are not JSON.
    for content_type in (
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/xml",
        "text/html; charset=utf-8",
    ):
        for sample, path in body_routes:
            add(
                Hostile(
                    f"{content_type} {sample}",
                    sample,
                    path,
                    raw_body="name=x&schedule=y",
                    headers={"content-type": content_type},
                    status=415,
                    code="unsupported_media_type",
                )
            )

    # Names: controls (C0, DEL, C1), bidirectional controls, nothing but whitespace.
    bad_names = [f"a{chr(c)}b" for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))]
    bad_names += [f"a{c}b" for c in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"]
    bad_names += ["\u2066x\u2069", " ", "   ", "\u00a0", "\u3000", "\u2003 \u2003"]
    for name in bad_names:
        add(
            Hostile(
                f"name {name!r}",
                "create",
                body=create_body(name=name),
                status=422,
                code="validation_error",
            )
        )
    for name in ("a\u202eb", "a\x00b", "  ", "a\x85b"):
        add(
            Hostile(
                f"patch name {name!r}",
                "update",
                "/schedules/{active}",
                body={"name": name},
                status=422,
                code="validation_error",
            )
        )

    # An array holding a valid body (Powertools would validate its first element).
    for sample, path, valid in (
        ("create", None, create_body()),
        ("update", "/schedules/{active}", {"description": "x"}),
        ("pause", "/schedules/{active}/pause", {"note": "x"}),
        ("pause", "/schedules/{active}/pause", None),
        ("preview", None, {"schedule": "rate(1 hour)"}),
    ):
        add(
            Hostile(
                f"array around a valid {sample} body",
                sample,
                path,
                raw_body=json.dumps([valid]),
                status=422,
                code="validation_error",
            )
        )

    # Malformed JSON and wrong shapes.
    for text in ('{"name": "x",', "{'name': 'x'}", "nul", '{"a" 1}', "[", '"\\x"', "{}}"):
        add(
            Hostile(
                f"malformed {text!r}", "create", raw_body=text, status=400, code="malformed_json"
            )
        )
    for text in ("[1, 2]", '"a string"', "42", "null", "true", "[null]", "[{}]"):
        add(Hostile(f"not an object {text}", "create", raw_body=text, status=422))

    # Queries and paths.
    for query in (
        {"limit": "9" * 5000},
        {"since": "2030-01-01T00:00:00"},  # no offset
        {"until": "yesterday"},
        {"limit": "-1"},
    ):
        add(
            Hostile(
                f"executions {query}",
                "executions",
                "/schedules/{active}/executions",
                query=query,
                status=422,
            )
        )
    for query in ({"limit": "9" * 5000}, {"name_prefix": "x" * 200}, {"cursor": "\x00"}):
        add(Hostile(f"list {list(query)}", "list", query=query))
    add(
        Hostile(
            "resume an active",
            "resume",
            "/schedules/{active}/resume",
            headers={"if-match": '"99"'},
            status=409,
            code="version_conflict",
        )
    )
    add(
        Hostile(
            "pause a paused, stale version",
            "pause",
            "/schedules/{paused}/pause",
            headers={"if-match": '"1"'},
            status=409,
            code="version_conflict",
        )
    )
    return cases


def _snapshot() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    items = sorted(all_items(), key=lambda item: (item["PK"], item["SK"]))
    found = dict(entries())
    for entry in found.values():
        entry.pop("ResponseMetadata", None)
    return items, found


@pytest.fixture
def stack(api: Api, sns_events: EventQueue) -> Iterator[dict[str, str]]:
    active = api.create(name="active")["id"]
    paused = api.create(name="paused")["id"]
    assert api.request("pause", path=f"/schedules/{paused}/pause").status == 200
    sns_events.read()
    yield {"active": active, "paused": paused}
    assert sns_events.read() == [], "a refused request published a lifecycle event"


def _send(api: Api, case: Hostile, ids: dict[str, str]) -> Any:
    path = case.path.format(**ids) if case.path else None
    if case.base64_body is not None:
        from api_handler import lambda_handler
        from tests.integration.api.conftest import FakeContext, load_event

        event = load_event(case.sample)
        if path is not None:
            event["rawPath"] = event["requestContext"]["http"]["path"] = path
            event["pathParameters"] = {"proxy": path.lstrip("/")}
            event["routeKey"] = event["requestContext"]["routeKey"] = "ANY /{proxy+}"
        event["body"] = base64.b64encode(case.base64_body).decode()
        event["isBase64Encoded"] = True
        event["headers"]["content-type"] = "application/json"
        response = lambda_handler(event, FakeContext())
        from tests.integration.api.conftest import Result

        return Result(response["statusCode"], {}, response.get("body") or "")
    kwargs: dict[str, Any] = {"path": path, "headers": dict(case.headers)}
    if case.raw_body is not None:
        kwargs["raw_body"] = case.raw_body
    elif case.body is not None:
        kwargs["body"] = case.body
    if case.query is not None:
        kwargs["query"] = case.query
    # raw_body sets Content-Type: application/json; the case's own headers win.
    return api.request(case.sample, **kwargs)


def test_hostile_corpus_gets_4xx_and_writes_nothing(api: Api, stack: dict[str, str]) -> None:
    corpus = _corpus()
    assert len(corpus) >= MIN_CORPUS
    failures: list[str] = []
    counts = {"tried": 0, "4xx": 0, "5xx": 0, "other": 0, "stray_writes": 0}
    for case in corpus:
        before = _snapshot()
        result = _send(api, case, stack)
        counts["tried"] += 1
        bucket = "4xx" if 400 <= result.status < 500 else "5xx" if result.status >= 500 else "other"
        counts[bucket] += 1
        if _snapshot() != before:
            counts["stray_writes"] += 1
            failures.append(f"{case.label}: wrote something (answered {result.status})")
        problem = _check_answer(case, result)
        if problem:
            failures.append(f"{case.label}: {problem}")
    print("hostile corpus:", counts)
    assert failures == [], "\n".join(failures)
    assert counts["4xx"] == counts["tried"]


def _check_answer(case: Hostile, result: Any) -> str | None:
    if not 400 <= result.status < 500:
        return f"status {result.status}: {result.text[:300]}"
    try:
        error = result.json["error"]
    except (ValueError, KeyError, TypeError):
        return f"not the error shape: {result.text[:300]}"
    if not isinstance(error.get("code"), str) or not error["code"] or not error.get("message"):
        return f"no code or message: {result.text[:300]}"
    if case.status is not None and result.status != case.status:
        return f"status {result.status}, expected {case.status}: {result.text[:300]}"
    if case.code is not None and error["code"] != case.code:
        return f"code {error['code']}, expected {case.code}"
    return None
