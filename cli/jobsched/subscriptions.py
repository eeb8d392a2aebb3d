"""`jobsched subscriptions create|list|get|delete`: the caller's event subscriptions
(POST/GET/DELETE /subscriptions). Registered on the main app by jobsched.main;
the connection options are the main app's."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from jobsched import output
from jobsched.app import api_client
from jobsched.output import OutputFormat

app = typer.Typer(
    help="Subscribe endpoints to your schedules' lifecycle events (only yours).",
    no_args_is_help=True,
)

OutputOpt = Annotated[
    OutputFormat,
    typer.Option("--output", "-o", envvar="JOBSCHED_OUTPUT", help="table (default), json or yaml"),
]
SubscriptionIdArg = Annotated[str, typer.Argument(help="Subscription id (sub_...)")]


def _table(items: list[dict[str, Any]]) -> Table:
    grid = output.table(None, ["ID", "PROTOCOL", "ENDPOINT", "FILTER", "STATUS"])
    for item in items:
        wanted = item.get("filter") or {}
        summary = "; ".join(f"{key}={','.join(values)}" for key, values in wanted.items() if values)
        grid.add_row(
            str(item.get("id")),
            str(item.get("protocol")),
            str(item.get("endpoint")),
            summary or "all of your events",
            str(item.get("status")),
        )
    return grid


def _show(item: dict[str, Any], fmt: OutputFormat) -> None:
    if fmt != OutputFormat.TABLE:
        output.machine(item, fmt)
        return
    output.out.print(_table([item]))


@app.command()
def create(
    ctx: typer.Context,
    protocol: Annotated[str, typer.Argument(help="https, http, email, sqs or lambda")],
    endpoint: Annotated[str, typer.Argument(help="URL, email address, queue or function ARN")],
    event_type: Annotated[
        list[str] | None, typer.Option("--event-type", help="e.g. execution.failed (repeatable)")
    ] = None,
    schedule_id: Annotated[
        list[str] | None, typer.Option("--schedule-id", help="sch_... (repeatable)")
    ] = None,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="e.g. FAILED (repeatable)")
    ] = None,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Subscribe an endpoint; http(s) endpoints must then confirm (pending_confirmation)."""
    wanted = {
        key: values
        for key, values in (
            ("event_types", event_type),
            ("schedule_ids", schedule_id),
            ("statuses", status),
        )
        if values
    }
    body: dict[str, Any] = {"protocol": protocol, "endpoint": endpoint}
    if wanted:
        body["filter"] = wanted
    _show(api_client(ctx).request("POST", "/subscriptions", body=body), out_format)


@app.command("list")
def list_subscriptions(ctx: typer.Context, out_format: OutputOpt = OutputFormat.TABLE) -> None:
    """Your subscriptions (every page)."""
    items = api_client(ctx).all_items("/subscriptions", {})
    if out_format != OutputFormat.TABLE:
        output.machine({"items": items, "next_cursor": None}, out_format)
        return
    output.out.print(_table(items) if items else "No subscriptions.")


@app.command()
def get(
    ctx: typer.Context,
    subscription_id: SubscriptionIdArg,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """One subscription, its status as SNS reports it now."""
    _show(api_client(ctx).request("GET", f"/subscriptions/{subscription_id}"), out_format)


@app.command()
def delete(
    ctx: typer.Context,
    subscription_id: SubscriptionIdArg,
    out_format: OutputOpt = OutputFormat.TABLE,
) -> None:
    """Unsubscribe (deliveries stop at once)."""
    api_client(ctx).request("DELETE", f"/subscriptions/{subscription_id}")
    if out_format != OutputFormat.TABLE:
        output.machine({"deleted": subscription_id}, out_format)
        return
    output.out.print(f"Deleted {subscription_id}", markup=False)
