"""The body checks that run before Powertools parses a body: where each limit lies."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

import body_guard
from jobscheduler.errors import (
    DomainError,
    InvalidEncoding,
    JsonTooDeep,
    MalformedBody,
    NumberOutOfRange,
    PayloadTooLarge,
    UnsupportedMediaType,
)


def _event(body: str | bytes, content_type: str | None = "application/json") -> dict[str, Any]:
    event: dict[str, Any] = {"headers": {}}
    if content_type is not None:
        event["headers"]["content-type"] = content_type
    if isinstance(body, bytes):
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True
    else:
        event["body"] = body
    return event


def _refusal(event: dict[str, Any]) -> DomainError | None:
    try:
        body_guard.check(event)
    except DomainError as exc:
        return exc
    return None


@pytest.mark.parametrize(
    "content_type",
    [None, "", "application/json", "application/json; charset=utf-8", "Application/JSON"],
)
def test_json_and_no_content_type_pass(content_type: str | None) -> None:
    assert _refusal(_event('{"a": 1}', content_type)) is None


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "application/jsonx", "multipart/form-data"],
)
def test_other_media_types_are_415_naming_the_header(content_type: str) -> None:
    exc = _refusal(_event("a=1", content_type))
    assert isinstance(exc, UnsupportedMediaType)
    assert exc.status == 415
    assert "Content-Type: application/json" in exc.message


def test_an_empty_body_is_not_checked() -> None:
    assert _refusal(_event("", "text/plain")) is None
    assert _refusal({"headers": {}}) is None


def test_not_utf8_plain_and_base64() -> None:
    assert isinstance(_refusal(_event(b'{"a": "\xff"}')), InvalidEncoding)
    assert isinstance(_refusal(_event('{"a": "\ud800"}')), InvalidEncoding)
    assert _refusal(_event('{"a": "é ✓"}'.encode())) is None


def test_depth_limit_is_inclusive() -> None:
    limit = body_guard.MAX_JSON_DEPTH
    inner = limit - 1  # inside the body's top-level object
    assert _refusal(_event('{"a": ' + "[" * inner + "]" * inner + "}")) is None
    deeper = '{"a": ' + "[" * limit + "]" * limit + "}"
    assert isinstance(_refusal(_event(deeper)), JsonTooDeep)
    assert isinstance(_refusal(_event("[" * 200_000)), JsonTooDeep)


@pytest.mark.parametrize(
    ("number", "accepted"),
    [
        ("9" * 38, True),
        ("-" + "9" * 38, True),
        ("9" * 39, False),
        ("1e125", True),
        ("9.9e125", True),
        ("1e126", False),
        ("-1e400", False),
        ("1e-130", True),
        ("1e-131", False),
        ("0", True),
        ("0.0", True),
        ("-0.0", True),
        ("0." + "1" * 60, True),  # a long fraction is rounded to a float, not refused
    ],
)
def test_number_limits(number: str, accepted: bool) -> None:
    exc = _refusal(_event(f'{{"n": {number}}}'))
    if accepted:
        assert exc is None
    else:
        assert isinstance(exc, NumberOutOfRange)
        assert exc.status == 422


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_constants_are_malformed(constant: str) -> None:
    exc = _refusal(_event(f'{{"n": {constant}}}'))
    assert type(exc) is MalformedBody
    assert exc.status == 400


def test_malformed_json_is_left_to_the_parser_that_locates_it() -> None:
    assert _refusal(_event('{"a": ')) is None


def test_size_limit() -> None:
    big = json.dumps({"a": "x" * (256 * 1024)})
    assert isinstance(_refusal(_event(big)), PayloadTooLarge)


@pytest.mark.parametrize("body", ["[]", "[null, null]", '[{"note": "a"}]'])
def test_a_top_level_array_is_refused(body: str) -> None:
    exc = _refusal(_event(body))
    assert exc is not None
    assert exc.status == 422
    assert exc.code == "validation_error"
    assert exc.details == [{"loc": ["body"], "msg": exc.message, "type": "model_type"}]


@pytest.mark.parametrize("body", ["null", '"text"', "5", "{}"])
def test_other_top_level_values_are_left_to_the_models(body: str) -> None:
    assert _refusal(_event(body)) is None
