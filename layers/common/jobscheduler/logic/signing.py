"""GET /signing-secret: the tenant's Standard Webhooks secret, to verify HTTP tasks."""

from __future__ import annotations

from jobscheduler.gateways.secrets import get_or_create_signing_secret
from jobscheduler.models.api import SigningSecretResponse


def signing_secret(tenant: str) -> SigningSecretResponse:
    return SigningSecretResponse(secret=get_or_create_signing_secret(tenant))
