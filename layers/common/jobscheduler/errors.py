"""Domain errors. Each carries its HTTP status and a machine-readable code; the API maps
them to responses in one place (functions/api), so logic never builds HTTP."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def to_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"


class InvalidExpression(ValidationFailed):
    """A schedule expression that cannot be parsed or that EventBridge cannot run."""

    code = "invalid_schedule"

    def __init__(
        self, message: str, *, suggestion: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(
            message, code=code, details={"suggestion": suggestion} if suggestion else None
        )
        self.suggestion = suggestion


class ScheduleOutOfRange(InvalidExpression):
    """A schedule, start_at or end_at whose runs fall beyond the years 1-9999."""

    code = "schedule_out_of_range"


class NumberOutOfRange(ValidationFailed):
    """A JSON number DynamoDB cannot store (more than 38 significant digits, or an
    exponent out of its range) or that is not finite."""

    code = "number_out_of_range"


class MalformedBody(DomainError):
    """A request body that is not JSON (the parser's complaint is in details)."""

    status = 400
    code = "malformed_json"


class InvalidEncoding(MalformedBody):
    """A request body that is not UTF-8 (JSON must be)."""

    code = "invalid_encoding"


class JsonTooDeep(MalformedBody):
    """A request body nested deeper than the API accepts (DynamoDB stores 32 levels)."""

    code = "json_too_deep"


class UnsupportedMediaType(DomainError):
    """A body sent as something other than JSON (a form, text): send Content-Type:
    application/json."""

    status = 415
    code = "unsupported_media_type"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class VersionConflict(Conflict):
    code = "version_conflict"


class QuotaExceeded(DomainError):
    status = 429
    code = "quota_exceeded"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class DependencyUnavailable(DomainError):
    """An AWS dependency failed; the state is consistent and the call may be retried."""

    status = 503
    code = "dependency_unavailable"
