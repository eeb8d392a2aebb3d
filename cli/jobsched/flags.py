"""The flags `create` and `update` share: a schedule's fields and its task's, made into one
request body (a -f file first, the flags over it).

They are declared once, as the parameters of `_read_flags`; `schedule_flags` puts them in a
command's signature (where typer reads its options) in place of its `flags` parameter, and
hands the command what `_read_flags` made of them."""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, get_args

import typer

from jobsched import spec
from jobsched.app import ExitCode, fail, spec_failed

Command = Callable[..., None]


def _json_or_text(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def pairs(values: list[str] | None, separator: str, what: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values or []:
        key, sep, item = value.partition(separator)
        if not sep or not key.strip():
            fail(ExitCode.USAGE, f"{what} {value!r} must look like KEY{separator}VALUE")
        found[key.strip()] = item.strip()
    return found


TASK_FLAGS: dict[str, tuple[str, ...]] = {
    "http": ("url", "method", "headers", "body", "timeout_seconds"),
    "lambda": ("function", "payload"),
    "sqs": ("queue_url", "message"),
    "sns": ("topic_arn", "message", "subject"),
    "eventbridge": ("event_bus", "source", "detail_type", "detail"),
    "stepfunctions": ("state_machine_arn", "input"),
}


def _read_body(path: Path) -> dict[str, Any]:
    try:
        document = spec.read_document(path)
    except spec.SpecError as error:
        spec_failed(error)
    if not isinstance(document, dict):
        spec_failed(spec.SpecError(str(path), ["(top level): expected a mapping of fields"]))
    return document


def _body_from_flags(
    *,
    file: Path | None,
    fields: dict[str, Any],
    task_type: str | None,
    task_fields: dict[str, Any],
) -> dict[str, Any]:
    body: dict[str, Any] = _read_body(file) if file else {}
    body.update({k: v for k, v in fields.items() if v is not None})
    given = {k: v for k, v in task_fields.items() if v not in (None, {}, [])}
    if task_type or given:
        task = dict(body.get("task") or {}) if not task_type else {}
        kind = task_type or task.get("type")
        if kind is None:
            fail(ExitCode.USAGE, "task fields need --task-type (http, lambda, sqs, ...)")
        allowed = TASK_FLAGS.get(str(kind), ())
        stray = sorted(set(given) - set(allowed))
        if stray:
            flags = ", ".join("--" + name.replace("_", "-") for name in stray)
            fail(ExitCode.USAGE, f"{flags} do(es) not apply to a {kind} task")
        task.update({"type": kind, **given})
        body["task"] = task
    return body


def _task_fields(**values: Any) -> dict[str, Any]:
    values["headers"] = pairs(values.get("headers"), ":", "--header")
    for name in ("body", "payload", "message", "detail", "input"):
        values[name] = _json_or_text(values.get(name))
    return values


TaskTypeOpt = Annotated[
    str | None,
    typer.Option(help="http, lambda, sqs, sns, eventbridge or stepfunctions"),
]


@dataclass(frozen=True)
class ScheduleFlags:
    """What the shared flags say: the body (every field given, tags aside) and the --tag
    pairs (None without --tag: merging them or replacing the tags is the command's call)."""

    body: dict[str, Any]
    tags: dict[str, str] | None


def _read_flags(
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="A YAML or JSON body; flags override its fields"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Schedule name")] = None,
    schedule: Annotated[
        str | None,
        typer.Option(
            "--schedule", "-s", help='"every monday at 8am", "rate(5 minutes)", "0 9 * * 1-5", ...'
        ),
    ] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", "--timezone", help="IANA zone, e.g. Europe/Paris")
    ] = None,
    description: Annotated[str | None, typer.Option(help="Free text")] = None,
    task_type: TaskTypeOpt = None,
    url: Annotated[str | None, typer.Option(help="http: URL")] = None,
    method: Annotated[str | None, typer.Option(help="http: method (POST)")] = None,
    header: Annotated[list[str] | None, typer.Option(help="http: 'Name: value' (repeat)")] = None,
    body: Annotated[str | None, typer.Option(help="http: body (JSON or text)")] = None,
    timeout_seconds: Annotated[float | None, typer.Option(help="http: timeout")] = None,
    function: Annotated[str | None, typer.Option(help="lambda: function name or ARN")] = None,
    payload: Annotated[str | None, typer.Option(help="lambda: payload (JSON)")] = None,
    queue_url: Annotated[str | None, typer.Option(help="sqs: queue URL")] = None,
    message: Annotated[str | None, typer.Option(help="sqs/sns: message (JSON or text)")] = None,
    topic_arn: Annotated[str | None, typer.Option(help="sns: topic ARN")] = None,
    subject: Annotated[str | None, typer.Option(help="sns: subject")] = None,
    event_bus: Annotated[str | None, typer.Option(help="eventbridge: bus")] = None,
    source: Annotated[str | None, typer.Option(help="eventbridge: source")] = None,
    detail_type: Annotated[str | None, typer.Option(help="eventbridge: detail-type")] = None,
    detail: Annotated[str | None, typer.Option(help="eventbridge: detail (JSON)")] = None,
    state_machine_arn: Annotated[str | None, typer.Option(help="stepfunctions: ARN")] = None,
    input_: Annotated[str | None, typer.Option("--input", help="stepfunctions: input")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="KEY=VALUE (repeat)")] = None,
    max_runs: Annotated[int | None, typer.Option(help="Stop after this many runs")] = None,
    start_at: Annotated[str | None, typer.Option(help="ISO 8601 with offset")] = None,
    end_at: Annotated[str | None, typer.Option(help="ISO 8601 with offset")] = None,
    overlap: Annotated[str | None, typer.Option(help="skip (default) or allow")] = None,
    priority: Annotated[int | None, typer.Option(help="1-10")] = None,
) -> ScheduleFlags:
    # Over 60 lines only because typer reads each flag from this signature: one
    # parameter a flag, then one line a field.
    body_ = _body_from_flags(
        file=file,
        fields={
            "name": name,
            "schedule": schedule,
            "timezone": tz,
            "description": description,
            "max_runs": max_runs,
            "start_at": start_at,
            "end_at": end_at,
            "overlap": overlap,
            "priority": priority,
        },
        task_type=task_type,
        task_fields=_task_fields(
            url=url,
            method=method,
            headers=header,
            body=body,
            timeout_seconds=timeout_seconds,
            function=function,
            payload=payload,
            queue_url=queue_url,
            message=message,
            topic_arn=topic_arn,
            subject=subject,
            event_bus=event_bus,
            source=source,
            detail_type=detail_type,
            detail=detail,
            state_machine_arn=state_machine_arn,
            input=input_,
        ),
    )
    return ScheduleFlags(body_, pairs(tag, "=", "--tag") if tag is not None else None)


