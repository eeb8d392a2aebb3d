"""The reference pages of docs/ cover what the code defines, so they cannot fall behind:
every task field, every lifecycle event type and attribute; the webhook verification
recipe verifies what the executor signs."""

from __future__ import annotations

import re
import time
import typing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from standardwebhooks.webhooks import Webhook

from jobscheduler.models.events import LifecycleEvent
from jobscheduler.models.schedules import RetryPolicy
from jobscheduler.models.tasks import (
    EventBridgeTask,
    HttpTask,
    LambdaTask,
    SequenceStep,
    SequenceTask,
    SnsTask,
    SqsTask,
    StepFunctionsTask,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The text under `## heading` up to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(heading)}\s*$", text, flags=re.MULTILINE)
    assert match, f"no heading {heading!r}"
    level = len(match[1])
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, flags=re.MULTILINE)
    return rest[: end.start()] if end else rest


def documented_fields(text: str) -> set[str]:
    """The first column of the section's tables: `field` or `steps[].field`."""
    return {
        name.split("[].")[-1]
        for name in re.findall(r"^\| `([a-z_\[\].]+)` \|", text, flags=re.MULTILINE)
    }


TASKS: list[type[BaseModel]] = [
    HttpTask,
    LambdaTask,
    SqsTask,
    SnsTask,
    EventBridgeTask,
    StepFunctionsTask,
    SequenceTask,
]


@pytest.mark.parametrize("model", TASKS, ids=lambda m: m.__name__)
def test_tasks_page_documents_every_field_of_every_task(model: type[BaseModel]) -> None:
    kind = typing.get_args(model.model_fields["type"].annotation)[0]
    fields = documented_fields(section(page("tasks.md"), kind))
    expected = set(model.model_fields)
    if model is SequenceTask:
        expected |= set(SequenceStep.model_fields)
    assert expected <= fields, f"{kind}: not documented: {sorted(expected - fields)}"
    assert fields <= expected, f"{kind}: documented but gone: {sorted(fields - expected)}"


def test_tasks_page_documents_the_retry_policy() -> None:
    text = section(page("tasks.md"), "Retries inside a run")
    assert set(RetryPolicy.model_fields) == documented_fields(text)
    for name, field in RetryPolicy.model_fields.items():
        assert re.search(rf"^\| `{name}` \| {field.default} \|", text, flags=re.MULTILINE), name


def test_events_page_has_a_section_and_a_sample_for_every_event_type() -> None:
    text = page("events.md")
    event_types = typing.get_args(LifecycleEvent.model_fields["event_type"].annotation)
    assert len(event_types) >= 10
    for event_type in event_types:
        body = section(text, event_type)
        assert f'"event_type": "{event_type}"' in body, f"{event_type}: no sample"
        assert f"event_type={event_type}" in body, f"{event_type}: attributes not shown"


def test_events_page_lists_every_message_attribute() -> None:
    sample = LifecycleEvent(
        event_type="schedule.created",
        tenant="t",
        schedule_id="sch_x",
        status="ACTIVE",
        task_type="http",
        data={},
    )
    documented = documented_fields(section(page("events.md"), "The message attributes"))
    assert set(sample.message_attributes()) == documented


def _verify_recipe() -> Any:
    """The stdlib `verify` function of docs/webhooks.md, compiled as written."""
    blocks = re.findall(r"```python\n(.*?)```", page("webhooks.md"), flags=re.DOTALL)
    (recipe,) = [block for block in blocks if "def verify(" in block]
    namespace: dict[str, Any] = {}
    exec(compile(recipe, "docs/webhooks.md", "exec"), namespace)  # our own page, nothing else
    return namespace["verify"]


def test_webhooks_recipe_verifies_what_the_executor_signs() -> None:
    verify = _verify_recipe()
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"report": "sales"}'
    now = datetime.now(UTC)
    # The executor signs with standardwebhooks, exactly so (logic/runner.py).
    headers = {
        "webhook-id": "sch_abc.20261123T080000Z",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign("sch_abc.20261123T080000Z", now, body),
    }
    verify(secret, headers, body.encode())
    with pytest.raises(ValueError, match="no valid signature"):
        verify(secret, headers, body.replace("sales", "salez").encode())
    with pytest.raises(ValueError, match="no valid signature"):
        verify("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB", headers, body.encode())
    old = {**headers, "webhook-timestamp": str(int(time.time()) - 3600)}
    with pytest.raises(ValueError, match="too old"):
        verify(secret, old, body.encode())


def test_deploy_page_documents_every_template_parameter() -> None:
    from local.template import load_template

    parameters = load_template()["Parameters"]
    text = section(page("deploy.md"), "Parameters")
    documented = set(re.findall(r"^\| `([A-Za-z]+)` \| ([^|]+) \|", text, flags=re.MULTILINE))
    names = {name for name, _ in documented}
    assert names == set(parameters), sorted(names ^ set(parameters))
    for name, default in documented:
        expected = str(parameters[name].get("Default", ""))
        shown = default.strip().strip("`")
        assert shown == (expected or "empty"), (name, shown, expected)
