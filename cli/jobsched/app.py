"""The `jobsched` application: its connection options, the API client they make, the exit
codes, and what several command groups share (failing, confirming, listing pages)."""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import Annotated, Any, NoReturn

import typer
from rich.text import Text

from jobsched import __version__, config, output, spec
from jobsched.client import Client
from jobsched.output import OutputFormat


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


def fail(code: ExitCode, message: str) -> NoReturn:
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


def api_client(ctx: typer.Context) -> Client:
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


# --- what several command groups share -------------------------------------------------


def spec_failed(error: spec.SpecError) -> NoReturn:
    output.err.print(Text(f"error: invalid_file: {error.path} was not sent:", style="red"))
    for problem in error.problems:
        output.err.print(f"  {problem}", markup=False)
    raise typer.Exit(int(ExitCode.INVALID_FILE))


def list_pages(
    ctx: typer.Context,
    path: str,
    query: dict[str, Any],
    all_pages: bool,
    fmt: OutputFormat,
    render: Any,
) -> None:
    items: list[dict[str, Any]] = []
    next_cursor = None
    for page in api_client(ctx).pages(path, query, follow=all_pages):
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


def confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return typer.confirm(question, default=False, err=True)
