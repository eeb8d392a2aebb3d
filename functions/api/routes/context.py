"""What every route needs from the request besides its validated parameters."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from jobscheduler.errors import describe_status
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
            "description": describe_status(code),
            "content": {"application/json": {"model": ErrorBody}},
        }
    return result
