"""Preview (writes nothing), health, and the tenant's webhook signing secret."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from jobscheduler.logic.health import health as check_health
from jobscheduler.logic.preview import preview as compute_preview
from jobscheduler.logic.signing import signing_secret
from jobscheduler.models.api import (
    HealthResponse,
    PreviewRequest,
    PreviewResponse,
    SigningSecretResponse,
)
from routes.context import current_tenant, responses

router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated


@router.post(
    "/schedules/preview",
    summary="Compile a schedule and list its next runs (writes nothing)",
    tags=["schedules"],
    responses=responses(200, PreviewResponse, "The compiled schedule and its next runs", 401),
)
def preview_schedule(body: Annotated[PreviewRequest, Body()]) -> PreviewResponse:
    current_tenant(router)  # authenticated like every route, though tenant-independent
    return compute_preview(body)


@router.get(
    "/health",
    summary="Version and reachability of the table, the schedule group and the topic",
    tags=["health"],
    responses={
        200: {
            "description": "Every dependency is reachable",
            "content": {"application/json": {"model": HealthResponse}},
        },
        503: {
            "description": "A dependency is unreachable (status degraded)",
            "content": {"application/json": {"model": HealthResponse}},
        },
    },
)
def health() -> Response[HealthResponse]:
    result = check_health()
    return Response(
        status_code=HTTPStatus.OK if result.status == "ok" else HTTPStatus.SERVICE_UNAVAILABLE,
        content_type=content_types.APPLICATION_JSON,
        body=result,
    )


@router.get(
    "/signing-secret",
    summary="The tenant's webhook signing secret (Standard Webhooks) to verify HTTP tasks",
    tags=["webhooks"],
    responses=responses(200, SigningSecretResponse, "The signing secret", 401, 503),
)
def get_signing_secret() -> SigningSecretResponse:
    return signing_secret(current_tenant(router))
