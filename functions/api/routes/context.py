"""What every route needs from the request besides its validated parameters."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from jobscheduler.logic.tenancy import tenant_from_request_context
from jobscheduler.models.api import ErrorBody
from jobscheduler.observability import logger
from jobscheduler.settings import get_settings


def current_tenant(router: Router) -> str:
    """The caller's tenant from the authorizer context (401 when there is none)."""
    request_context = router.current_event.raw_event.get("requestContext")
    tenant = tenant_from_request_context(request_context, get_settings().tenant_claim)
    logger.append_keys(tenant=tenant)
    return tenant


def location(router: Router, path: str) -> str:
    """``path`` as the client reaches it (HTTP API stages other than $default prefix it)."""
    stage = router.current_event.raw_event.get("requestContext", {}).get("stage")
    return f"/{stage}{path}" if stage and stage != "$default" else path


_ERROR_DESCRIPTIONS = {
    400: "Malformed request (bad JSON, not UTF-8, nested too deep, bad cursor, missing "
    "confirmation)",
    401: "No caller identity",
    404: "No such schedule (another tenant's ids are not found either)",
    409: "Version conflict or a state that does not allow this",
    413: "Body over 256 KB",
    415: "A body that is not JSON: send Content-Type: application/json",
    422: "The request does not match the schema, or an invalid schedule or timezone",
    428: "No version sent (If-Match or body field)",
    429: "Quota of schedules reached",
    500: "Internal error",
    503: "A dependency failed; the call was undone (or a retry repairs it); retryable",
}


def responses(
    status: int, model: type[BaseModel] | None, description: str, *errors: int
) -> dict[int, OpenAPIResponse]:
    """The OpenAPI responses of a route: its success answer and its error answers, all
    errors in the ErrorBody shape (422 and 500 included: they replace Powertools' own
    schemas, which are not what this API answers). 400, 413 and 415 too: any request may
    carry a body, and a body is checked before routing."""
    # No model (204): an empty content, or Powertools would document the handler's
    # return type (null) as an application/json body.
    success: OpenAPIResponse = {"description": description, "content": {}}
    if model is not None:
        success["content"] = {"application/json": {"model": model}}
    result: dict[int, OpenAPIResponse] = {status: success}
    for code in sorted({*errors, 400, 413, 415, 422, 500}):
        result[code] = {
            "description": _ERROR_DESCRIPTIONS[code],
            "content": {"application/json": {"model": ErrorBody}},
        }
    return result
