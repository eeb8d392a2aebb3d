"""The signature check of docs/subscriptions.md, compiled as written, against messages
the (local stack's) SNS signed: genuine ones pass, altered or foreign ones do not."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .conftest import TENANT_A, subscribe

PAGE = Path(__file__).resolve().parents[3] / "docs" / "subscriptions.md"


def _recipe() -> Any:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.DOTALL)
    (recipe,) = [block for block in blocks if "def verify(" in block]
    namespace: dict[str, Any] = {}
    exec(compile(recipe, str(PAGE), "exec"), namespace)  # our own page, nothing else
    return namespace["verify"]


def _local_certificate(url: str) -> bytes:
    """What GET SigningCertURL returns in AWS; moto keeps it in its default account."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    parts = urlsplit(url)
    region = parts.hostname.split(".")[1]  # type: ignore[union-attr]
    pem: bytes = sns_backends[DEFAULT_ACCOUNT_ID][region]._message_public_keys[
        parts.path.lstrip("/")
    ]
    return pem


def test_genuine_messages_verify_and_altered_ones_do_not(api, runner, hooks):
    verify = _recipe()
    made = subscribe(api, TENANT_A, "http", hooks.url("signed"))
    topic_arn = made.json["topic_arn"]
    runner.run(runner.schedule(TENANT_A))
    hooks.events("signed")  # drained
    notes = hooks.received["signed"]
    assert notes
    for note in notes:
        assert note["TopicArn"] == topic_arn
        assert verify(note, topic_arn, fetch=_local_certificate)

    note = notes[-1]
    altered = copy.deepcopy(note)
    altered["Message"] = altered["Message"].replace("{", "{ ", 1)
    assert not verify(altered, topic_arn, fetch=_local_certificate)
    assert not verify(note, topic_arn + "-other", fetch=_local_certificate)
    foreign = copy.deepcopy(note)
    foreign["SigningCertURL"] = "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem"
    assert not verify(foreign, topic_arn, fetch=_local_certificate)
    plain = copy.deepcopy(note)
    plain["SigningCertURL"] = note["SigningCertURL"].replace("https:", "http:")
    assert not verify(plain, topic_arn, fetch=_local_certificate)
    unsigned = copy.deepcopy(note)
    unsigned["SignatureVersion"] = "3"
    assert not verify(unsigned, topic_arn, fetch=_local_certificate)
