"""API Lambda entry: the Powertools HTTP API resolver, its routers, and the one place where
errors become HTTP answers ({"error": {"code", "message", "details"}})."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

import body_guard
from jobscheduler.errors import DomainError, PayloadTooLarge, Unauthorized
from jobscheduler.observability import logger, metrics, tracer
from jobscheduler.settings import get_settings
from routes import console, executions, misc, recovery, schedules, subscriptions
from routes.openapi_doc import API_TITLE, API_VERSION, ApiResolver
from routes.tenancy import tenant_from_request_context

app = ApiResolver(enable_validation=True)  # its OpenAPI document: routes/openapi_doc.py
app.include_router(misc.router)
app.include_router(schedules.router)
app.include_router(executions.router)
app.include_router(subscriptions.router)
app.include_router(recovery.router)
app.include_router(console.router)
DOCS_PATH = "/docs"
_docs_enabled = False


def _enable_docs_for(event: dict[str, Any]) -> None:
    """Register the Swagger UI route on the first request for it: building it imports
    Powertools' OpenAPI models, ~100 ms that no other request needs at cold start."""
    global _docs_enabled
    path = str(event.get("rawPath") or event.get("path") or "").rstrip("/")
    if not _docs_enabled and path.endswith(DOCS_PATH):
        app.enable_swagger(path=DOCS_PATH, title=API_TITLE, version=API_VERSION)
        _docs_enabled = True


@app.get("/openapi.json", include_in_schema=False)
def openapi_json() -> Response[str]:
    return Response(
        status_code=HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=app.get_openapi_json_schema(title=API_TITLE, version=API_VERSION),
    )


# --- errors -> HTTP, in one place ------------------------------------------------------


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"code": code, "message": message, "details": details}},
        headers=headers,
    )


@app.exception_handler(DomainError)  # type: ignore[untyped-decorator]
def on_domain_error(exc: DomainError) -> Response[dict[str, Any]]:
    return domain_error_response(exc)


def domain_error_response(exc: DomainError) -> Response[dict[str, Any]]:
    if exc.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.warning("dependency failure", extra={"code": exc.code, "error": exc.message})
        metrics.add_metric(name="DependencyFailures", unit=MetricUnit.Count, value=1)
    headers = {"Retry-After": "1"} if exc.status == HTTPStatus.SERVICE_UNAVAILABLE else None
    return error_response(exc.status, exc.code, exc.message, exc.details, headers)


def _field_errors(errors: Any) -> list[dict[str, Any]]:
    # Echoing "input" back could repeat a 256 KB body or a secret header: leave it out.
    return [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg"), "type": error.get("type")}
        for error in errors
    ]


def _unauthenticated() -> Unauthorized | None:
    """Powertools validates a request before the route runs (and resolves the tenant):
    a request without identity must still get 401, not a schema error."""
    try:
        tenant_from_request_context(
            app.current_event.raw_event.get("requestContext"), get_settings().tenant_claim
        )
    except Unauthorized as exc:
        return exc
    return None


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def on_request_validation_error(exc: RequestValidationError) -> Response[dict[str, Any]]:
    errors = list(exc.errors())
    if any(tuple(error.get("loc", ()))[:1] == ("response",) for error in errors):
        # Powertools reports a response that does not match its model this way too: that
        # is our bug, so a 500 (not the client's 422), logged.
        logger.error("response failed its own model", extra={"errors": _field_errors(errors)})
        metrics.add_metric(name="UnhandledErrors", unit=MetricUnit.Count, value=1)
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error", None
        )
    unauthenticated = _unauthenticated()
    if unauthenticated is not None:
        return domain_error_response(unauthenticated)
    if any(error.get("type") == "json_invalid" for error in errors):
        first = next(error for error in errors if error.get("type") == "json_invalid")
        return error_response(
            HTTPStatus.BAD_REQUEST,
            "malformed_json",
            "the request body is not valid JSON",
            {"error": first.get("ctx", {}).get("error"), "loc": list(first.get("loc", ()))},
        )
    return error_response(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "validation_error",
        "the request does not match the API's schema",
        _field_errors(errors),
    )


@app.exception_handler(RequestUnsupportedContentType)  # type: ignore[untyped-decorator]
def on_unsupported_content_type(exc: RequestUnsupportedContentType) -> Response[dict[str, Any]]:
    return error_response(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send the body as JSON with the header Content-Type: application/json",
        _field_errors(exc.errors()),
    )


@app.not_found
def on_not_found(_: NotFoundError) -> Response[dict[str, Any]]:
    method = app.current_event.http_method.upper()
    path = app.current_event.path
    # Powertools answers 404 for a known path with another method; HTTP wants 405.
    allowed = app.allowed_methods(path)
    if allowed:
        return error_response(
            HTTPStatus.METHOD_NOT_ALLOWED,
            "method_not_allowed",
            f"{method} is not allowed on {path}",
            {"allowed": allowed},
            {"Allow": ", ".join(allowed)},
        )
    return error_response(
        HTTPStatus.NOT_FOUND, "route_not_found", f"no route {method} {path}", {"path": path}
    )


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def on_unexpected_error(exc: Exception) -> Response[dict[str, Any]]:
    # The last resort, so a bug still answers in the API's error shape.
    logger.exception("unhandled error")
    metrics.add_metric(name="UnhandledErrors", unit=MetricUnit.Count, value=1)
    return error_response(
        HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error", None
    )


def _refusal(event: dict[str, Any], exc: DomainError) -> dict[str, Any]:
    """An answer given before routing (the body checks run first on purpose: Powertools
    would parse the body, which is exactly the work a refused body must not cause).
    A caller without identity still gets 401 first, as after routing."""
    if not isinstance(exc, PayloadTooLarge):
        try:
            tenant_from_request_context(event.get("requestContext"), get_settings().tenant_claim)
        except Unauthorized as unauthorized:
            exc = unauthorized
    return {
        "statusCode": exc.status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(exc.to_body(), separators=(",", ":")),
        "isBase64Encoded": False,
    }


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        body_guard.check(event)
    except DomainError as exc:
        return _refusal(event, exc)
    _enable_docs_for(event)
    return app.resolve(event, context)
