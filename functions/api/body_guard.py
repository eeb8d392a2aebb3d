"""Checks a request body before Powertools parses it: size, media type, encoding, depth,
numbers, and that it is an object (every route's body is). Each refusal is a DomainError, answered by the handler before routing.

Why here and not in the models: Powertools decodes and parses the body itself, and a
body that is not UTF-8, nests 100,000 levels or holds a 5,000-digit integer makes that
step raise (a 500) before any model sees it. What passes here is safe to parse and
storable in DynamoDB (numbers of at most 38 digits within its range, 32 levels).
"""

from __future__ import annotations

import base64
import binascii
import json
from decimal import Decimal
from typing import Any

from jobscheduler.errors import (
    InvalidEncoding,
    JsonTooDeep,
    MalformedBody,
    NumberOutOfRange,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from jobscheduler.models.api import MAX_BODY_BYTES

# The request document's nesting (the root object is level 1). A schedule item holds
# the body's fields one level higher, inside DynamoDB's limit of 32.
MAX_JSON_DEPTH = 32
# DynamoDB numbers: 38 significant digits, magnitude 1E-130 to 9.99...E+125.
MAX_NUMBER_DIGITS = 38
_MAX_MAGNITUDE = Decimal("9.9999999999999999999999999999999999999E+125")
_MIN_MAGNITUDE = Decimal("1E-130")
_JSON_MEDIA_TYPE = "application/json"


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if str(key).lower() == name:
            return str(value)
    return None


def raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if not isinstance(body, str):
        return b""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError):
            return body.encode("utf-8", "surrogatepass")
    return body.encode("utf-8", "surrogatepass")


def _check_size(size: int) -> None:
    if size > MAX_BODY_BYTES:
        raise PayloadTooLarge(
            f"the request body is {size} bytes; the limit is {MAX_BODY_BYTES}",
            details={"limit_bytes": MAX_BODY_BYTES, "size_bytes": size},
        )


def _check_media_type(event: dict[str, Any]) -> None:
    content_type = _header(event, "content-type")
    if content_type is None or not content_type.strip():
        return  # no header: read as JSON, like Powertools does
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != _JSON_MEDIA_TYPE:
        raise UnsupportedMediaType(
            f"the body was sent as {media_type or content_type!r}; send JSON with the header "
            "Content-Type: application/json",
            details={"content_type": content_type[:200], "expected": _JSON_MEDIA_TYPE},
        )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEncoding(
            "the request body is not valid UTF-8; send JSON encoded as UTF-8",
            details={"position": exc.start},
        ) from None


def _out_of_range(text: str) -> NumberOutOfRange:
    shown = text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"
    return NumberOutOfRange(
        f"the number {shown} is out of range: at most {MAX_NUMBER_DIGITS} digits and a "
        "magnitude between 1E-130 and 1E+126",
        details={"max_digits": MAX_NUMBER_DIGITS},
    )


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _out_of_range(text)
    return int(text)


def _parse_float(text: str) -> float:
    # float() would quietly turn 1e400 into inf and 1e-400 into 0: check the text.
    magnitude = abs(Decimal(text))
    if magnitude > _MAX_MAGNITUDE or (magnitude and magnitude < _MIN_MAGNITUDE):
        raise _out_of_range(text)
    return float(text)


def _refuse_constant(name: str) -> Any:
    raise MalformedBody(
        f"{name} is not JSON (JSON numbers are finite)",
        details={"error": f"{name} is not a JSON value"},
    )


def _depth(document: Any) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            deepest = max(deepest, level)
            stack.extend((item, level + 1) for item in value.values())
        elif isinstance(value, list):
            deepest = max(deepest, level)
            stack.extend((item, level + 1) for item in value)
    return deepest


def _too_deep() -> JsonTooDeep:
    return JsonTooDeep(
        f"the request body nests objects and arrays more than {MAX_JSON_DEPTH} levels deep",
        details={"max_depth": MAX_JSON_DEPTH},
    )


def _check_json(text: str) -> None:
    try:
        document = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_refuse_constant,
        )
    except RecursionError:
        raise _too_deep() from None
    except json.JSONDecodeError:
        return  # Powertools reports where the JSON breaks (400 malformed_json)
    if _depth(document) > MAX_JSON_DEPTH:
        raise _too_deep()
    if isinstance(document, list):
        # Powertools validates the first element of an array against an object model
        # (a form field's repeated values), so [{...}] would pass for {...}: refused.
        message = "the request body must be a JSON object, not an array"
        raise ValidationFailed(
            message, details=[{"loc": ["body"], "msg": message, "type": "model_type"}]
        )


def check(event: dict[str, Any]) -> None:
    """Raise the DomainError that answers this request's body, if it is unacceptable."""
    data = raw_body(event)
    _check_size(len(data))
    if not data.strip():
        return
    _check_media_type(event)
    _check_json(_decode(data))
