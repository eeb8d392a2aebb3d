"""Tasks may not aim at the scheduler's own plumbing.

The executor's role may publish to the lifecycle topic and send to the DLQ (it must, for
its own work), so IAM cannot stop a tenant's task from doing the same: an sns task on
the lifecycle topic would forge events that other tenants' subscribers trust, an sqs
task on the DLQ would fake failed deliveries, a lambda task on the executor would forge
a run of another tenant's schedule. Refused here, at create and update, by name.
"""

from __future__ import annotations

from collections.abc import Iterator

from jobscheduler.errors import ValidationFailed
from jobscheduler.models.tasks import LambdaTask, SequenceTask, SnsTask, SqsTask, Task
from jobscheduler.settings import Settings


def _leaves(task: Task) -> Iterator[tuple[str, Task]]:
    if isinstance(task, SequenceTask):
        for step in task.steps:
            yield f"steps[{step.id}].task", step.task
    else:
        yield "task", task


def _function_name(value: str) -> str:
    """Name, partial ARN (123456789012:function:name) or ARN, with or without qualifier."""
    if ":function:" in value:
        value = value.split(":function:", 1)[1]
    return value.split(":", 1)[0]


def _queue_name(url_or_arn: str) -> str:
    return url_or_arn.rstrip("/").replace(":", "/").rsplit("/", 1)[-1]


def refuse_own_resources(task: Task, settings: Settings) -> None:
    own_topic = settings.topic_arn
    own_queue = _queue_name(settings.dlq_arn) if settings.dlq_arn else None
    own_function = (
        _function_name(settings.executor_function_arn) if settings.executor_function_arn else None
    )
    for where, leaf in _leaves(task):
        reason = None
        if isinstance(leaf, SnsTask) and own_topic and leaf.topic_arn == own_topic:
            reason = "the scheduler's own lifecycle topic (subscribe to it instead)"
        elif isinstance(leaf, SqsTask) and own_queue and _queue_name(leaf.queue_url) == own_queue:
            reason = "the scheduler's own dead-letter queue"
        elif (
            isinstance(leaf, LambdaTask)
            and own_function
            and _function_name(leaf.function) == own_function
        ):
            reason = "the scheduler's own executor function (use POST /schedules/{id}/run)"
        if reason:
            raise ValidationFailed(
                f"{where} targets {reason}; tasks may not target the scheduler itself",
                code="forbidden_target",
                details=[{"loc": ["body", *where.split(".")], "msg": reason}],
            )