_SHARED = inspect.signature(_read_flags, eval_str=True).parameters


def _reworded(parameter: inspect.Parameter, help_text: str | None) -> inspect.Parameter:
    if help_text is None:
        return parameter
    base, option = get_args(parameter.annotation)
    option = copy(option)  # the shared declaration stays as it is for the other command
    option.help = help_text
    return parameter.replace(annotation=Annotated[base, option])


def schedule_flags(**help_texts: str) -> Callable[[Command], Command]:
    """Gives a command the shared flags where its `flags: ScheduleFlags` parameter is;
    ``help_texts`` rewords a flag's help for this command (e.g. what --tag does to the
    tags a schedule has)."""

    unknown = set(help_texts) - set(_SHARED)
    if unknown:
        raise ValueError(f"no shared flag named {sorted(unknown)}")

    def decorate(command: Command) -> Command:
        own = inspect.signature(command, eval_str=True)
        parameters: list[inspect.Parameter] = []
        for parameter in own.parameters.values():
            if parameter.name != "flags":
                parameters.append(parameter)
                continue
            parameters.extend(_reworded(p, help_texts.get(p.name)) for p in _SHARED.values())

        @functools.wraps(command)
        def with_flags(**values: Any) -> None:
            shared = {name: values.pop(name) for name in _SHARED}
            command(**values, flags=_read_flags(**shared))

        with_flags.__signature__ = own.replace(parameters=parameters)  # type: ignore[attr-defined]
        # typer resolves annotations through these, not the signature.
        with_flags.__annotations__ = {p.name: p.annotation for p in parameters}
        return with_flags

    return decorate
