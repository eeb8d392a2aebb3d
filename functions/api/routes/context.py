"""What every route needs besides its validated parameters: the caller's tenant, the
Location of what it names, and the OpenAPI answers it documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from jobscheduler.errors import describe_status
from jobscheduler.models.api import ErrorBody
from jobscheduler.models.pagination import Page
from jobscheduler.observability import logger
from jobscheduler.settings import get_settings
from routes.tenancy import tenant_from_request_context

Handler = TypeVar("Handler", bound=Callable[..., Any])


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


def read_one(
    router: Router, path: str, summary: str, model: type[BaseModel], tags: list[str]
) -> Callable[[Handler], Handler]:
    """GET of one of the caller's resources: it, or 404 (another tenant's is unknown too)."""
    return router.get(
        path,
        summary=summary,
        tags=tags,
        responses=responses(200, model, f"The {model.__name__.lower()}", 401, 404, 503),
    )


def read_page(
    router: Router,
    path: str,
    summary: str,
    page: type[Page[Any]],
    tags: list[str],
    *errors: int,
    description: str | None = None,
) -> Callable[[Handler], Handler]:
    """GET of a page of the caller's resources (400: a bad filter or cursor), plus the
    route's own ``errors``."""
    items = page.__name__.removesuffix("Page").lower() + "s"
    return router.get(
        path,
        summary=summary,
        description=description,
        tags=tags,
        responses=responses(200, page, f"A page of {items}", 400, 401, *errors, 503),
    )
