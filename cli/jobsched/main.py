"""`jobsched`: the console script. The commands live by group, each a few API calls and a
rendering: app.py (the connection options, `configure`), schedules.py (one schedule at a
time), executions.py (history, preview, tail), as_code.py (apply, export, schema) and
subscriptions.py; the file format is in spec.py, the plan of `apply` in plan.py, the HTTP
in client.py."""

from __future__ import annotations

import sys

from jobsched import as_code, executions, output, schedules, subscriptions
from jobsched.app import ExitCode, app
from jobsched.client import ApiError

__all__ = ["ExitCode", "app", "main"]  # the app with every command registered

# Without a name a group's commands join the main app's (in this order in --help).
for group in (schedules, executions, as_code):
    app.add_typer(group.commands)
app.add_typer(subscriptions.app, name="subscriptions")


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
