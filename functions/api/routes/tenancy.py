"""The tenant of a request: from the API Gateway authorizer context, never the body.

API Gateway's event shape is the API function's business: the use cases get a tenant."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jobscheduler.errors import Unauthorized

# Every key starts with TENANT#{tenant}#...: a '#' in a tenant could make one tenant's
# keys look like another's (TENANT#a#SCHEDULE#x is tenant a's history partition), so
# such identities are refused rather than escaped. Control characters are refused too.
_USABLE_TENANT = re.compile(r"^[^#\x00-\x1f\x7f]{1,256}$")
# IAM auth: the most specific stable identity API Gateway hands us, in this order.
_IAM_IDENTITY_FIELDS = ("userArn", "principal", "callerId", "userId")


def tenant_from_request_context(request_context: Mapping[str, Any] | None, claim: str) -> str:
    """``requestContext.authorizer.jwt.claims[claim]`` (JWT authorizer) or the IAM
    principal (``requestContext.authorizer.iam``); Unauthorized (401) when neither."""
    authorizer = (request_context or {}).get("authorizer") or {}
    tenant: object = None
    jwt = authorizer.get("jwt") if isinstance(authorizer, Mapping) else None
    if isinstance(jwt, Mapping):
        claims = jwt.get("claims") or {}
        if isinstance(claims, Mapping):
            tenant = claims.get(claim)
    if not tenant and isinstance(authorizer, Mapping):
        iam = authorizer.get("iam")
        if isinstance(iam, Mapping):
            tenant = next((iam[f] for f in _IAM_IDENTITY_FIELDS if iam.get(f)), None)
    if not isinstance(tenant, str) or not tenant:
        raise Unauthorized(
            "no caller identity: send a valid JWT (or sign the request with IAM)",
            details={"claim": claim},
        )
    if not _USABLE_TENANT.match(tenant):
        raise Unauthorized(
            "the caller identity cannot name a tenant (1-256 characters, no '#' or control "
            "characters)",
            details={"claim": claim},
        )
    return tenant
