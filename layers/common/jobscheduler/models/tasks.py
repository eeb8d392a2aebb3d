"""Task shapes: one JSON object each, identical in the API and the executor.

``message``, ``body``, ``payload``, ``detail`` and ``input`` take JSON or a string.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    field_validator,
    model_validator,
)

TaskType = Literal["http", "lambda", "sqs", "sns", "eventbridge", "stepfunctions", "sequence"]
TASK_TYPES: tuple[str, ...] = (
    "http",
    "lambda",
    "sqs",
    "sns",
    "eventbridge",
    "stepfunctions",
    "sequence",
)


class _Task(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HttpTask(_Task):
    type: Literal["http"]
    url: AnyHttpUrl
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: JsonValue = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=900)
    # None means any 2xx counts as success.
    success_codes: list[Annotated[int, Field(ge=100, le=599)]] | None = Field(
        default=None, min_length=1
    )

    def is_success(self, status_code: int) -> bool:
        if self.success_codes is None:
            return 200 <= status_code < 300
        return status_code in self.success_codes

    follow_redirects: bool = False
    max_redirects: int = Field(default=3, ge=0, le=10)

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        if value.scheme not in ("http", "https"):
            raise ValueError("only http and https URLs are allowed")
        return value


class LambdaTask(_Task):
    type: Literal["lambda"]
    function: str = Field(min_length=1, max_length=256, description="Function name or ARN")
    payload: JsonValue = None
    invocation_type: Literal["RequestResponse", "Event"] = "RequestResponse"


class SqsTask(_Task):
    type: Literal["sqs"]
    queue_url: str = Field(pattern=r"^https?://\S+$")
    message: JsonValue
    message_group_id: str | None = Field(default=None, max_length=128)
    deduplication_id: str | None = Field(default=None, max_length=128)
    delay_seconds: int | None = Field(default=None, ge=0, le=900)

    @model_validator(mode="after")
    def _fifo(self) -> SqsTask:
        if self.queue_url.endswith(".fifo") and not self.message_group_id:
            raise ValueError("a FIFO queue (.fifo) needs message_group_id")
        return self


class SnsTask(_Task):
    type: Literal["sns"]
    topic_arn: str = Field(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$")
    message: JsonValue
    subject: str | None = Field(default=None, max_length=100)
    attributes: dict[str, str] = Field(default_factory=dict)
    message_group_id: str | None = Field(default=None, max_length=128)


class EventBridgeTask(_Task):
    type: Literal["eventbridge"]
    event_bus: str = Field(default="default", min_length=1, max_length=1600)
    source: str = Field(min_length=1, max_length=256)
    detail_type: str = Field(min_length=1, max_length=128)
    detail: JsonValue = Field(default_factory=dict)

    @field_validator("source")
    @classmethod
    def _not_aws(cls, value: str) -> str:
        if value.startswith("aws."):
            raise ValueError("sources starting with 'aws.' are reserved by AWS")
        return value


class StepFunctionsTask(_Task):
    type: Literal["stepfunctions"]
    state_machine_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$"
    )
    input: JsonValue = Field(default_factory=dict)


class SequenceStep(_Task):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    task: LeafTask
    depends_on: list[str] = Field(default_factory=list)


class SequenceTask(_Task):
    type: Literal["sequence"]
    steps: list[SequenceStep] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _graph(self) -> SequenceTask:
        seen: set[str] = set()
        for step in self.steps:
            if step.id in seen:
                raise ValueError(f"duplicate step id {step.id!r}")
            for dep in step.depends_on:
                if dep not in seen:
                    raise ValueError(
                        f"step {step.id!r} depends on {dep!r}, which is not an earlier step"
                    )
            seen.add(step.id)
        return self


LeafTask = Annotated[
    HttpTask | LambdaTask | SqsTask | SnsTask | EventBridgeTask | StepFunctionsTask,
    Field(discriminator="type"),
]
Task = Annotated[
    HttpTask | LambdaTask | SqsTask | SnsTask | EventBridgeTask | StepFunctionsTask | SequenceTask,
    Field(discriminator="type"),
]

SequenceStep.model_rebuild()


def refuse_unknown_task_type(value: object) -> object:
    """Give unknown task types a message that says why, before the union's generic one."""
    if isinstance(value, dict):
        kind = value.get("type")
        if kind in ("shell", "command", "exec", "bash", "script"):
            raise ValueError(
                f"task type {kind!r} is not supported: a Lambda is no place to run shell "
                "commands; wrap the command in a Lambda function, a Step Functions state "
                "machine or an HTTP endpoint and schedule that instead"
            )
        if isinstance(kind, str) and kind not in TASK_TYPES:
            raise ValueError(f"unknown task type {kind!r}; expected one of {', '.join(TASK_TYPES)}")
    return value
