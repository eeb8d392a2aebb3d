"""Everything printed: rich tables for people, JSON/YAML for machines, one-line errors.

Machine output goes to stdout alone; progress and notes go to stderr, so
`jobsched ... --output json | jq` always reads clean JSON.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from jobsched.client import ApiError


def _console(stderr: bool) -> Console:
    console = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Piped or captured: rich would wrap tables at 80 columns; a log reads better wide.
        console.width = 200
    return console


out = _console(stderr=False)
err = _console(stderr=True)

STATUS_STYLE = {
    "ACTIVE": "green",
    "SUCCEEDED": "green",
    "PAUSED": "yellow",
    "RUNNING": "cyan",
    "PENDING": "cyan",
    "SKIPPED": "yellow",
    "FAILED": "red",
    "TIMED_OUT": "red",
    "DELETED": "dim",
    "COMPLETED": "dim",
}


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


def machine(data: Any, fmt: OutputFormat) -> None:
    if fmt == OutputFormat.JSON:
        out.print_json(json.dumps(data), highlight=False)
    else:
        out.print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), end="", markup=False)


def error_line(error: ApiError) -> None:
    """code, message and suggestion on one line (stderr)."""
    line = Text("error: ", style="bold red")
    line.append(error.code, style="bold")
    line.append(f": {' '.join(error.message.split())}")
    if error.suggestion:
        line.append(f" (suggestion: {' '.join(str(error.suggestion).split())})", style="yellow")
    err.print(line, soft_wrap=True)


def status(value: Any) -> Text:
    text = str(value or "")
    return Text(text, style=STATUS_STYLE.get(text, ""))


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def local_time(value: Any, zone: str | None = None) -> str:
    """A moment in the user's local time, then, with ``zone``, the schedule's own wall
    clock: "Mon 30 Nov 2026 09:00:00 CET [08:00 Europe/London]"."""
    moment = parse_time(value)
    if moment is None:
        return "-"
    mine = moment.astimezone()
    text = mine.strftime("%a %Y-%m-%d %H:%M:%S %Z" if mine.second else "%a %Y-%m-%d %H:%M %Z")
    if zone:
        try:
            theirs = moment.astimezone(ZoneInfo(zone))
        except (KeyError, ValueError):
            return text
        text += f" [{theirs.strftime('%H:%M')} {zone}]"
    return text


_ID_COLUMNS = frozenset({"ID", "SCHEDULE", "EXECUTION"})


def table(title: str | None, columns: list[str]) -> Table:
    grid = Table(title=title, title_justify="left", header_style="bold", expand=False)
    for column in columns:
        # Ids stay whole (people copy them); the other columns wrap instead.
        grid.add_column(
            column,
            overflow="fold",
            no_wrap=column in _ID_COLUMNS,
            min_width=16
            if "(local)" in column
            else 9
            if column in ("STATUS", "LAST")
            else min(len(column), 9),
        )
    return grid


def schedules_table(items: list[dict[str, Any]], title: str | None = None) -> Table:
    grid = table(title, ["ID", "NAME", "STATUS", "SCHEDULE", "TASK", "NEXT RUN (local)", "LAST"])
    for item in items:
        grid.add_row(
            str(item.get("id")),
            str(item.get("name")),
            status(item.get("status")),
            f"{item.get('schedule')} [dim]({item.get('timezone')})[/dim]",
            str((item.get("task") or {}).get("type", "")),
            local_time(item.get("next_run_at"), item.get("timezone")),
            status(item.get("last_status")),
        )
    return grid


def executions_table(items: list[dict[str, Any]], title: str | None = None) -> Table:
    grid = table(
        title,
        ["SCHEDULE", "EXECUTION", "STATUS", "TRIGGER", "SCHEDULED (local)", "DURATION", "DETAIL"],
    )
    for item in items:
        duration = item.get("duration_ms")
        detail = item.get("error") or item.get("skip_reason") or _result_summary(item)
        grid.add_row(
            str(item.get("schedule_id")),
            str(item.get("id")),
            status(item.get("status")),
            str(item.get("trigger", "")),
            local_time(item.get("scheduled_time")),
            f"{duration} ms" if duration is not None else "-",
            Text(str(detail or ""), overflow="fold"),
        )
    return grid


def _result_summary(item: dict[str, Any]) -> str:
    result = item.get("result")
    if not isinstance(result, dict):
        return ""
    code = result.get("status_code") or result.get("status")
    return f"status {code}" if code is not None else ""


def key_values(title: str, rows: list[tuple[str, Any]]) -> Table:
    grid = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for key, value in rows:
        grid.add_row(key, value if isinstance(value, Text) else Text(str(value)))
    return grid
