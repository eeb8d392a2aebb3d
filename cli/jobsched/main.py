"""`jobsched`: the commands. Each one is a few API calls and a rendering; the plan of
`apply` lives in plan.py, the file format in spec.py, the HTTP in client.py."""

from __future__ import annotations

import json
import re
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import yaml
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from jobsched import __version__, config, output, spec
from jobsched.client import ApiError, Client
from jobsched.output import OutputFormat
from jobsched.plan import SYMBOLS, Action, Plan, build_plan, is_managed


class ExitCode(IntEnum):
    """Documented in docs/cli.md; scripts may rely on them."""

    OK = 0  # done; for apply: nothing to change
    ERROR = 1  # the API refused or could not be reached
    USAGE = 2  # bad command line (click's own code)
    INVALID_FILE = 3  # a schedules/body file failed validation: nothing was sent
    RUN_FAILED = 4  # run --wait: the execution ended FAILED, TIMED_OUT or SKIPPED
    WAIT_TIMEOUT = 5  # run --wait / tail: gave up waiting (--timeout)
    CHANGES = 6  # apply: changes applied (with --dry-run: changes pending)
    ABORTED = 7  # apply: the plan was declined at the prompt; nothing was written


FINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "SKIPPED"}

app = typer.Typer(
    name="jobsched",
    help="Command line of the job scheduler: schedules, runs, history, schedules as code.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

OutputOpt = Annotated[
    OutputFormat,
    typer.Option("--output", "-o", envvar="JOBSCHED_OUTPUT", help="table (default), json or yaml"),
]
ScheduleIdArg = Annotated[str, typer.Argument(help="Schedule id (sch_...)", show_default=False)]


def _fail(code: ExitCode, message: str) -> NoReturn:
    output.err.print(Text(f"error: {message}", style="red"))
    raise typer.Exit(int(code))


# --- connection -----------------------------------------------------------------------


def _print_version(value: bool) -> None:
    if value:
        output.out.print(f"jobsched {__version__}")
        raise typer.Exit(0)


@app.callback()
def connection(
    ctx: typer.Context,
    api_url: Annotated[
        str | None,
        typer.Option(
            envvar="JOBSCHED_API_URL", help=f"API base URL [default: {config.LOCAL_API_URL}]"
        ),
    ] = None,
    token: Annotated[
        str | None, typer.Option(envvar="JOBSCHED_TOKEN", help="Bearer token (a JWT)")
    ] = None,
    iam: Annotated[
        bool | None,
        typer.Option(
            "--iam/--no-iam",
            envvar="JOBSCHED_IAM",
            help="Sign requests with SigV4 from the AWS credential chain (AuthMode=IAM)",
            show_default=False,
        ),
    ] = None,
    region: Annotated[
        str | None, typer.Option(envvar="JOBSCHED_REGION", help="Region for --iam signing")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(envvar="JOBSCHED_PROFILE", help="A profile saved by `configure`")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per HTTP request")] = 30.0,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit"
        ),
    ] = False,
) -> None:
    ctx.obj = {
        "api_url": api_url,
        "token": token,
        "iam": iam,
        "region": region,
        "profile": profile,
        "timeout": timeout,
    }


def _client(ctx: typer.Context) -> Client:
    settings = ctx.find_root().obj or {}
    if "client" not in settings:
        settings["client"] = Client(
            config.resolve(
                api_url=settings.get("api_url"),
                token=settings.get("token"),
                iam=settings.get("iam"),
                profile=settings.get("profile"),
                region=settings.get("region"),
                timeout=float(settings.get("timeout", 30.0)),
            )
        )
    client: Client = settings["client"]
    return client


