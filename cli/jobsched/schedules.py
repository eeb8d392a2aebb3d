"""`jobsched create|list|get|update|pause|resume|delete|run`: one schedule at a time
(the flags create and update share are in flags.py)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from jobsched import output, spec
from jobsched.app import (
    FINAL,
    ExitCode,
    OutputOpt,
    ScheduleIdArg,
    api_client,
    fail,
    list_pages,
)
from jobsched.client import ApiError, Client
from jobsched.flags import ScheduleFlags, TaskTypeOpt, pairs, schedule_flags
from jobsched.output import OutputFormat

# Merged into the main app by jobsched.main (no group of its own on the command line).
commands = typer.Typer()


@commands.command()
@schedule_flags()
def create(
    ctx: typer.Context,
    flags: ScheduleFlags,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Retry-safe create: one schedule per key for 24 h")
    ] = None,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Create a schedule from flags, or from a YAML/JSON body (-f)."""
    payload_body = flags.body
    if flags.tags:
        payload_body["tags"] = {**(payload_body.get("tags") or {}), **flags.tags}
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    created = api_client(ctx).request("POST", "/schedules", body=payload_body, headers=headers)
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


@commands.command("list")
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
        key, value = next(iter(pairs([tag], "=", "--tag").items()))
        query["tag"] = f"{key}:{value}"
    list_pages(ctx, "/schedules", query, all_pages, out_format, output.schedules_table)


@commands.command()
def get(
    ctx: typer.Context,
    schedule_id: ScheduleIdArg,
    runs: Annotated[int, typer.Option(help="How many next runs and last executions")] = 5,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """A schedule, its next runs and its last executions."""
    client = api_client(ctx)
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


@commands.command()
@schedule_flags(tag="KEY=VALUE (replaces the tags)", overlap="skip or allow")
def update(
    ctx: typer.Context,
    schedule_id: ScheduleIdArg,
    flags: ScheduleFlags,
    version: Annotated[
        int | None, typer.Option(help="Expected version (default: the current one)")
    ] = None,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Change some fields of a schedule (a task given here replaces the whole task)."""
    changes = flags.body
    if flags.tags is not None:
        changes["tags"] = flags.tags
    if not changes:
        fail(ExitCode.USAGE, "nothing to change: give a field flag or -f FILE")
    client = api_client(ctx)
    if version is None and "version" not in changes:
        version = int(client.request("GET", f"/schedules/{schedule_id}")["version"])
    if version is not None:
        changes["version"] = version
    updated = client.request("PATCH", f"/schedules/{schedule_id}", body=changes)
    _show_schedule(updated, out_format, "Updated")


def _at_current_version(
    ctx: typer.Context, method: str, schedule_id: str, action: str = "", body: Any = None
) -> tuple[dict[str, Any], Any]:
    """The schedule as read just before, and the answer to ``method`` on it (or on its
    ``action``) sent with that version in If-Match: a change made in between is a 409."""
    client = api_client(ctx)
    current: dict[str, Any] = client.request("GET", f"/schedules/{schedule_id}")
    answer = client.request(
        method,
        f"/schedules/{schedule_id}{action}",
        body=body,
        headers={"If-Match": f'"{current["version"]}"'},
    )
    return current, answer


@commands.command()
def pause(
    ctx: typer.Context,
    schedule_id: ScheduleIdArg,
    note: Annotated[str | None, typer.Option(help="Why (shown by get)")] = None,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Pause a schedule: no run until resume."""
    body = {"note": note} if note else {}
    _, paused = _at_current_version(ctx, "POST", schedule_id, "/pause", body=body)
    _show_schedule(paused, out_format, "Paused")


@commands.command()
def resume(
    ctx: typer.Context, schedule_id: ScheduleIdArg, out_format: OutputOpt = OutputFormat.TABLE
) -> None:
    """Resume a paused schedule."""
    _, resumed = _at_current_version(ctx, "POST", schedule_id, "/resume")
    _show_schedule(resumed, out_format, "Resumed")


@commands.command()
def delete(
    ctx: typer.Context, schedule_id: ScheduleIdArg, out_format: OutputOpt = OutputFormat.TABLE
) -> None:
    """Delete a schedule (its history stays readable for its retention)."""
    current, _ = _at_current_version(ctx, "DELETE", schedule_id)
    result = {"deleted": schedule_id, "name": current.get("name")}
    if out_format != OutputFormat.TABLE:
        output.machine(result, out_format)
        return
    output.out.print(f"Deleted {schedule_id} ({current.get('name')})", markup=False)


@commands.command()
def run(
    ctx: typer.Context,
    schedule_id: ScheduleIdArg,
    wait: Annotated[bool, typer.Option(help="Follow the execution to its end")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait with --wait")] = 300.0,
    interval: Annotated[float, typer.Option(help="Seconds between polls")] = 1.0,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Run a schedule now; with --wait, print the result and exit 4 if it failed."""
    client = api_client(ctx)
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
    execution = _wait_for(client, path, execution_id, timeout=timeout, interval=interval)
    if execution is None or execution.get("status") not in FINAL:
        last = execution.get("status") if execution else "not recorded yet"
        fail(
            ExitCode.WAIT_TIMEOUT,
            f"gave up after {timeout:g}s; {execution_id} is {last} "
            f"(see: jobsched history {schedule_id})",
        )
    _show_run(execution, execution_id, out_format)


def _wait_for(
    client: Client, path: str, execution_id: str, *, timeout: float, interval: float
) -> dict[str, Any] | None:
    """The execution once final, or as last seen when ``timeout`` ran out (None: never seen)."""
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
    return execution


def _show_run(execution: dict[str, Any], execution_id: str, out_format: OutputFormat) -> None:
    """The finished execution; exit 4 (RUN_FAILED) unless it succeeded."""
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
