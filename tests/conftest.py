"""Shared fixtures. Tests never need real credentials: fake ones are set for every test,
and no test reaches a real AWS endpoint (moto in-process, or the local stack)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "JobScheduler",
    "POWERTOOLS_SERVICE_NAME": "job-scheduler",
    "POWERTOOLS_DEV": "false",
}


@pytest.fixture(autouse=True)
def _fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    # Never inherit a developer's endpoint or profile.
    for key in list(os.environ):
        if key.startswith("AWS_ENDPOINT_URL") or key in ("AWS_PROFILE", "AWS_CONFIG_FILE"):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """moto in-process with template.yaml's resources created; the functions'
    environment (from the same template) is set. Yields the local.resources.Stack."""
    from moto import mock_aws

    from jobscheduler.aws import reset_clients
    from jobscheduler.gateways.tenant_topics import forget_presence
    from jobscheduler.settings import reset_settings
    from local.resources import plan, provision

    with mock_aws(config={"lambda": {"use_docker": False}}):
        reset_clients()
        forget_presence()  # which tenants have a topic: known per moto instance
        stack = plan()
        provision(stack)
        for env in stack.environments.values():
            for key, value in env.items():
                monkeypatch.setenv(key, value)
        # The DLQ URL is only known after provisioning.
        reset_settings()
        yield stack
        reset_clients()
        reset_settings()


@pytest.fixture
def serialized_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """One moto request at a time, for tests that race threads on moto.

    moto's in-process backend is not thread-safe (a conditional write can pass twice,
    a transaction deep-copies tables that another thread is changing). Real DynamoDB
    serializes conditional writes per item; serializing each request in moto stands in
    for that. The threads still race everywhere between requests (read, claim, task,
    finish)."""
    import threading

    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def process_request(self: Any, request: Any) -> Any:
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", process_request)
