"""The OpenAPI document (generated from the routes), Swagger UI, and the sample events."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate

from tests.integration.api.conftest import EVENTS_DIR, SAMPLE_NAMES, TENANT, Api, load_event

EXPECTED_ROUTES = {
    ("/schedules", "post"): ("ScheduleCreate", "Schedule"),
    ("/schedules", "get"): (None, "SchedulePage"),
    ("/schedules/{schedule_id}", "get"): (None, "Schedule"),
    ("/schedules/{schedule_id}", "patch"): ("ScheduleUpdate", "Schedule"),
    ("/schedules/{schedule_id}", "delete"): (None, None),
    ("/schedules/{schedule_id}/pause", "post"): ("PauseRequest", "Schedule"),
    ("/schedules/{schedule_id}/resume", "post"): (None, "Schedule"),
    ("/schedules/{schedule_id}/run", "post"): (None, "RunResponse"),
    ("/schedules/{schedule_id}/backfill", "post"): ("BackfillRequest", "BackfillResponse"),
    ("/schedules/{schedule_id}/executions/{execution_id}/retry", "post"): (None, "RetryResponse"),
    ("/executions", "get"): (None, "ExecutionPage"),
    ("/schedules/{schedule_id}/executions", "get"): (None, "ExecutionPage"),
    ("/schedules/{schedule_id}/executions", "delete"): (None, "ClearResponse"),
    ("/schedules/{schedule_id}/executions/{execution_id}", "get"): (None, "Execution"),
    ("/schedules/preview", "post"): ("PreviewRequest", "PreviewResponse"),
    ("/health", "get"): (None, "HealthResponse"),
    ("/signing-secret", "get"): (None, "SigningSecretResponse"),
    ("/subscriptions", "post"): ("SubscriptionCreate", "Subscription"),
    ("/subscriptions", "get"): (None, "SubscriptionPage"),
    ("/subscriptions/{subscription_id}", "get"): (None, "Subscription"),
    ("/subscriptions/{subscription_id}", "delete"): (None, None),
}


def _refs(node: Any) -> set[str]:
    text = json.dumps(node)
    return set(re.findall(r'"#/components/schemas/([^"]+)"', text))


def test_openapi_document_validates_and_lists_every_route(api: Api) -> None:
    result = api.request("health", path="/openapi.json")
    assert result.status == 200
    assert result.headers["content-type"].startswith("application/json")
    spec = result.json
    validate(spec)

    operations = {
        (path, method): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }
    assert set(operations) == set(EXPECTED_ROUTES)
    for key, (request_model, response_model) in EXPECTED_ROUTES.items():
        operation = operations[key]
        if request_model:
            assert request_model in _refs(operation["requestBody"]), key
        success = next(code for code in operation["responses"] if code.startswith("2"))
        if response_model:
            assert response_model in _refs(operation["responses"][success]), key
        errors = [code for code in operation["responses"] if code[0] in "45"]
        assert errors, key
        if key != ("/health", "get"):
            for code in errors:
                assert "ErrorBody" in _refs(operation["responses"][code]), (key, code)
    assert "201" in operations[("/schedules", "post")]["responses"]
    assert "202" in operations[("/schedules/{schedule_id}/run", "post")]["responses"]
    assert "204" in operations[("/schedules/{schedule_id}", "delete")]["responses"]
    list_params = {p["name"] for p in operations[("/schedules", "get")]["parameters"]}
    assert {"status", "task_type", "tag", "name_prefix", "limit", "cursor"} <= list_params
    schemas = spec["components"]["schemas"]
    assert schemas["ScheduleCreate"]["additionalProperties"] is False


def test_swagger_ui(api: Api) -> None:
    result = api.request("health", path="/docs")
    assert result.status == 200
    assert result.headers["content-type"].startswith("text/html")
    assert "swagger" in result.text.lower()
    # The embedded document is the completed one: Swagger UI gets its Authorize button.
    assert '"securitySchemes"' in result.text
    assert '"bearerFormat":"JWT"' in result.text.replace(" ", "")


def test_every_sample_event_exists_is_a_v2_event_and_is_used() -> None:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

    on_disk = {p.name[len("api-") : -len(".json")] for p in EVENTS_DIR.glob("api-*.json")}
    assert on_disk == set(SAMPLE_NAMES)
    sources = "\n".join(
        p.read_text()
        for p in Path(__file__).parent.glob("test_*.py")
        if p.name != Path(__file__).name
    )
    for name in SAMPLE_NAMES:
        event = APIGatewayProxyEventV2(load_event(name))
        assert event.version == "2.0"
        if event.route_key == "ANY /{proxy+}":
            assert event.request_context.authorizer.jwt_claim["sub"] == TENANT
        else:  # a public route: no authorizer, as API Gateway sends it
            assert event.route_key == f"GET {event.raw_path}"
            assert "authorizer" not in event["requestContext"]
        assert event.request_context.stage == "$default"
        assert event.path.startswith("/schedules") or event.path == "/health"
        assert f'"{name}"' in sources, f"sample api-{name}.json is not used by a test"
