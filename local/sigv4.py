"""LOCAL ONLY: SigV4 checking for requests signed as for AuthMode=IAM (`jobsched --iam`).

API Gateway verifies the signature against the caller's IAM secret and hands the
function ``requestContext.authorizer.iam``. Locally there is no IAM: every access key id
is accepted when the request was signed with the one local secret
(LOCAL_IAM_SECRET_ACCESS_KEY, default "local"), and the caller is the IAM user named
after the access key id. A wrong signature, service or stale date is refused with 403,
as API Gateway would, so a signing bug cannot pass locally.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.template import ACCOUNT_ID

ALGORITHM = "AWS4-HMAC-SHA256"
SECRET_ENV = "LOCAL_IAM_SECRET_ACCESS_KEY"  # noqa: S105  # the variable's name, not a secret
MAX_SKEW = timedelta(minutes=5)
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/"
    r"(?P<service>[a-z0-9-]+)/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;-]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


class SignatureRejected(Exception):
    """API Gateway's 403 for a signed request it does not accept."""


def is_signed(authorization: str | None) -> bool:
    return bool(authorization and authorization.strip().startswith(ALGORITHM))


def verify(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime | None = None,
) -> dict[str, str]:
    """The ``authorizer.iam`` context of a correctly signed request (headers lower-cased)."""
    match = _AUTHORIZATION.match(headers.get("authorization", "").strip())
    if match is None:
        raise SignatureRejected(
            "Authorization header requires Credential, SignedHeaders, Signature"
        )
    if match["service"] != "execute-api":
        raise SignatureRejected(
            f"Credential should be scoped to service 'execute-api', not {match['service']!r}"
        )
    stamp = headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise SignatureRejected("X-Amz-Date is missing or malformed") from None
    if not stamp.startswith(match["date"]):
        raise SignatureRejected("Credential date does not match X-Amz-Date")
    if abs((now or datetime.now(UTC)) - signed_at) > MAX_SKEW:
        raise SignatureRejected("Signature expired: X-Amz-Date is more than 5 minutes away")
    signed = match["headers"].split(";")
    if "host" not in signed:
        raise SignatureRejected("the host header must be signed")
    missing = [name for name in signed if name not in headers]
    if missing:
        raise SignatureRejected(f"signed headers missing from the request: {', '.join(missing)}")
    request = AWSRequest(
        method=method.upper(),
        url=f"http://{headers['host']}{target}",
        data=body,
        headers={name: headers[name] for name in signed},
    )
    request.context["timestamp"] = stamp
    secret = os.environ.get(SECRET_ENV, "local")
    auth = SigV4Auth(Credentials(match["key"], secret), "execute-api", match["region"])
    expected = auth.signature(
        auth.string_to_sign(request, auth.canonical_request(request)), request
    )
    if not hmac.compare_digest(expected, match["signature"]):
        raise SignatureRejected(
            "The request signature we calculated does not match the signature you provided."
        )
    user_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{match['key']}"
    return {
        "accessKey": match["key"],
        "accountId": ACCOUNT_ID,
        "caller": match["key"],
        "userArn": user_arn,
        "userId": match["key"],
    }
