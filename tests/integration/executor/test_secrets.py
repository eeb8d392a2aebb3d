"""gateways/secrets.py: per-tenant Standard Webhooks secret in SSM SecureString."""

from __future__ import annotations

import base64

import boto3
import pytest
from standardwebhooks.webhooks import Webhook

from jobscheduler.errors import DependencyUnavailable
from jobscheduler.gateways import secrets


@pytest.fixture(autouse=True)
def _fresh_cache():
    secrets.reset_secret_cache()
    yield
    secrets.reset_secret_cache()


def test_created_once_as_securestring_and_usable(aws):
    value = secrets.get_or_create_signing_secret("tenant-1")
    assert value.startswith("whsec_")
    assert len(base64.b64decode(value.removeprefix("whsec_"))) >= 24
    ssm = boto3.client("ssm")
    name = secrets.signing_secret_name("tenant-1")
    assert name.endswith("/webhook-secrets/tenant-1")
    parameter = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert parameter["Value"] == value
    # A second container (no cache) reads the same value instead of creating one.
    secrets.reset_secret_cache()
    assert secrets.get_or_create_signing_secret("tenant-1") == value
    Webhook(value)  # the library accepts the format
    assert secrets.get_or_create_signing_secret("tenant-2") != value


def test_cached_per_container(aws, monkeypatch):
    value = secrets.get_or_create_signing_secret("t")
    calls = []
    monkeypatch.setattr(secrets, "_read", lambda name: calls.append(name))
    assert secrets.get_or_create_signing_secret("t") == value
    assert calls == []


def test_race_on_create_reads_the_winner(aws, monkeypatch):
    ssm = boto3.client("ssm")
    name = secrets.signing_secret_name("racer")
    real_read = secrets._read
    reads = []

    def read(parameter_name):
        reads.append(parameter_name)
        if len(reads) == 1:
            # Another container creates it between our read and our put.
            ssm.put_parameter(Name=parameter_name, Value="whsec_d2lubmVy", Type="SecureString")
            return None
        return real_read(parameter_name)

    monkeypatch.setattr(secrets, "_read", read)
    assert secrets.get_or_create_signing_secret("racer") == "whsec_d2lubmVy"
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == (
        "whsec_d2lubmVy"
    )


def test_unsafe_tenant_names_are_hashed():
    prefix = "/job-scheduler/webhook-secrets/"
    assert secrets.signing_secret_name("abc_1.x-y") == prefix + "abc_1.x-y"
    for tenant in ("arn:aws:iam::123456789012:user/alice", "auth0|123", "../x", "a/b", ".."):
        name = secrets.signing_secret_name(tenant)
        leaf = name.removeprefix(prefix)
        assert leaf.startswith("sha256-")
        assert "/" not in leaf
    assert secrets.signing_secret_name("a/b") != secrets.signing_secret_name("a|b")


def test_other_ssm_errors_propagate(aws, monkeypatch):
    from botocore.exceptions import ClientError

    class Broken:
        def get_parameter(self, **_):
            raise ClientError({"Error": {"Code": "AccessDeniedException"}}, "GetParameter")

    monkeypatch.setattr(secrets, "_ssm", lambda: Broken())
    # Propagated, not swallowed, as the domain's 503 (the gateway owns botocore's errors).
    with pytest.raises(DependencyUnavailable) as raised:
        secrets.get_or_create_signing_secret("t")
    assert isinstance(raised.value.__cause__, ClientError)
    assert raised.value.details == {"retryable": True, "dependency": "ssm"}
