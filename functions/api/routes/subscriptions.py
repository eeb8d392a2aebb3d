"""/subscriptions: a tenant's subscriptions to its own lifecycle events."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from jobscheduler.logic import subscriptions as logic
from jobscheduler.models.subscriptions import (
    SUBSCRIPTION_ID_PATTERN,
    Subscription,
    SubscriptionCreate,
    SubscriptionListQuery,
    SubscriptionPage,
)
from routes.answers import created, page_of
from routes.context import current_tenant, read_one, read_page, responses

router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated

TAGS = ["subscriptions"]
SubscriptionId = Annotated[
    str,
    Path(description=f"Subscription id ({SUBSCRIPTION_ID_PATTERN}); anything else is a 404"),
]


@router.post(
    "/subscriptions",
    summary="Subscribe an endpoint to the caller's lifecycle events",
    description="The endpoint receives the caller's events only: the server adds the "
    "tenant to the SNS filter policy, and the filter can only narrow it. http(s) "
    "endpoints must confirm the subscription (SNS posts a SubscriptionConfirmation), "
    "email ones click a link; until then the status is pending_confirmation.",
    tags=TAGS,
    status_code=HTTPStatus.CREATED,
    responses=responses(
        201, Subscription, "The subscription; Location names it", 400, 401, 409, 413, 429, 503
    ),
)
def create_subscription(body: Annotated[SubscriptionCreate, Body()]) -> Response[Subscription]:
    subscription = logic.create(current_tenant(router), body)
    return created(router, subscription, f"/subscriptions/{subscription.id}")


@read_page(router, "/subscriptions", "List the caller's subscriptions", SubscriptionPage, TAGS)
def list_subscriptions(query: Annotated[SubscriptionListQuery, Query()]) -> SubscriptionPage:
    return page_of(SubscriptionPage, logic.list_subscriptions(current_tenant(router), query))


@read_one(
    router,
    "/subscriptions/<subscription_id>",
    "Get a subscription (its status as SNS reports it now)",
    Subscription,
    TAGS,
)
def get_subscription(subscription_id: SubscriptionId) -> Subscription:
    return logic.get(current_tenant(router), subscription_id)


@router.delete(
    "/subscriptions/<subscription_id>",
    summary="Unsubscribe (deliveries stop at once)",
    tags=TAGS,
    status_code=HTTPStatus.NO_CONTENT,
    responses=responses(204, None, "Deleted", 401, 404, 503),
)
def delete_subscription(subscription_id: SubscriptionId) -> Response[None]:
    logic.delete(current_tenant(router), subscription_id)
    return Response(status_code=HTTPStatus.NO_CONTENT, body=None)