@app.command()
def configure(
    profile: Annotated[str, typer.Option(help="Profile name")] = config.DEFAULT_PROFILE,
    api_url: Annotated[str | None, typer.Option(help="API base URL")] = None,
    token: Annotated[str | None, typer.Option(help="Bearer token")] = None,
    iam: Annotated[bool, typer.Option("--iam/--no-iam", help="Sign with SigV4")] = False,
    region: Annotated[str | None, typer.Option(help="Region for --iam")] = None,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Save a named profile (API URL, token or IAM) for later commands (--profile NAME)."""
    if not api_url:
        api_url = typer.prompt("API URL", default=config.LOCAL_API_URL)
    path = config.save_profile(
        profile, {"api_url": api_url, "token": token, "iam": iam or None, "region": region}
    )
    saved = {"profile": profile, "path": str(path), "api_url": api_url, "iam": iam}
    saved["token"] = "(set)" if token else None
    if out_format != OutputFormat.TABLE:
        output.machine(saved, out_format)
        return
    output.out.print(f"Saved profile [bold]{profile}[/bold] to {path}")


# --- schedule bodies from flags -------------------------------------------------------


def _json_or_text(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def _pairs(values: list[str] | None, separator: str, what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values or []:
        key, sep, item = value.partition(separator)
        if not sep or not key.strip():
            _fail(ExitCode.USAGE, f"{what} {value!r} must look like KEY{separator}VALUE")
        pairs[key.strip()] = item.strip()
    return pairs


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
        _spec_failed(error)
    if not isinstance(document, dict):
        _spec_failed(spec.SpecError(str(path), ["(top level): expected a mapping of fields"]))
    return document


def _spec_failed(error: spec.SpecError) -> NoReturn:
    output.err.print(Text(f"error: invalid_file: {error.path} was not sent:", style="red"))
    for problem in error.problems:
        output.err.print(f"  {problem}", markup=False)
    raise typer.Exit(int(ExitCode.INVALID_FILE))


def _body_from_flags(
    *,
    file: Path | None,
    fields: dict[str, Any],
    task_type: str | None,
    task_fields: dict[str, Any],
    tags: list[str] | None,
) -> dict[str, Any]:
    body: dict[str, Any] = _read_body(file) if file else {}
    body.update({k: v for k, v in fields.items() if v is not None})
    given = {k: v for k, v in task_fields.items() if v not in (None, {}, [])}
    if task_type or given:
        task = dict(body.get("task") or {}) if not task_type else {}
        kind = task_type or task.get("type")
        if kind is None:
            _fail(ExitCode.USAGE, "task fields need --task-type (http, lambda, sqs, ...)")
        allowed = TASK_FLAGS.get(str(kind), ())
        stray = sorted(set(given) - set(allowed))
        if stray:
            flags = ", ".join("--" + name.replace("_", "-") for name in stray)
            _fail(ExitCode.USAGE, f"{flags} do(es) not apply to a {kind} task")
        task.update({"type": kind, **given})
        body["task"] = task
    if tags:
        body["tags"] = {**(body.get("tags") or {}), **_pairs(tags, "=", "--tag")}
    return body


FileOpt = Annotated[
    Path | None,
    typer.Option("--file", "-f", help="A YAML or JSON body; flags override its fields"),
]
NameOpt = Annotated[str | None, typer.Option(help="Schedule name")]
ScheduleOpt = Annotated[
    str | None,
    typer.Option(
        "--schedule", "-s", help='"every monday at 8am", "rate(5 minutes)", "0 9 * * 1-5", ...'
    ),
]
TzOpt = Annotated[
    str | None, typer.Option("--tz", "--timezone", help="IANA zone, e.g. Europe/Paris")
]
TaskTypeOpt = Annotated[
    str | None,
    typer.Option(help="http, lambda, sqs, sns, eventbridge or stepfunctions"),
]


def _task_fields(**values: Any) -> dict[str, Any]:
    values["headers"] = _pairs(values.get("headers"), ":", "--header")
    for name in ("body", "payload", "message", "detail", "input"):
        values[name] = _json_or_text(values.get(name))
    return values


# --- schedules ------------------------------------------------------------------------


@app.command()
def create(
    ctx: typer.Context,
    file: FileOpt = None,
    name: NameOpt = None,
    schedule: ScheduleOpt = None,
    tz: TzOpt = None,
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
    idempotency_key: Annotated[
        str | None, typer.Option(help="Retry-safe create: one schedule per key for 24 h")
    ] = None,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Create a schedule from flags, or from a YAML/JSON body (-f)."""
    payload_body = _body_from_flags(
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
        tags=tag,
    )
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    created = _client(ctx).request("POST", "/schedules", body=payload_body, headers=headers)
    _show_schedule(created, out_format, "Created")


def _show_schedule(schedule: dict[str, Any], fmt: OutputFormat, verb: str | None = None) -> None:
    if fmt != OutputFormat.TABLE:
        output.machine(schedule, fmt)
        return
    output.out.print(_schedule_card(schedule, verb))


def _schedule_card(schedule: dict[str, Any], verb: str | None) -> Any:
    zone = schedule.get("timezone")
    rows: list[tuple[str, Any]] = [
        ("id", schedule.get("id")),
        ("name", schedule.get("name")),
        ("status", output.status(schedule.get("status"))),
        ("schedule", f"{schedule.get('schedule')}  ({schedule.get('schedule_description', '')})"),
        ("timezone", zone),
        ("expressions", ", ".join(schedule.get("expressions") or [])),
        ("task", json.dumps(spec.compact_task(schedule.get("task")), separators=(",", ":"))),
        ("next run", output.local_time(schedule.get("next_run_at"), zone)),
        ("last run", output.local_time(schedule.get("last_run_at"), zone)),
        ("runs", f"{schedule.get('total_runs', 0)} ({schedule.get('failed_runs', 0)} failed)"),
        ("tags", ", ".join(f"{k}={v}" for k, v in (schedule.get("tags") or {}).items()) or "-"),
        ("version", schedule.get("version")),
    ]
    if schedule.get("pause_note"):
        rows.insert(3, ("pause note", schedule["pause_note"]))
    title = f"{verb} schedule" if verb else "Schedule"
    return output.key_values(title, rows)


@app.command("list")
def list_schedules(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="ACTIVE, PAUSED, COMPLETED, PENDING or DELETED")
    ] = None,
    task_type: TaskTypeOpt = None,
    tag: Annotated[str | None, typer.Option(help="KEY=VALUE")] = None,
    name_prefix: Annotated[str | None, typer.Option(help="Names starting with this")] = None,
    limit: Annotated[int, typer.Option(help="Page size (1-100)")] = 20,
    cursor: Annotated[str | None, typer.Option(help="Continue from a previous page")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Follow cursors to the end")] = False,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """List schedules (one page, or every page with --all)."""
    query: dict[str, Any] = {
        "status": status,
        "task_type": task_type,
        "name_prefix": name_prefix,
        "limit": limit,
        "cursor": cursor,
    }
    if tag:
        key, value = next(iter(_pairs([tag], "=", "--tag").items()))
        query["tag"] = f"{key}:{value}"
    _list_pages(ctx, "/schedules", query, all_pages, out_format, output.schedules_table)


def _list_pages(
    ctx: typer.Context,
    path: str,
    query: dict[str, Any],
    all_pages: bool,
    fmt: OutputFormat,
    render: Any,
) -> None:
    items: list[dict[str, Any]] = []
    next_cursor = None
    for page in _client(ctx).pages(path, query, follow=all_pages):
        items.extend(page.get("items", []))
        next_cursor = page.get("next_cursor")
    if fmt != OutputFormat.TABLE:
        output.machine({"items": items, "next_cursor": next_cursor}, fmt)
        return
    if not items:
        output.out.print("No results.")
    else:
        output.out.print(render(items))
    if next_cursor:
        output.err.print(f"More: --cursor {next_cursor} (or --all)", markup=False)


@app.command()
def get(
    ctx: typer.Context,
    schedule_id: ScheduleIdArg,
    runs: Annotated[int, typer.Option(help="How many next runs and last executions")] = 5,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """A schedule, its next runs and its last executions."""
    client = _client(ctx)
    schedule = client.request("GET", f"/schedules/{schedule_id}")
    next_runs = _next_runs(client, schedule, runs)
    executions = client.request(
        "GET", f"/schedules/{schedule_id}/executions", query={"limit": runs}
    )["items"]
    if out_format != OutputFormat.TABLE:
        output.machine(
            {"schedule": schedule, "next_runs": next_runs, "executions": executions}, out_format
        )
        return
    output.out.print(_schedule_card(schedule, None))
    zone = schedule.get("timezone")
    output.out.print()
    output.out.print(
        output.key_values(
            "Next runs (your local time, and the schedule's)",
            [(str(i + 1), output.local_time(run, zone)) for i, run in enumerate(next_runs)]
            or [("-", "none")],
        )
    )
    output.out.print()
    output.out.print(
        output.executions_table(executions, "Last executions")
        if executions
        else "No executions yet."
    )


def _next_runs(client: Client, schedule: dict[str, Any], count: int) -> list[str]:
    """The schedule's next runs: its own next_run_at first, then the preview's."""
    if schedule.get("status") not in ("ACTIVE", "PENDING", "PAUSED"):
        return []
    known = output.parse_time(schedule.get("next_run_at"))
    start = output.parse_time(schedule.get("start_at"))
    expressions = schedule.get("expressions") or []
    # A rate() runs on the grid of its first run: preview from the next run so the grid
    # is the schedule's, not one starting now.
    origin = known if known and any(e.startswith("rate(") for e in expressions) else None
    origin = origin or max(filter(None, [datetime.now(UTC), start]))
    preview: dict[str, Any] = {
        "schedule": schedule["schedule"],
        "timezone": schedule["timezone"],
        "count": count,
        "start_at": origin.isoformat(),
    }
    if schedule.get("end_at"):
        preview["end_at"] = schedule["end_at"]
    # The same exclusions, so the runs shown are the ones that will really happen.
    for field in ("exclude", "holiday_country"):
        if schedule.get(field):
            preview[field] = schedule[field]
    try:
        runs: list[str] = client.request("POST", "/schedules/preview", body=preview)["next_runs"]
    except ApiError as error:
        # An expression the preview cannot replay (e.g. a finished one-off): no runs.
        output.err.print(f"note: no preview of the next runs ({error.code})", markup=False)
        runs = []
    first = output.parse_time(runs[0]) if runs else None
    if known and (first is None or first > known):
        runs = [str(schedule["next_run_at"]), *runs][:count]
    return runs


@app.command()
def update(
    ctx: typer.Context,
    schedule_id: ScheduleIdArg,
    file: FileOpt = None,
    name: NameOpt = None,
    schedule: ScheduleOpt = None,
    tz: TzOpt = None,
    description: Annotated[str | None, typer.Option(help="Free text")] = None,
    task_type: TaskTypeOpt = None,
    url: Annotated[str | None, typer.Option(help="http: URL")] = None,
    method: Annotated[str | None, typer.Option(help="http: method")] = None,
    header: Annotated[list[str] | None, typer.Option(help="http: 'Name: value'")] = None,
    body: Annotated[str | None, typer.Option(help="http: body")] = None,
    timeout_seconds: Annotated[float | None, typer.Option(help="http: timeout")] = None,
    function: Annotated[str | None, typer.Option(help="lambda: function")] = None,
    payload: Annotated[str | None, typer.Option(help="lambda: payload")] = None,
    queue_url: Annotated[str | None, typer.Option(help="sqs: queue URL")] = None,
    message: Annotated[str | None, typer.Option(help="sqs/sns: message")] = None,
    topic_arn: Annotated[str | None, typer.Option(help="sns: topic ARN")] = None,
    subject: Annotated[str | None, typer.Option(help="sns: subject")] = None,
    event_bus: Annotated[str | None, typer.Option(help="eventbridge: bus")] = None,
    source: Annotated[str | None, typer.Option(help="eventbridge: source")] = None,
    detail_type: Annotated[str | None, typer.Option(help="eventbridge: detail-type")] = None,
    detail: Annotated[str | None, typer.Option(help="eventbridge: detail")] = None,
    state_machine_arn: Annotated[str | None, typer.Option(help="stepfunctions: ARN")] = None,
    input_: Annotated[str | None, typer.Option("--input", help="stepfunctions: input")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="KEY=VALUE (replaces the tags)")] = None,
    max_runs: Annotated[int | None, typer.Option(help="Stop after this many runs")] = None,
    start_at: Annotated[str | None, typer.Option(help="ISO 8601 with offset")] = None,
    end_at: Annotated[str | None, typer.Option(help="ISO 8601 with offset")] = None,
    overlap: Annotated[str | None, typer.Option(help="skip or allow")] = None,
    priority: Annotated[int | None, typer.Option(help="1-10")] = None,
    version: Annotated[
        int | None, typer.Option(help="Expected version (default: the current one)")
    ] = None,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Change some fields of a schedule (a task given here replaces the whole task)."""
    changes = _body_from_flags(
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
        tags=None,
    )
    if tag is not None:
        changes["tags"] = _pairs(tag, "=", "--tag")
    if not changes:
        _fail(ExitCode.USAGE, "nothing to change: give a field flag or -f FILE")
    client = _client(ctx)
    if version is None and "version" not in changes:
        version = int(client.request("GET", f"/schedules/{schedule_id}")["version"])
    if version is not None:
        changes["version"] = version
    updated = client.request("PATCH", f"/schedules/{schedule_id}", body=changes)
    _show_schedule(updated, out_format, "Updated")


@app.command()
def pause(
    ctx: typer.Context,
    schedule_id: ScheduleIdArg,
    note: Annotated[str | None, typer.Option(help="Why (shown by get)")] = None,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Pause a schedule: no run until resume."""
    client = _client(ctx)
    current = client.request("GET", f"/schedules/{schedule_id}")
    paused = client.request(
        "POST",
        f"/schedules/{schedule_id}/pause",
        body={"note": note} if note else {},
        headers={"If-Match": f'"{current["version"]}"'},
    )
    _show_schedule(paused, out_format, "Paused")


@app.command()
def resume(
    ctx: typer.Context, schedule_id: ScheduleIdArg, out_format: OutputOpt = OutputFormat.TABLE
) -> None:
    """Resume a paused schedule."""
    client = _client(ctx)
    current = client.request("GET", f"/schedules/{schedule_id}")
    resumed = client.request(
        "POST",
        f"/schedules/{schedule_id}/resume",
        headers={"If-Match": f'"{current["version"]}"'},
    )
    _show_schedule(resumed, out_format, "Resumed")


@app.command()
def delete(
    ctx: typer.Context, schedule_id: ScheduleIdArg, out_format: OutputOpt = OutputFormat.TABLE
) -> None:
    """Delete a schedule (its history stays readable for its retention)."""
    client = _client(ctx)
    current = client.request("GET", f"/schedules/{schedule_id}")
    client.request(
        "DELETE", f"/schedules/{schedule_id}", headers={"If-Match": f'"{current["version"]}"'}
    )
    result = {"deleted": schedule_id, "name": current.get("name")}
    if out_format != OutputFormat.TABLE:
        output.machine(result, out_format)
        return
    output.out.print(f"Deleted {schedule_id} ({current.get('name')})", markup=False)


@app.command()
def run(
    ctx: typer.Context,
    schedule_id: ScheduleIdArg,
    wait: Annotated[bool, typer.Option(help="Follow the execution to its end")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait with --wait")] = 300.0,
    interval: Annotated[float, typer.Option(help="Seconds between polls")] = 1.0,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Run a schedule now; with --wait, print the result and exit 4 if it failed."""
    client = _client(ctx)
    accepted = client.request("POST", f"/schedules/{schedule_id}/run")
    execution_id = str(accepted["execution_id"])
    if not wait:
        if out_format != OutputFormat.TABLE:
            output.machine(accepted, out_format)
        else:
            output.out.print(
                f"Started execution {execution_id} of {schedule_id}. "
                f"Follow it with: jobsched run {schedule_id} --wait, or jobsched history {schedule_id}",
                markup=False,
            )
        return
    path = f"/schedules/{schedule_id}/executions/{execution_id}"
    execution: dict[str, Any] | None = None
    deadline = time.monotonic() + timeout
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=output.err,
        transient=True,
    ) as progress:
        task = progress.add_task(f"{execution_id}: waiting for the executor", total=None)
        while time.monotonic() < deadline:
            try:
                execution = client.request("GET", path)
            except ApiError as error:
                if error.status != 404:  # not recorded yet: the invoke is asynchronous
                    raise
            if execution is not None:
                progress.update(task, description=f"{execution_id}: {execution.get('status')}")
                if execution.get("status") in FINAL:
                    break
            time.sleep(interval)
    if execution is None or execution.get("status") not in FINAL:
        last = execution.get("status") if execution else "not recorded yet"
        _fail(
            ExitCode.WAIT_TIMEOUT,
            f"gave up after {timeout:g}s; {execution_id} is {last} "
            f"(see: jobsched history {schedule_id})",
        )
    if out_format != OutputFormat.TABLE:
        output.machine(execution, out_format)
    else:
        output.out.print(output.executions_table([execution], "Execution"))
        if execution.get("result") is not None:
            output.out.print(
                "result: " + json.dumps(execution["result"], separators=(",", ":")), markup=False
            )
    if execution.get("status") != "SUCCEEDED":
        output.err.print(
            Text(
                f"error: run_failed: execution {execution_id} ended {execution.get('status')}: "
                f"{execution.get('error') or execution.get('skip_reason') or ''}".rstrip(": "),
                style="red",
            )
        )
        raise typer.Exit(int(ExitCode.RUN_FAILED))


# --- history --------------------------------------------------------------------------

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _moment(value: str | None, option: str) -> str | None:
    """ISO 8601 (a local time when it has no offset) or a duration ago: 90m, 12h, 7d."""
    if value is None:
        return None
    relative = _RELATIVE.match(value.strip())
    if relative:
        ago = timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
        return (datetime.now(UTC) - ago).isoformat()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        _fail(ExitCode.USAGE, f"{option} {value!r}: use ISO 8601 (2026-11-30T09:00) or 12h, 7d")
    if moment.tzinfo is None:
        moment = moment.astimezone()  # the user's local time
    return moment.isoformat()


@app.command()
def history(
    ctx: typer.Context,
    schedule_id: Annotated[
        str | None, typer.Argument(help="One schedule; without it, every schedule")
    ] = None,
    status: Annotated[
        str | None, typer.Option(help="RUNNING, SUCCEEDED, FAILED, TIMED_OUT or SKIPPED")
    ] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601, or 12h / 7d ago")] = None,
    until: Annotated[str | None, typer.Option(help="ISO 8601, or 12h / 7d ago")] = None,
    limit: Annotated[int, typer.Option(help="Page size (1-100)")] = 20,
    cursor: Annotated[str | None, typer.Option(help="Continue from a previous page")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Follow cursors to the end")] = False,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Executions, newest first: one schedule's, or across all your schedules."""
    query = {
        "status": status.upper() if status else None,
        "since": _moment(since, "--since"),
        "until": _moment(until, "--until"),
        "limit": limit,
        "cursor": cursor,
    }
    path = f"/schedules/{schedule_id}/executions" if schedule_id else "/executions"
    _list_pages(ctx, path, query, all_pages, out_format, output.executions_table)


@app.command("clear-history")
def clear_history(
    ctx: typer.Context,
    schedule_id: ScheduleIdArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask")] = False,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Delete a schedule's whole history (cannot be undone)."""
    if not yes and not _confirm(f"Delete every execution record of {schedule_id}?"):
        _fail(ExitCode.ABORTED, "not confirmed; nothing was deleted (use --yes)")
    cleared = _client(ctx).request(
        "DELETE", f"/schedules/{schedule_id}/executions", query={"confirm": "true"}
    )
    if out_format != OutputFormat.TABLE:
        output.machine(cleared, out_format)
        return
    output.out.print(f"Deleted {cleared['deleted']} execution record(s) of {schedule_id}.")


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return typer.confirm(question, default=False, err=True)


@app.command()
def preview(
    ctx: typer.Context,
    expression: Annotated[str, typer.Argument(help='"every monday at 8am", a cron, rate(...)')],
    tz: Annotated[str, typer.Option("--tz", "--timezone", help="IANA zone")] = "UTC",
    count: Annotated[int, typer.Option(help="How many runs (1-50)")] = 5,
    start_at: Annotated[str | None, typer.Option(help="After this moment (ISO 8601)")] = None,
    holiday_country: Annotated[
        str | None, typer.Option(help="Country of 'except holidays', e.g. US")
    ] = None,
    exclude: Annotated[
        str | None,
        typer.Option(help='Exclusions as JSON, e.g. \'[{"holidays": "US"}]\''),
    ] = None,
    include_skipped: Annotated[
        bool, typer.Option("--include-skipped", help="Also list the skipped fires and why")
    ] = False,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """What an expression means and when it runs, without creating anything."""
    request: dict[str, Any] = {"schedule": expression, "timezone": tz, "count": count}
    if start_at:
        request["start_at"] = _moment(start_at, "--start-at")
    if holiday_country:
        request["holiday_country"] = holiday_country
    if exclude:
        try:
            request["exclude"] = json.loads(exclude)
        except ValueError as error:
            raise typer.BadParameter(f"not JSON: {error}", param_hint="--exclude") from None
    if include_skipped:
        request["include_skipped"] = True
    answer = _client(ctx).request("POST", "/schedules/preview", body=request)
    if out_format != OutputFormat.TABLE:
        output.machine(answer, out_format)
        return
    output.out.print(
        output.key_values(
            f"{expression!r} in {tz}",
            [
                ("means", answer.get("description")),
                ("kind", answer.get("kind")),
                ("expressions", ", ".join(answer.get("expressions") or [])),
            ]
            + [
                (f"run {i + 1}", output.local_time(run, tz))
                for i, run in enumerate(answer.get("next_runs") or [])
            ]
            + [
                ("skipped", f"{output.local_time(s['at'], tz)}  {s['reason']}")
                for s in answer.get("skipped_runs") or []
            ],
        )
    )


@app.command()
def tail(
    ctx: typer.Context,
    schedule_id: Annotated[
        str | None, typer.Option("--schedule", help="Only this schedule's executions")
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between polls")] = 2.0,
    count: Annotated[int | None, typer.Option(help="Exit after this many executions")] = None,
    timeout: Annotated[float | None, typer.Option(help="Exit after this many seconds")] = None,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Follow executions as they finish (Ctrl-C to stop). JSON/YAML: one document per line."""
    client = _client(ctx)
    started = datetime.now(UTC)
    # Runs scheduled a little before we started may finish after: look back, but only
    # print what was not already finished when we started.
    window = (started - timedelta(minutes=15)).isoformat()
    query: dict[str, Any] = {"since": window, "limit": 100, "schedule_id": schedule_id}
    seen = {
        (item["schedule_id"], item["id"])
        for item in client.request("GET", "/executions", query=query)["items"]
        if item.get("status") in FINAL
    }
    printed = 0
    deadline = time.monotonic() + timeout if timeout else None
    if out_format == OutputFormat.TABLE:
        output.err.print("Waiting for executions to finish (Ctrl-C to stop)...")
    try:
        while True:
            page = client.request("GET", "/executions", query=query)["items"]
            for item in reversed(page):
                key = (item["schedule_id"], item["id"])
                if key in seen or item.get("status") not in FINAL:
                    continue
                seen.add(key)
                printed += 1
                if out_format == OutputFormat.JSON:
                    output.out.print(json.dumps(item), markup=False, soft_wrap=True)
                elif out_format == OutputFormat.YAML:
                    output.out.print(
                        "---\n" + yaml.safe_dump(item, sort_keys=False), end="", markup=False
                    )
                else:
                    output.out.print(_tail_line(item))
                if count is not None and printed >= count:
                    return
            if deadline is not None and time.monotonic() >= deadline:
                if count is not None:
                    _fail(ExitCode.WAIT_TIMEOUT, f"{printed} of {count} executions in {timeout:g}s")
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        return


def _tail_line(item: dict[str, Any]) -> Text:
    line = Text(output.local_time(item.get("finished_at") or item.get("scheduled_time")) + "  ")
    line.append_text(output.status(item.get("status")))
    line.append(f"  {item.get('schedule_id')}  {item.get('id')}  {item.get('trigger', '')}")
    if item.get("duration_ms") is not None:
        line.append(f"  {item['duration_ms']} ms")
    detail = item.get("error") or item.get("skip_reason")
    if detail:
        line.append(f"  {detail}", style="red")
    return line


# --- schedules as code ----------------------------------------------------------------


def _live_schedules(client: Client) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.all_items("/schedules", {})
    return items


def _print_plan(plan: Plan) -> None:
    styles = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red"}
    for step in plan.steps:
        head = Text(f"{SYMBOLS[step.action]} {step.name}", style=f"bold {styles[step.action]}")
        if step.schedule_id:
            head.append(f"  ({step.schedule_id})", style="dim")
        if step.adopt:
            head.append("  adopt: an existing schedule of this name becomes managed", style="dim")
        output.out.print(head)
        for change in step.changes:
            output.out.print(
                Text(f"    {change.path}: ")
                + Text(_short(change.old), style="red")
                + Text(" -> ")
                + Text(_short(change.new), style="green")
            )
    for note in plan.notes:
        output.err.print(f"note: {note}", markup=False)
    summary = (
        f"Plan: {plan.count(Action.CREATE)} to create, {plan.count(Action.UPDATE)} to update, "
        f"{plan.count(Action.DELETE)} to delete, {len(plan.unchanged)} unchanged."
    )
    output.out.print(Text(summary, style="bold"))


def _short(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def _plan_document(plan: Plan, applied: bool) -> dict[str, Any]:
    return {
        "changes": plan.has_changes,
        "applied": applied,
        "steps": [
            {
                "action": step.action.value,
                "name": step.name,
                "schedule_id": step.schedule_id,
                "adopt": step.adopt,
                "changes": [{"field": c.path, "old": c.old, "new": c.new} for c in step.changes],
            }
            for step in plan.steps
        ],
        "unchanged": list(plan.unchanged),
        "notes": list(plan.notes),
    }


@app.command()
def apply(
    ctx: typer.Context,
    file: Annotated[Path, typer.Option("--file", "-f", help="The schedules file (YAML/JSON)")],
    dry_run: Annotated[bool, typer.Option(help="Print the plan; write nothing")] = False,
    prune: Annotated[
        bool, typer.Option(help="Delete managed schedules the file no longer lists")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking")] = False,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Make the tenant's schedules match a file: plan (+ create, ~ update, - delete), then apply.

    Exit 0: nothing to change; 6: changes applied (--dry-run: pending); 3: invalid file."""
    try:
        entries = spec.load_file(file)
    except spec.SpecError as error:
        _spec_failed(error)
    client = _client(ctx)
    plan = build_plan(entries, _live_schedules(client), prune=prune)
    table = out_format == OutputFormat.TABLE
    if not plan.has_changes:
        if table:
            for note in plan.notes:
                output.err.print(f"note: {note}", markup=False)
            output.out.print(f"No changes: {len(plan.unchanged)} schedule(s) up to date.")
        else:
            output.machine(_plan_document(plan, False), out_format)
        raise typer.Exit(int(ExitCode.OK))
    if table:
        _print_plan(plan)
    if dry_run:
        if table:
            output.out.print("Dry run: nothing was written.")
        else:
            output.machine(_plan_document(plan, False), out_format)
        raise typer.Exit(int(ExitCode.CHANGES))
    if not yes and not _confirm("Apply this plan?"):
        _fail(ExitCode.ABORTED, "not applied (answer yes, or pass --yes when not interactive)")
    _execute(client, plan, show=table)
    if table:
        output.out.print(
            f"Applied: {plan.count(Action.CREATE)} created, {plan.count(Action.UPDATE)} updated, "
            f"{plan.count(Action.DELETE)} deleted."
        )
    else:
        output.machine(_plan_document(plan, True), out_format)
    raise typer.Exit(int(ExitCode.CHANGES))


def _execute(client: Client, plan: Plan, *, show: bool) -> None:
    # One key per apply: a retried create inside this apply cannot make a duplicate.
    run_key = uuid.uuid4().hex
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=output.err,
        transient=True,
        disable=not show,
    ) as progress:
        task = progress.add_task("applying", total=len(plan.steps))
        for index, step in enumerate(plan.steps):
            progress.update(task, description=f"{SYMBOLS[step.action]} {step.name}")
            try:
                if step.action == Action.CREATE:
                    client.request(
                        "POST",
                        "/schedules",
                        body=step.body,
                        headers={"Idempotency-Key": f"apply-{run_key}-{index}"},
                    )
                elif step.action == Action.UPDATE:
                    client.request(
                        "PATCH",
                        f"/schedules/{step.schedule_id}",
                        body={**step.body, "version": step.version},
                    )
                else:
                    client.request(
                        "DELETE",
                        f"/schedules/{step.schedule_id}",
                        headers={"If-Match": f'"{step.version}"'},
                    )
            except ApiError as error:
                done = f"{index} of {len(plan.steps)} step(s) were applied before it"
                error.message = f"{SYMBOLS[step.action]} {step.name}: {error.message} ({done})"
                raise
            progress.advance(task)


@app.command()
def export(
    ctx: typer.Context,
    out_file: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="yaml or json")] = "yaml",
    all_schedules: Annotated[
        bool,
        typer.Option("--all", help="Also the schedules no file manages (apply then adopts them)"),
    ] = False,
) -> None:
    """Write the schedules in the apply format (by default those a file manages)."""
    if fmt not in ("yaml", "json"):
        _fail(ExitCode.USAGE, "--format must be yaml or json")
    schedules = _live_schedules(_client(ctx))
    chosen = [s for s in schedules if all_schedules or is_managed(s)]
    entries = [spec.export_entry(s) for s in sorted(chosen, key=lambda s: str(s["name"]))]
    names = [str(entry["name"]) for entry in entries]
    if len(set(names)) != len(names):
        output.err.print(
            "note: several schedules share a name; a file needs unique names, so rename them "
            "before applying this export",
            markup=False,
        )
    text = spec.dump_document(entries, fmt)
    if out_file is None:
        sys.stdout.write(text)
        return
    out_file.write_text(text)
    output.err.print(f"Wrote {len(entries)} schedule(s) to {out_file}", markup=False)


@app.command()
def schema(
    out_file: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout")
    ] = None,
) -> None:
    """The JSON Schema of a schedules file (for editors), from the API's own models."""
    text = json.dumps(spec.file_schema(), indent=2) + "\n"
    if out_file is None:
        sys.stdout.write(text)
        return
    out_file.write_text(text)
    output.err.print(f"Wrote the schema to {out_file}", markup=False)


def _register_subcommands() -> None:
    from jobsched import subscriptions

    app.add_typer(subscriptions.app, name="subscriptions")


_register_subcommands()


def main() -> None:
    """The console script: API errors become one line and exit 1."""
    try:
        app()
    except ApiError as error:
        if isinstance(error.details, list):
            fields = [
                f"{'.'.join(str(p) for p in d.get('loc', [])[1:] or d.get('loc', []))}: {d.get('msg')}"
                for d in error.details
                if isinstance(d, dict)
            ]
            if fields:
                error.message = f"{error.message} ({'; '.join(fields)})"
        output.error_line(error)
        sys.exit(int(ExitCode.ERROR))


if __name__ == "__main__":
    main()
