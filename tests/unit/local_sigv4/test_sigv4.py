"""The local stack's SigV4 check (what `jobsched --iam` is verified against)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local import sigv4

HOST = "127.0.0.1:3000"


def signed(
    method: str = "POST",
    target: str = "/schedules?limit=5",
    body: bytes = b'{"a": 1}',
    *,
    secret: str = "local",
    service: str = "execute-api",
    token: str | None = None,
) -> dict[str, str]:
    request = AWSRequest(
        method=method,
        url=f"http://{HOST}{target}",
        data=body,
        headers={"Content-Type": "application/json", "User-Agent": "test"},
    )
    SigV4Auth(Credentials("AKIDTEST", secret, token), service, "eu-west-1").add_auth(request)
    return {k.lower(): v for k, v in request.headers.items()} | {"host": HOST}


def test_a_correct_signature_names_the_caller() -> None:
    identity = sigv4.verify("POST", "/schedules?limit=5", signed(), b'{"a": 1}')
    assert identity["userArn"] == "arn:aws:iam::123456789012:user/AKIDTEST"
    assert identity["accessKey"] == "AKIDTEST"
    with_token = signed(token="session")
    assert "x-amz-security-token" in with_token
    assert sigv4.verify("POST", "/schedules?limit=5", with_token, b'{"a": 1}')


@pytest.mark.parametrize(
    ("method", "target", "body", "headers"),
    [
        ("POST", "/schedules?limit=5", b'{"a": 2}', signed()),  # body changed
        ("POST", "/schedules?limit=6", b'{"a": 1}', signed()),  # query changed
        ("POST", "/executions?limit=5", b'{"a": 1}', signed()),  # path changed
        ("PUT", "/schedules?limit=5", b'{"a": 1}', signed()),  # method changed
        ("POST", "/schedules?limit=5", b'{"a": 1}', signed(secret="other")),
        ("POST", "/schedules?limit=5", b'{"a": 1}', signed(service="s3")),
        ("POST", "/schedules?limit=5", b'{"a": 1}', signed() | {"content-type": "text/plain"}),
        (
            "POST",
            "/schedules?limit=5",
            b'{"a": 1}',
            signed() | {"authorization": "AWS4-HMAC-SHA256 nonsense"},
        ),
    ],
)
def test_anything_else_is_refused(
    method: str, target: str, body: bytes, headers: dict[str, str]
) -> None:
    with pytest.raises(sigv4.SignatureRejected):
        sigv4.verify(method, target, headers, body)


def test_a_stale_signature_is_refused() -> None:
    headers = signed()
    later = datetime.now(UTC) + timedelta(minutes=6)
    with pytest.raises(sigv4.SignatureRejected, match="expired"):
        sigv4.verify("POST", "/schedules?limit=5", headers, b'{"a": 1}', now=later)


def test_is_signed() -> None:
    assert sigv4.is_signed(signed()["authorization"])
    assert not sigv4.is_signed("Bearer abc")
    assert not sigv4.is_signed(None)
