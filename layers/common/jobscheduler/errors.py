"""Domain errors and the one catalog of the API's error codes.

Each class below is one error code: its ``code``, its HTTP ``status`` and, as its
docstring, the description the API reference and the OpenAPI document show. Defining a
subclass registers its code in ``CATALOG``; nothing else lists codes. The API maps these
errors to responses in one place (functions/api), so logic never builds HTTP.

``python -m jobscheduler.errors docs/errors.md`` writes the catalog into that page (a
test fails when the page or the OpenAPI document misses a code).
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ErrorSpec:
    """One error code as clients see it."""

    code: str
    status: int
    description: str
    error: type[DomainError]


CATALOG: dict[str, ErrorSpec] = {}


def _register(cls: type[DomainError]) -> None:
    description = inspect.cleandoc(cls.__doc__ or "").split("\n\n", 1)[0].replace("\n", " ")
    spec = ErrorSpec(cls.code, cls.status, description, cls)
    known = CATALOG.get(cls.code)
    if known is not None and known.error is not cls:
        raise TypeError(f"error code {cls.code!r} is defined twice: {known.error} and {cls}")
    CATALOG[cls.code] = spec


class DomainError(Exception):
    """A request the API cannot accept (the fallback code: every refusal the API makes
    today has a more specific one)."""

    status: int = 400
    code: str = "bad_request"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            _register(cls)

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            # A code given by name answers with its catalog status, whatever the class.
            self.code = code
            spec = CATALOG.get(code)
            if spec is not None:
                self.status = spec.status
        self.details = details

    def to_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


_register(DomainError)


# --- 400 -------------------------------------------------------------------------------


class MalformedBody(DomainError):
    """A request body that is not JSON (the parser's complaint is in details)."""

    status = 400
    code = "malformed_json"


class InvalidEncoding(MalformedBody):
    """A request body that is not UTF-8 (JSON must be)."""

    code = "invalid_encoding"


class JsonTooDeep(MalformedBody):
    """A request body that nests objects and arrays more than 32 levels deep (DynamoDB
    stores 32)."""

    code = "json_too_deep"


class InvalidIdempotencyKey(DomainError):
    """An `Idempotency-Key` header that is not 1-128 characters of `A-Z a-z 0-9 _ . : -`."""

    status = 400
    code = "invalid_idempotency_key"


class InvalidCursor(DomainError):
    """A `cursor` this list did not issue (another tenant's, another list's, or altered).
    Start again without a cursor."""

    status = 400
    code = "invalid_cursor"


class ConfirmationRequired(DomainError):
    """`DELETE /schedules/{id}/executions` without `?confirm=true`: clearing a history
    cannot be undone."""

    status = 400
    code = "confirmation_required"


# --- 401, 404, 405 ---------------------------------------------------------------------


class Unauthorized(DomainError):
    """No usable caller identity: no token, or the tenant claim is missing from it."""

    status = 401
    code = "unauthorized"


class NotFound(DomainError):
    """No such schedule or execution. Another tenant's ids, deleted schedules and ids that
    are not well formed are not found either."""

    status = 404
    code = "not_found"


class RouteNotFound(DomainError):
    """No route has this path (`details.path`)."""

    status = 404
    code = "route_not_found"


class MethodNotAllowed(DomainError):
    """The path exists but not with this method; the `Allow` header and `details.allowed`
    list the methods it has."""

    status = 405
    code = "method_not_allowed"


# --- 409 -------------------------------------------------------------------------------


class Conflict(DomainError):
    """The request conflicts with what exists (e.g. a schedule id that is already taken)."""

    status = 409
    code = "conflict"


class VersionConflict(Conflict):
    """The `If-Match` or body `version` is not the schedule's current version: someone
    changed it since you read it. `details.current_version` is the version now; read the
    schedule again and retry with it."""

    code = "version_conflict"


class InvalidState(Conflict):
    """The schedule's status does not allow this action (e.g. resume a COMPLETED or
    DELETED schedule)."""

    code = "invalid_state"


class SchedulePending(Conflict):
    """The schedule is still being created (status PENDING); retry in a moment. If it stays
    PENDING its creation failed half-way: after 60 s `POST .../resume` finishes it, and
    `DELETE` removes it."""

    code = "schedule_pending"


class ScheduleExpired(Conflict):
    """The schedule has no run left (a one-off whose time passed, or past `end_at`), so it
    cannot be resumed; PATCH a new time or delete it."""

    code = "schedule_expired"


class IdempotencyKeyTaken(Conflict):
    """Another request with the same `Idempotency-Key` is being processed right now; retry
    and it answers with the schedule that request created."""

    code = "idempotency_key_in_use"


# --- 413, 415 --------------------------------------------------------------------------


class PayloadTooLarge(DomainError):
    """The request body is over 256 KB (`details.limit_bytes`)."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    """A body sent as something other than JSON (a form, text): send Content-Type:
    application/json."""

    status = 415
    code = "unsupported_media_type"


# --- 422 -------------------------------------------------------------------------------


class ValidationFailed(DomainError):
    """The request does not match the API's schema: wrong types, unknown fields,
    out-of-range values; `details` lists each problem as `{loc, msg, type}`."""

    status = 422
    code = "validation_error"


class InvalidExpression(ValidationFailed):
    """A schedule expression that cannot run: not understood, in the past, too frequent,
    a date that never exists. `details.suggestion`, when present, is a form that works."""

    code = "invalid_schedule"

    def __init__(
        self, message: str, *, suggestion: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(
            message, code=code, details={"suggestion": suggestion} if suggestion else None
        )
        self.suggestion = suggestion


class InvalidTimezone(InvalidExpression):
    """`timezone` is not an IANA time zone name; `details.suggestion` is the closest one."""

    code = "invalid_timezone"


class ScheduleOutOfRange(InvalidExpression):
    """A schedule, `start_at` or `end_at` whose runs fall beyond the years 1-9999, e.g.
    `rate(99999999999 minutes)`; `details.suggestion` is a form that works."""

    code = "schedule_out_of_range"


class NumberOutOfRange(ValidationFailed):
    """A JSON number DynamoDB cannot store: more than 38 digits, or a magnitude above
    1E+126 or below 1E-130."""

    code = "number_out_of_range"


class InvalidIfMatch(ValidationFailed):
    """An `If-Match` header that does not carry a schedule version, e.g. `If-Match: "3"`."""

    code = "invalid_if_match"


class VersionMismatch(ValidationFailed):
    """`If-Match` and the body's `version` disagree; send one, or the same in both."""

    code = "version_mismatch"


class IdempotencyKeyReused(ValidationFailed):
    """The same `Idempotency-Key` was sent again with a different body; use a new key for
    a different schedule."""

    code = "idempotency_key_reused"


class ForbiddenTarget(ValidationFailed):
    """A task (or a sequence step) aimed at one of the scheduler's own resources (its
    functions, lifecycle or alarm topic, dead-letter queue or table), by any spelling."""

    code = "forbidden_target"


# --- 428, 429 --------------------------------------------------------------------------


class VersionRequired(DomainError):
    """A PATCH without the version it is based on: send `If-Match: "3"` or `"version": 3`."""

    status = 428
    code = "version_required"


class QuotaExceeded(DomainError):
    """The tenant has `MAX_SCHEDULES_PER_TENANT` live schedules (1,000 by default); deleted
    schedules do not count."""

    status = 429
    code = "quota_exceeded"


# --- 5xx -------------------------------------------------------------------------------


class InternalError(DomainError):
    """A bug: the API failed in a way it did not foresee. It is logged; please report it."""

    status = 500
    code = "internal_error"


class DependencyUnavailable(DomainError):
    """An AWS dependency failed. What was done was undone, or is completed by repeating the
    same call: retry after `Retry-After` (`details.retryable` is true)."""

    status = 503
    code = "dependency_unavailable"


def describe_status(status: int) -> str:
    """The codes answered with ``status``, a Markdown list for the OpenAPI document."""
    specs = sorted((s for s in CATALOG.values() if s.status == status), key=lambda s: s.code)
    return "\n".join(f"- `{spec.code}`: {spec.description}" for spec in specs)


def catalog_markdown() -> str:
    """The catalog as the Markdown table of docs/errors.md."""
    rows = [
        f"| {spec.status} | `{spec.code}` | {spec.description} |"
        for spec in sorted(CATALOG.values(), key=lambda s: (s.status, s.code))
    ]
    return "\n".join(["| Status | Code | Meaning |", "|---|---|---|", *rows]) + "\n"


CATALOG_BEGIN, CATALOG_END = "<!-- catalog:begin -->", "<!-- catalog:end -->"


def render_into(page: str) -> str:
    """``page`` with the table between its catalog markers replaced by the catalog."""
    head, found, rest = page.partition(CATALOG_BEGIN)
    _, found_end, tail = rest.partition(CATALOG_END)
    if not (found and found_end):
        raise ValueError(f"the page has no {CATALOG_BEGIN} ... {CATALOG_END} markers")
    return f"{head}{CATALOG_BEGIN}\n{catalog_markdown()}{CATALOG_END}{tail}"


def main(argv: list[str]) -> int:
    """``python -m jobscheduler.errors``: print the table; with a path (docs/errors.md),
    rewrite the table inside that page instead."""
    if not argv:
        sys.stdout.write(catalog_markdown())
        return 0
    path = Path(argv[0])
    path.write_text(render_into(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
