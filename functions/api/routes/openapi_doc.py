"""What the OpenAPI document says beyond what the routes declare, added in one place.

Powertools builds the document from the routes; this completes it for every route
alike, so a new route gets it without asking: the security schemes (JWT bearer, or SigV4
in IAM mode; Swagger UI shows an Authorize button), the answers any route can give
before or around its handler (401, 405, 413, 415, 400 for malformed JSON, 422, 500),
the `Location`, `Idempotent-Replayed`, `Retry-After` and `Allow` headers, the error
codes from the catalog (jobscheduler.errors), and the package version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

from jobscheduler import __version__
from jobscheduler.errors import (
    CATALOG,
    DependencyUnavailable,
    InternalError,
    MalformedBody,
    MethodNotAllowed,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
    describe_status,
)

API_TITLE = "Job Scheduler API"
# One version everywhere: the package's (pyproject.toml, /health and this document).
API_VERSION = __version__

# Routes API Gateway serves without an authorizer (template.yaml, AuthorizationType NONE).
PUBLIC_ROUTES = frozenset({("get", "/health"), ("get", "/docs"), ("get", "/openapi.json")})

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "jwt": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "AuthMode=JWT (the default): a token from the stack's JwtIssuer for "
        "its JwtAudience, checked by API Gateway; its TenantClaim claim (`sub` by default) "
        "is the tenant. Locally any token is accepted and not verified.",
    },
    "sigv4": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "AuthMode=IAM: the request is signed with AWS Signature Version 4 "
        "for the service `execute-api` (e.g. with awscurl); the caller's IAM principal is "
        "the tenant. Swagger UI cannot sign requests: use a SigV4 client.",
        "x-amazon-apigateway-authtype": "awsSigv4",
    },
}
# Either scheme, depending on the stack's AuthMode.
SECURITY: list[dict[str, list[str]]] = [{"jwt": []}, {"sigv4": []}]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _header(description: str, example: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if example is not None:
        schema["examples"] = [example]
    return {"description": description, "schema": schema}


def _error(status: int) -> dict[str, Any]:
    return {
        "description": describe_status(status),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }


def _answers_every_route_can_give(public: bool, has_body: bool) -> set[int]:
    statuses = {MethodNotAllowed.status, PayloadTooLarge.status, InternalError.status}
    if not public:
        statuses |= {Unauthorized.status, ValidationFailed.status}
    if has_body:
        statuses |= {MalformedBody.status, UnsupportedMediaType.status, ValidationFailed.status}
    return statuses


def _complete_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    public = (method, path) in PUBLIC_ROUTES
    if public:
        operation["security"] = []  # no credentials, no Authorize padlock
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if public and "422" in responses and not operation.get("parameters"):
        del responses["422"]  # Powertools adds it to every route; nothing to validate here
    for added in _answers_every_route_can_give(public, "requestBody" in operation):
        responses.setdefault(str(added), _error(added))
    for status, response in responses.items():
        if status[0] in "45" and "ErrorBody" in str(response.get("content")):
            response["description"] = describe_status(int(status)) or response["description"]
    headers_of = {
        status: response.setdefault("headers", {}) for status, response in responses.items()
    }
    headers_of[str(MethodNotAllowed.status)]["Allow"] = _header(
        "The methods this path has", "GET, PATCH, DELETE"
    )
    unavailable = responses.get(str(DependencyUnavailable.status))
    if unavailable is not None and "ErrorBody" in str(unavailable.get("content")):
        unavailable["headers"]["Retry-After"] = _header(
            "Seconds to wait before repeating the call", "1"
        )
    if "201" in headers_of:
        headers_of["201"]["Location"] = _header(
            "The path of the created resource", "/schedules/sch_y1v1ftz6f528ag9bnna0"
        )
        header_params = {
            p.get("name", "").lower()
            for p in operation.get("parameters", [])
            if p.get("in") == "header"
        }
        if "idempotency-key" in header_params:
            headers_of["201"]["Idempotent-Replayed"] = _header(
                "`true` when an earlier request with the same Idempotency-Key created the "
                "schedule and this answer replays it",
                "true",
            )
    for response in responses.values():
        if not response["headers"]:
            del response["headers"]


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """The document Powertools generated, completed (in place, and returned)."""
    document["info"]["version"] = API_VERSION
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    document["security"] = SECURITY
    error_info = components.get("schemas", {}).get("ErrorInfo", {})
    code = error_info.get("properties", {}).get("code")
    if code is not None:
        code["enum"] = sorted(CATALOG)
        code["description"] = "Stable, machine-readable; see the error catalog (docs/errors.md)"
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                _complete_operation(path, method, item[method])
    return document


class ApiResolver(APIGatewayHttpResolver):
    """Powertools' HTTP API resolver whose OpenAPI document (served at /openapi.json and
    embedded in Swagger UI at /docs) is completed by ``complete``."""

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPI:
        generated = super().get_openapi_schema(**kwargs)
        document = generated.model_dump(mode="json", by_alias=True, exclude_none=True)
        # Imported here: Powertools' OpenAPI models cost ~100 ms of cold start that only
        # /openapi.json and /docs need.
        from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

        return OpenAPI.model_validate(complete(document))
