"""`jobsched history|clear-history|preview|tail`: the runs of schedules, past (the
history), live (tail) and to come (preview)."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
import yaml
from rich.text import Text

from jobsched import output
from jobsched.app import (
    FINAL,
    ExitCode,
    OutputOpt,
    ScheduleIdArg,
    api_client,
    confirm,
    fail,
    list_pages,
)
from jobsched.output import OutputFormat

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

# Merged into the main app by jobsched.main (no group of its own on the command line).
commands = typer.Typer()


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
        fail(ExitCode.USAGE, f"{option} {value!r}: use ISO 8601 (2026-11-30T09:00) or 12h, 7d")
    if moment.tzinfo is None:
        moment = moment.astimezone()  # the user's local time
    return moment.isoformat()


@commands.command()
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
    list_pages(ctx, path, query, all_pages, out_format, output.executions_table)


@commands.command("clear-history")
def clear_history(
    ctx: typer.Context,
    schedule_id: ScheduleIdArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask")] = False,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Delete a schedule's whole history (cannot be undone)."""
    if not yes and not confirm(f"Delete every execution record of {schedule_id}?"):
        fail(ExitCode.ABORTED, "not confirmed; nothing was deleted (use --yes)")
    cleared = api_client(ctx).request(
        "DELETE", f"/schedules/{schedule_id}/executions", query={"confirm": "true"}
    )
    if out_format != OutputFormat.TABLE:
        output.machine(cleared, out_format)
        return
    output.out.print(f"Deleted {cleared['deleted']} execution record(s) of {schedule_id}.")


@commands.command()
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
    answer = api_client(ctx).request("POST", "/schedules/preview", body=request)
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


@commands.command()
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
    client = api_client(ctx)
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
                    fail(ExitCode.WAIT_TIMEOUT, f"{printed} of {count} executions in {timeout:g}s")
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
