"""`python -m local` (`make run`): the whole stack on this machine, no Docker.

Signals are handled and the ports checked before anything heavy is imported: a busy
port is reported in a fraction of a second, and SIGINT or SIGTERM stops the stack at
any moment, startup included.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from local.options import (
    DEFAULT_STACK,
    HttpSubscription,
    Options,
    PortUnavailableError,
    check_ports,
)

# A stop that takes longer than this (an invocation that does not end, a lock held by
# the interrupted startup) is cut short: the state file was saved as it changed.
STOP_GRACE_S = 10.0


class StopRequestedError(BaseException):
    """Raised in the main thread by a signal during startup. A BaseException, so that no
    `except Exception` on the way swallows it."""


class Signals:
    """SIGINT and SIGTERM: the first asks for a stop (during startup by interrupting it),
    a second one, or a stop that overruns STOP_GRACE_S, exits at once."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.starting = True

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.stop.is_set():
            _exit_now(f"second {signal.Signals(signum).name}: exiting without waiting")
        self.stop.set()
        timer = threading.Timer(
            STOP_GRACE_S, _exit_now, args=(f"stop took over {STOP_GRACE_S:.0f}s: exiting now",)
        )
        timer.daemon = True
        timer.start()
        if self.starting:
            raise StopRequestedError(signum)


def _exit_now(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
    os._exit(1)


def _port(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _subscription(parser: argparse.ArgumentParser, values: list[str]) -> HttpSubscription:
    if len(values) > 2:
        parser.error("--subscribe-http takes a URL and at most one filter policy")
    url, policy = values[0], values[1] if len(values) == 2 else None
    try:
        return HttpSubscription.parse(url, policy)
    except ValueError as exc:
        parser.error(f"--subscribe-http {url}: {exc}")


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m local",
        description="Run the job scheduler locally: moto, the HTTP API, the Lambda Invoke "
        "API and a Scheduler emulator that fires schedules on time.",
    )
    parser.add_argument(
        "--moto-port",
        type=int,
        default=_port("MOTO_PORT", 5000),
        help="moto's port (env MOTO_PORT, default 5000)",
    )
    parser.add_argument(
        "--api-port",
        type=int,
        default=_port("API_PORT", 3000),
        help="HTTP API port (env API_PORT, default 3000)",
    )
    parser.add_argument(
        "--lambda-port",
        type=int,
        default=_port("LAMBDA_PORT", 3001),
        help="Lambda Invoke API port (env LAMBDA_PORT, default 3001)",
    )
    parser.add_argument(
        "--endpoint-url",
        default=None,
        help="use this moto/AWS-compatible endpoint instead of starting moto",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        default=Path(os.environ["STATE_FILE"]) if os.environ.get("STATE_FILE") else None,
        help="keep state in this JSON file across restarts (env STATE_FILE)",
    )
    loopback = parser.add_mutually_exclusive_group()
    loopback.add_argument(
        "--allow-loopback-targets",
        dest="loopback",
        action="store_true",
        default=True,
        help="let HTTP tasks call 127.0.0.1/localhost, e.g. your dev server (the local default)",
    )
    loopback.add_argument(
        "--no-loopback-targets",
        dest="loopback",
        action="store_false",
        help="refuse loopback HTTP targets, as the deployed stack does",
    )
    parser.add_argument(
        "--subscribe-http",
        action="append",
        nargs="+",
        default=[],
        metavar=("URL", "FILTER"),
        help="subscribe this http(s) URL to the events topic (repeatable), optionally with "
        'an SNS filter policy as JSON, e.g. \'{"type": ["execution.failed"]}\'',
    )
    parser.add_argument(
        "--stack-name",
        default=DEFAULT_STACK,
        help=f"stack name used in resource names (default {DEFAULT_STACK})",
    )
    parser.add_argument("--no-events", action="store_true", help="do not print lifecycle events")
    parser.add_argument(
        "--parameter-overrides",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="template parameters, as for sam deploy (e.g. ReconcileSchedule='rate(1 minute)')",
    )
    parser.add_argument(
        "--periodic-every",
        type=float,
        default=None,
        metavar="SECONDS",
        help="run the functions' own schedules (the reconciler) this often instead",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="access logs, handler INFO logs and EMF metrics",
    )
    args = parser.parse_args(argv)
    parameters: dict[str, str] = {}
    for pair in args.parameter_overrides:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            parser.error(f"--parameter-overrides wants KEY=VALUE, not {pair!r}")
        parameters[key] = value
    return Options(
        moto_port=args.moto_port,
        api_port=args.api_port,
        lambda_port=args.lambda_port,
        endpoint_url=args.endpoint_url,
        state_file=args.state_file,
        allow_loopback_targets=args.loopback,
        subscribe_http=[_subscription(parser, values) for values in args.subscribe_http],
        verbose=args.verbose,
        stack_name=args.stack_name,
        print_events=not args.no_events,
        parameters=parameters,
        periodic_every_s=args.periodic_every,
    )


def main(argv: list[str] | None = None) -> int:
    signals = Signals()
    signals.install()
    options = parse_args(argv)
    try:
        check_ports(options)
    except PortUnavailableError as exc:
        signals.starting = False
        print(f"cannot start the local stack: {exc.strerror}", file=sys.stderr, flush=True)
        return 1
    ports = ", ".join(f"{what} :{port}" for what, port, _, _ in options.listeners())
    print(f"starting the local stack ({ports})...", file=sys.stderr, flush=True)
    stack = None
    try:
        from local.app import LocalStack  # boto3, moto and the handlers: seconds

        stack = LocalStack(options)
        stack.start()
        signals.starting = False
    except StopRequestedError:
        signals.starting = False
        print("stopping during startup...", file=sys.stderr, flush=True)
        if stack is not None:
            # A half-started stack may wait on a server that never came up: bound the stop
            # (the process exits without teardown right after).
            stopper = threading.Thread(target=stack.stop, daemon=True)
            stopper.start()
            stopper.join(timeout=3)
        return 0
    except OSError as exc:  # e.g. a port taken between the check and the bind
        signals.starting = False
        reason = exc.strerror if isinstance(exc, PortUnavailableError) else exc
        print(f"cannot start the local stack: {reason}", file=sys.stderr, flush=True)
        if stack is not None:
            stack.stop()
        return 1
    print(stack.banner(), flush=True)
    # Event.wait with a timeout keeps the main thread responsive to signals.
    while not signals.stop.wait(0.5):
        pass
    from local.app import log

    log("stopping...")
    stack.stop()
    log("stopped")
    return 0


if __name__ == "__main__":
    status = main()
    # Everything is stopped and saved: skip the interpreter's teardown of moto's and
    # boto3's object graphs, which alone took seconds on a busy machine.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
