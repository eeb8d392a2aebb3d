"""`jobsched apply|export|schema`: the tenant's schedules as a file (its format is in
spec.py, the plan of apply in plan.py)."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.text import Text

from jobsched import output, spec
from jobsched.app import ExitCode, OutputOpt, api_client, confirm, fail, spec_failed
from jobsched.client import ApiError, Client
from jobsched.output import OutputFormat
from jobsched.plan import SYMBOLS, Action, Plan, build_plan, is_managed

# Merged into the main app by jobsched.main (no group of its own on the command line).
commands = typer.Typer()


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


@commands.command()
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
        spec_failed(error)
    client = api_client(ctx)
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
    if not yes and not confirm("Apply this plan?"):
        fail(ExitCode.ABORTED, "not applied (answer yes, or pass --yes when not interactive)")
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


@commands.command()
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
        fail(ExitCode.USAGE, "--format must be yaml or json")
    schedules = _live_schedules(api_client(ctx))
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


@commands.command()
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
