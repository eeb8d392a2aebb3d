"""What a task may target: never the scheduler's own resources, and HTTP tasks by the
rules of ``logic.http_rules``.

The executor's role must publish to the lifecycle topic and send to the DLQ for its own
work, so IAM cannot stop a tenant's task from doing the same: an sns task on the
lifecycle topic would forge events that other tenants' subscribers trust, an sqs task on
the DLQ would fake failed deliveries, a lambda task on the executor or the API would
forge a run or read another tenant's data. So the stack's resources are refused here by
every spelling (name, ARN, qualified or alias ARN, partial ARN, URL, logical id), at
create and update and again before every run; template.yaml denies what IAM can.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from jobscheduler.errors import ForbiddenTarget, ValidationFailed
from jobscheduler.logic import http_rules
from jobscheduler.models.tasks import (
    EventBridgeTask,
    HttpTask,
    LambdaTask,
    SequenceTask,
    SnsTask,
    SqsTask,
    StepFunctionsTask,
    Task,
)
from jobscheduler.settings import Settings

Loc = tuple[str | int, ...]
LeafTask = HttpTask | LambdaTask | SqsTask | SnsTask | EventBridgeTask | StepFunctionsTask


@dataclass(frozen=True)
class OwnResources:
    """Lower-cased names of the stack's resources, by kind."""

    functions: frozenset[str]
    topics: frozenset[str]
    queues: frozenset[str]
    other: frozenset[str]  # the table: no task type addresses it, but no field may name it

    @classmethod
    def of(cls, settings: Settings) -> OwnResources:
        functions = {_function_name(f) for f in _split(settings.own_functions)}
        topics = {_last_segment(t) for t in [settings.topic_arn, *_split(settings.alarm_topics)]}
        queues = {_last_segment(settings.dlq_arn)}
        other = {_last_segment(settings.table_name)}
        return cls(
            functions=_clean(functions),
            topics=_clean(topics),
            queues=_clean(queues),
            other=_clean(other),
        )

    @property
    def every(self) -> frozenset[str]:
        return self.functions | self.topics | self.queues | self.other


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _clean(names: set[str]) -> frozenset[str]:
    return frozenset(name.lower() for name in names if name)


def _function_name(value: str) -> str:
    """Name, partial ARN (123456789012:function:name) or ARN, with or without qualifier."""
    if ":function:" in value:
        value = value.split(":function:", 1)[1]
    elif value.startswith("function:"):
        value = value.removeprefix("function:")
    return value.split(":", 1)[0]


def _last_segment(value: str) -> str:
    """The resource name at the end of an ARN or a URL (``...:name``, ``.../name``)."""
    if "://" in value:
        value = unquote(urlsplit(value).path)
    return value.rstrip("/").replace(":", "/").rsplit("/", 1)[-1]


def leaves(task: Task) -> Iterator[tuple[Loc, str, LeafTask]]:
    """Each leaf task, its location below the body's ``task`` and a label for messages."""
    if isinstance(task, SequenceTask):
        for index, step in enumerate(task.steps):
            yield ("steps", index, "task"), f"step {step.id!r}", step.task
    else:
        yield (), "the task", task


def own_resource_reason(leaf: LeafTask, own: OwnResources) -> tuple[str, str] | None:
    """(field, why) when ``leaf`` aims at one of the stack's own resources."""
    if isinstance(leaf, HttpTask):
        return None  # the network guard (gateways.ssrf) decides where HTTP may go
    if isinstance(leaf, LambdaTask):
        if _function_name(leaf.function).lower() in own.functions:
            return "function", "one of the scheduler's own functions"
        field, value = "function", leaf.function
    elif isinstance(leaf, SnsTask):
        if _last_segment(leaf.topic_arn).lower() in own.topics:
            return "topic_arn", "the scheduler's own lifecycle or alarm topic"
        field, value = "topic_arn", leaf.topic_arn
    elif isinstance(leaf, SqsTask):
        if _last_segment(leaf.queue_url).lower() in own.queues:
            return "queue_url", "the scheduler's own dead-letter queue"
        field, value = "queue_url", leaf.queue_url
    elif isinstance(leaf, EventBridgeTask):
        field, value = "event_bus", leaf.event_bus
    else:
        field, value = "state_machine_arn", leaf.state_machine_arn
    if _last_segment(value).lower() in own.every:
        return field, "one of the scheduler's own resources"
    return None


def check_task(task: Task, settings: Settings) -> None:
    """Refuse a task for create or update: own resources first, then the HTTP rules."""
    own = OwnResources.of(settings)
    for prefix, label, leaf in leaves(task):
        found = own_resource_reason(leaf, own)
        if found is not None:
            field, reason = found
            raise ForbiddenTarget(
                f"{label} targets {reason} ({field}); tasks may not target the scheduler itself",
                details=[{"loc": ["body", "task", *prefix, field], "msg": reason}],
            )
    problems = [
        (prefix, problem)
        for prefix, _, leaf in leaves(task)
        if isinstance(leaf, HttpTask)
        for problem in http_task_problems(leaf, settings)
    ]
    if problems:
        raise ValidationFailed(
            "; ".join(problem.msg for _, problem in problems),
            details=[
                {"loc": ["body", "task", *prefix, *problem.loc], "msg": problem.msg}
                for prefix, problem in problems
            ],
        )


def http_task_problems(
    task: HttpTask, settings: Settings, *, at_run_time: bool = False
) -> list[http_rules.Problem]:
    """The HTTP rules; at run time a client-owned header is dropped rather than refused
    (a task stored before the rules still runs, and never smuggles that header)."""
    return [
        *http_rules.url_problems(str(task.url), allow_loopback=settings.allow_loopback_targets),
        *http_rules.header_problems(task.headers, refuse_client_owned=not at_run_time),
    ]
