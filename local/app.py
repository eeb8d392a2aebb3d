"""Wires the local stack: moto, the template's resources, the HTTP API, the Lambda API,
the Scheduler emulator, the event printer and the state file. `python -m local` runs it;
tests and `local.invoke` reuse pieces of it."""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import boto3

from local.event_printer import EventPrinter, subscribe_http
from local.functions import FunctionRegistry, merged_environment
from local.http_api import ApiServer, api_config_from_template
from local.lambda_api import LambdaApiServer
from local.moto_server import MotoServer, point_boto3_at
from local.options import Options as Options  # re-exported: tests build stacks from it
from local.options import PortUnavailableError, port_problem
from local.periodic import PeriodicRunner, periodic_events
from local.resources import Stack, plan, provision
from local.scheduler_emulator import SchedulerEmulator
from local.sns_delivery import install as install_sns_delivery
from local.state import StateStore

_Server = TypeVar("_Server")

# Methods that never change state (a write behind one would still be saved with the
# next change, and at stop).
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# How long a snapshot waits for running invocations to end before it tries again later.
_QUIET_TIMEOUT_S = 2.0

# Lambda's runtime sets these; Powertools and the handlers read some of them.
_RUNTIME_ENV = {
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    # No X-Ray daemon locally; EMF metrics would flood the console (see --verbose).
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def setup_environment(stack: Stack, *, allow_loopback: bool, verbose: bool) -> dict[str, str]:
    """Both functions' environment (their union: one process runs both) in os.environ."""
    env = merged_environment(stack)
    env.update(_RUNTIME_ENV)
    if not verbose:
        env["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        env["POWERTOOLS_METRICS_DISABLED"] = "true"
    if allow_loopback:
        env["ALLOW_LOOPBACK_TARGETS"] = "true"
    os.environ.update(env)
    # One process serves many invocations; Powertools warns on each that has no metric.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    from jobscheduler.settings import reset_settings

    reset_settings()
    return env


def ensure_resources(stack: Stack) -> None:
    """Create the template's resources; safe against an endpoint that already has them
    (provision() never re-creates a schedule group, which moto would empty)."""
    provision(stack)


def clients() -> dict[str, Any]:
    """Our own clients, made once in the main thread (boto3's default session is not
    thread-safe to create clients from)."""
    return {
        name: boto3.client(name)
        for name in ("dynamodb", "scheduler", "sqs", "sns", "ssm", "lambda")
    }


def log(message: str) -> None:
    stamp = datetime.now().strftime("%H:%M:%S")
    print(f"{stamp} {message}", file=sys.stderr, flush=True)


class LocalStack:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.moto: MotoServer | None = None
        self.stack: Stack | None = None
        self.registry: FunctionRegistry | None = None
        self.api: ApiServer | None = None
        self.lambda_api: LambdaApiServer | None = None
        self.emulator: SchedulerEmulator | None = None
        self.periodic: PeriodicRunner | None = None
        self.printer: EventPrinter | None = None
        self.store: StateStore | None = None
        self._threads: list[threading.Thread] = []
        self._saver_stop = threading.Event()
        self._changed = threading.Event()
        self._last_saved: str | None = None
        # Set once startup completed: a stop before that must not overwrite the state
        # file with a half-restored stack.
        self._ready = False
        self.saves = 0
        self.startup_s = 0.0

    @property
    def endpoint_url(self) -> str:
        if self.options.endpoint_url:
            return self.options.endpoint_url
        return f"http://127.0.0.1:{self.options.moto_port}"

    def start(self) -> None:
        began = time.perf_counter()
        opts = self.options
        if not opts.endpoint_url:
            # In-process moto: http(s) deliveries with attributes, off the publish path.
            install_sns_delivery()
            self.moto = MotoServer(opts.moto_port)
            _bind("moto", opts.moto_port, "--moto-port", "MOTO_PORT", self.moto.start)
        point_boto3_at(self.endpoint_url, f"http://127.0.0.1:{opts.lambda_port}")
        stack = self.stack = plan(opts.stack_name, opts.parameters)
        ensure_resources(stack)
        setup_environment(stack, allow_loopback=opts.allow_loopback_targets, verbose=opts.verbose)
        c = clients()
        topic_arn = stack.ref("EventsTopic")
        group = stack.ref("ScheduleGroup")

        emulator_state: dict[str, dict[str, datetime]] = {"anchors": {}, "last_fired": {}}
        if opts.state_file is not None:
            self.store = StateStore(
                opts.state_file,
                clients=c,
                table_name=stack.ref("Table"),
                group=group,
                topic_arn=topic_arn,
                secret_prefix=stack.environments["ExecutorFunction"].get(
                    "WEBHOOK_SECRET_PREFIX", f"/{opts.stack_name}/webhook-secrets/"
                ),
            )
            data = self.store.load()
            if data is not None:
                emulator_state = self.store.restore(data)
                log(
                    f"state restored from {opts.state_file}: "
                    f"{len(data.get('table_items', []))} items, "
                    f"{len(data.get('schedules', []))} schedule entries"
                )

        # The API runs one request at a time (its resolver keeps the request on the app
        # object); the executor's runs depend on their payload alone, so they run side
        # by side as in Lambda and a slow target never delays another schedule's fire.
        # A snapshot waits for the API's invocations (short; their transitions pair an
        # item with its entries), not for the executor's: a run can last minutes, and
        # one caught midway is what a crash there would leave, which the executor's
        # claims are built to take over.
        registry = self.registry = FunctionRegistry(
            stack,
            on_invoked=self._on_invoked,
            gated=("ApiFunction",),
            concurrent=("ExecutorFunction",),
        )
        for logical in registry.specs:
            try:
                registry.handler(logical)  # import now: the first request should not pay
            except Exception as exc:
                log(f"cannot import {logical}'s handler: {type(exc).__name__}: {exc}")

        if opts.print_events:
            self.printer = EventPrinter(
                sns_client=c["sns"],
                sqs_client=c["sqs"],
                topic_arn=topic_arn,
                queue_name=f"{opts.stack_name}-local-event-printer",
            )
            self.printer.setup()
        for subscription in opts.subscribe_http:
            subscribe_http(c["sns"], topic_arn, subscription)

        self.emulator = SchedulerEmulator(
            scheduler_client=c["scheduler"],
            sqs_client=c["sqs"],
            group=group,
            invoker=registry.invoke,
            log=log,
            anchors=emulator_state["anchors"],
            last_fired=emulator_state["last_fired"],
            on_change=self._changed.set,
        )
        self.lambda_api = _bind(
            "Lambda API",
            opts.lambda_port,
            "--lambda-port",
            "LAMBDA_PORT",
            lambda: LambdaApiServer(
                ("127.0.0.1", opts.lambda_port), registry, access_log=opts.verbose
            ),
        )
        # The stage and routes API Gateway will have: template.yaml's, not the Stage
        # parameter (StageName is $default, so paths carry no prefix).
        api_config = api_config_from_template(stack.template, stack.resolver)
        self.api = _bind(
            "HTTP API",
            opts.api_port,
            "--api-port",
            "API_PORT",
            lambda: ApiServer(
                ("127.0.0.1", opts.api_port),
                lambda event: registry.invoke("ApiFunction", event),
                stage=api_config.stage,
                routes=api_config.routes,
                access_log=opts.verbose,
            ),
        )
        self.emulator.start()
        self.periodic = PeriodicRunner(
            periodic_events(stack.template, stack.resolver),
            registry.invoke,
            every_s=opts.periodic_every_s,
            log=log if opts.verbose else (lambda _msg: None),
        )
        self.periodic.start()
        for server, name in ((self.lambda_api, "lambda-api"), (self.api, "http-api")):
            thread = threading.Thread(
                target=server.serve_forever, args=(0.1,), name=name, daemon=True
            )
            thread.start()
            self._threads.append(thread)
        if self.printer is not None:
            self.printer.start()
        if self.store is not None:
            saver = threading.Thread(target=self._save_loop, name="state-saver", daemon=True)
            saver.start()
            self._threads.append(saver)
        self._ready = True
        self.startup_s = time.perf_counter() - began

    def banner(self) -> str:
        assert self.stack is not None
        assert self.registry is not None
        opts = self.options
        names = ", ".join(f"{s.name} ({s.logical_id})" for s in self.registry.specs.values())
        lines = [
            "",
            f"  Job scheduler, local stack ({opts.stack_name}), ready in {self.startup_s:.1f}s",
            f"  HTTP API     http://127.0.0.1:{opts.api_port}   (try: curl http://127.0.0.1:{opts.api_port}/health)",
            f"  API docs     http://127.0.0.1:{opts.api_port}/docs",
            f"  Lambda API   http://127.0.0.1:{opts.lambda_port}   (aws lambda invoke --endpoint-url http://127.0.0.1:{opts.lambda_port} ...)",
            f"  AWS endpoint {self.endpoint_url}   ({'moto, in this process' if self.moto else 'external'})",
            f"  Functions    {names}",
            f"  Table {self.stack.ref('Table')}, topic {self.stack.ref('EventsTopic')}, group {self.stack.ref('ScheduleGroup')}",
            f"  State        {opts.state_file or 'in memory (use --state-file PATH to keep it)'}",
            "  Identity     'Authorization: Bearer <jwt or name>' (not verified locally); none = tenant 'local'",
            "  Lifecycle events print below. Ctrl-C stops.",
            "",
        ]
        return "\n".join(lines)

    def _on_invoked(self, logical_id: str, event: Any) -> None:
        if logical_id == "ApiFunction" and isinstance(event, dict):
            method = (event.get("requestContext") or {}).get("http", {}).get("method", "")
            if str(method).upper() in _READ_METHODS:
                return
        self._changed.set()

    def _save_loop(self) -> None:
        """Save after each change, coalescing the changes of the next save_delay_s: the
        file is at most about that (plus one snapshot) behind the stack."""
        if self.store is not None:
            # moto builds its SSM store on first use (~2 s): pay that here, not while a
            # snapshot holds invocations back.
            self.store.warm_up()
        while not self._saver_stop.is_set():
            if not self._changed.wait(0.5):
                continue
            if self._saver_stop.wait(self.options.save_delay_s):
                return
            self._changed.clear()
            if not self.save():
                self._changed.set()  # not saved this time: try again

    def save(self, quiet_timeout_s: float = _QUIET_TIMEOUT_S) -> bool:
        """Write one consistent snapshot (taken while no invocation runs) if it differs
        from the last one written. False if it could not be taken or written."""
        if self.store is None or self.emulator is None or self.registry is None:
            return False
        try:
            with self.registry.gate.quiet(quiet_timeout_s) as quiet:
                if not quiet:
                    return False
                snapshot = self.store.snapshot(self.emulator.persistent_state())
            content = self.store.dumps(snapshot)
            if content != self._last_saved:
                self.store.write(content)
                self._last_saved = content
                self.saves += 1
            return True
        except Exception as exc:
            log(f"state save failed: {type(exc).__name__}: {exc}")
            return False

    def stop(self) -> None:
        """Stop taking requests, save the state, let running work finish, stop moto."""
        self._saver_stop.set()
        if self.printer is not None:
            self.printer.stop(wait=False)  # its long poll ends while the rest stops
        servers = [server for server in (self.api, self.lambda_api) if server is not None]
        # Each shutdown waits for its loop's next poll: wait for them together.
        stoppers = [threading.Thread(target=server.shutdown) for server in servers]
        for stopper in stoppers:
            stopper.start()
        for stopper, server in zip(stoppers, servers, strict=True):
            stopper.join()
            server.server_close()
        # Saved before waiting for running work, which may outlast the stop's grace
        # period; saved again after it if it ends in time.
        if self.store is not None and self._ready:
            self.save()
        if self.periodic is not None:
            self.periodic.stop()
        if self.registry is not None:
            self.registry.close()  # queued invocations give up; running ones finish
        if self.emulator is not None:
            self.emulator.stop()
        if self.lambda_api is not None:
            self.lambda_api.close()
        if self.printer is not None:
            self.printer.stop()
        for thread in self._threads:
            thread.join(5)
        if self.store is not None and self._ready:
            self.save()
            log(f"state saved to {self.options.state_file}")
        if self.moto is not None:
            self.moto.stop()


def _bind(what: str, port: int, option: str, env: str, start: Callable[[], _Server]) -> _Server:
    """Run start() (which binds `port`); a busy port becomes a message naming it."""
    try:
        return start()
    except OSError as exc:
        raise PortUnavailableError(exc.errno, port_problem(what, port, option, env, exc)) from exc
