"""`python -m local.invoke <LogicalId> <event.json>` (`make invoke`), like `sam local invoke`:
run one function of template.yaml with one event and print the handler's result as JSON.

Against the running local stack when moto answers on MOTO_PORT (so the event sees your
schedules), otherwise against an ephemeral moto server started and provisioned here.

The samples in events/ name a schedule that does not exist: `--schedule-id` (make's
SCHEDULE=) puts yours in their place, `--execution-id` (EXECUTION=) an execution's.
All samples act as one tenant (the API samples' token subject), so a schedule made
with events/api-create.json is the one the other samples then reach.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import traceback
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from local.app import ensure_resources, setup_environment
from local.functions import FunctionNotFoundError, FunctionRegistry, error_payload
from local.moto_server import MotoServer, free_port, point_boto3_at
from local.resources import DEFAULT_STACK, plan

SCHEDULE_ID = re.compile(r"sch_[0-9a-z]{20}")
# The execution segment of a path (rawPath, requestContext.http.path, the proxy parameter).
EXECUTION_SEGMENT = re.compile(r"(/executions/)[^/\"?]+")


def personalise(text: str, schedule_id: str | None, execution_id: str | None) -> str:
    """The event's text with its sample schedule and execution ids replaced."""
    if schedule_id:
        text = SCHEDULE_ID.sub(schedule_id, text)
    if execution_id:
        text = EXECUTION_SEGMENT.sub(lambda m: m.group(1) + execution_id, text)
    return text


def _id(pattern: re.Pattern[str], what: str) -> Any:
    def parse(value: str) -> str:
        if not pattern.fullmatch(value):
            raise argparse.ArgumentTypeError(f"{value!r} is not {what}")
        return value

    return parse


def moto_answers(url: str) -> bool:
    """True when a moto server answers at url (its dashboard API, not just any socket)."""
    try:
        with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1) as response:  # noqa: S310 (loopback URL we built)
            return bool(response.status == 200)
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.invoke",
        description="Run one function with one event, like `sam local invoke`.",
    )
    parser.add_argument("function", help="logical id (ApiFunction), function name or ARN")
    parser.add_argument("event", type=Path, help="event JSON file ('-' for stdin)")
    parser.add_argument("--stack-name", default=DEFAULT_STACK)
    parser.add_argument(
        "--schedule-id",
        type=_id(SCHEDULE_ID, "a schedule id (sch_ and 20 characters 0-9 a-z)"),
        help="put this schedule id in place of the sample's (make invoke SCHEDULE=...)",
    )
    parser.add_argument(
        "--execution-id",
        type=_id(re.compile(r"[0-9A-Za-z_.:-]{1,200}"), "an execution id"),
        help="put this execution id in place of the sample's (make invoke EXECUTION=...)",
    )
    args = parser.parse_args(argv)

    text = sys.stdin.read() if str(args.event) == "-" else args.event.read_text("utf-8")
    text = personalise(text, args.schedule_id, args.execution_id)
    try:
        event: Any = json.loads(text)
    except ValueError as exc:
        print(f"{args.event}: not JSON: {exc}", file=sys.stderr)
        return 2

    moto_port = int(os.environ.get("MOTO_PORT") or 5000)
    lambda_port = int(os.environ.get("LAMBDA_PORT") or 3001)
    url = f"http://127.0.0.1:{moto_port}"
    server: MotoServer | None = None
    if moto_answers(url):
        print(f"using the running local stack at {url}", file=sys.stderr)
    else:
        server = MotoServer(free_port())
        server.start()
        url = server.url
        print(f"no local stack on {moto_port}: using an ephemeral moto at {url}", file=sys.stderr)
    try:
        point_boto3_at(url, f"http://127.0.0.1:{lambda_port}")
        stack = plan(args.stack_name)
        ensure_resources(stack)  # idempotent; also learns the DLQ's real URL
        setup_environment(stack, allow_loopback=False, verbose=False)
        registry = FunctionRegistry(stack)
        try:
            spec = registry.resolve(args.function)
        except FunctionNotFoundError:
            names = ", ".join(sorted(registry.specs))
            print(f"unknown function {args.function!r}; the template has: {names}", file=sys.stderr)
            return 2
        request_id = str(uuid.uuid4())
        # stdout is for the result alone (as with `sam local invoke`): the handler's logs,
        # which Powertools writes to stdout, go to stderr. The handler is imported inside
        # too, since its Logger picks its stream then.
        try:
            with contextlib.redirect_stdout(sys.stderr):
                result = registry.invoke(spec.logical_id, event, request_id)
        except Exception as exc:
            traceback.print_exc()
            print(json.dumps(error_payload(exc, request_id), indent=2))
            return 1
        print(json.dumps(result, indent=2, default=str))
        return 0
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
