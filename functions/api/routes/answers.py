"""The answers several routes give alike: a page of a list, and a write that names the
resource it made (201 Created, 202 Accepted) in Location."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from pydantic import BaseModel

from jobscheduler.models.pagination import Page
from routes.context import location

PageT = TypeVar("PageT", bound=Page[Any])
BodyT = TypeVar("BodyT", bound=BaseModel)


def page_of(model: type[PageT], page: Page[Any]) -> PageT:
    """A use case's page as the route's named page model (its OpenAPI schema name)."""
    return model(items=page.items, next_cursor=page.next_cursor)


def created(router: Router, body: BodyT, path: str, *, replayed: bool = False) -> Response[BodyT]:
    """201 naming ``path``; ``replayed`` for the answer to a repeated Idempotency-Key."""
    headers = {"Location": location(router, path)}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return _json(HTTPStatus.CREATED, body, headers)


def accepted(router: Router, body: BodyT, path: str | None = None) -> Response[BodyT]:
    """202: the work is queued; ``path`` (when there is one) is where its result will be."""
    headers = {"Location": location(router, path)} if path is not None else None
    return _json(HTTPStatus.ACCEPTED, body, headers)


def _json(status: HTTPStatus, body: BodyT, headers: dict[str, str] | None) -> Response[BodyT]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=headers,
    )
