"""The template's functions, run in-process: name/ARN resolution, a Lambda context object
and one `invoke` used by the HTTP API, the Lambda API emulator and the Scheduler emulator.

The handlers run in this one process, so there is no per-invocation sandbox: the
template's Timeout is reported through ``get_remaining_time_in_millis`` but not enforced
(a thread cannot be killed), and both functions share one environment (the union of
their variables; see ``merged_environment``).

Isolation: Lambda gives each concurrent invocation an execution environment of its own,
and a handler may keep a request's state in module globals. The API's does: Powertools'
resolver holds the current event on the app object, so two threads inside it would
answer each other's request. A function therefore has one execution environment (runs
one invocation at a time, as if its reserved concurrency were 1) unless the registry is
told it is `concurrent`: a handler whose result and writes depend on its event alone.
A caller that cannot get the environment within the function's Timeout gets Lambda's
throttling error (TooManyRequestsException), which also ends the wait of a function
that (through HTTP) invokes itself.
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from local.resources import FUNCTION_TYPE, Stack
from local.template import ACCOUNT_ID, REGION, resources_of_type

Handler = Callable[[dict[str, Any], Any], Any]
# Called after each invocation (whatever its outcome) with the function's logical id and
# the event: the state file's cue that something may have changed.
OnInvoked = Callable[[str, Any], None]


class TooManyRequestsError(RuntimeError):
    """Lambda's throttling error: the function's execution environment stayed busy."""

    code = "TooManyRequestsException"

    def __init__(self, name: str, waited_s: float) -> None:
        super().__init__(
            f"Rate Exceeded: {name} was busy for {waited_s:.0f}s (one execution "
            "environment per function locally)"
        )


class StackStoppingError(RuntimeError):
    """The stack is stopping: an invocation that had not started yet will not start."""


class SnapshotGate:
    """Lets the state file see the stack between invocations, never in the middle of one
    (a create writes its item, then its entry, then the item again). Which functions
    pass through it is the registry's `gated` argument.

    Invocations pass in shared mode; a snapshot waits, bounded, until none is running
    and holds new ones back meanwhile (so a steady stream cannot starve it). If the wait
    runs out (a slow invocation), the snapshot gives up and lets everything through; the
    caller retries later.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running = 0
        self._snapshot_wanted = False
        self._snapshot_held = False

    @contextmanager
    def invocation(self) -> Iterator[None]:
        with self._cond:
            while self._snapshot_wanted or self._snapshot_held:
                self._cond.wait()
            self._running += 1
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                if self._running == 0:
                    self._cond.notify_all()

    @contextmanager
    def quiet(self, timeout_s: float) -> Iterator[bool]:
        """Yields True while no invocation runs (none can start), False if the stack did
        not become quiet within timeout_s."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._snapshot_wanted or self._snapshot_held:
                self._cond.wait()
            self._snapshot_wanted = True
            try:
                while self._running and (remaining := deadline - time.monotonic()) > 0:
                    self._cond.wait(remaining)
                quiet = self._running == 0
                self._snapshot_held = quiet
            finally:
                self._snapshot_wanted = False
                self._cond.notify_all()
        try:
            yield quiet
        finally:
            if quiet:
                with self._cond:
                    self._snapshot_held = False
                    self._cond.notify_all()


class FunctionNotFoundError(LookupError):
    """No function of the template answers to that name, ARN or logical id."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    @property
    def arn(self) -> str:
        if self.name.startswith("arn:"):
            return self.name
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.name}"


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    memory_mb: int
    timeout_s: int


class LambdaContext:
    """The attributes of the Python runtime's context object that handlers and
    Powertools read (function name, memory, request id, remaining time)."""

    def __init__(self, spec: FunctionSpec, request_id: str | None = None) -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.arn
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self.identity: Any = None
        self.client_context: Any = None
        self._deadline = time.monotonic() + spec.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def merged_environment(stack: Stack) -> dict[str, str]:
    """Union of every function's environment, for the one local process.

    Raises if two functions give one variable different values: then a single process
    could not run both faithfully.
    """
    merged: dict[str, str] = {}
    for logical, env in stack.environments.items():
        for key, value in env.items():
            if key in merged and merged[key] != value:
                raise ValueError(
                    f"{logical} sets {key}={value!r} but another function sets {merged[key]!r}"
                )
            merged[key] = value
    return merged


class FunctionRegistry:
    """Resolves a function name, ARN (optionally qualified) or logical id and runs the
    handler template.yaml names for it."""

    def __init__(
        self,
        stack: Stack,
        *,
        on_invoked: OnInvoked | None = None,
        gated: Collection[str] = (),
        concurrent: Collection[str] = (),
    ) -> None:
        """gated: logical ids whose invocations a snapshot waits for (see SnapshotGate).
        concurrent: logical ids that may run several invocations at once (see above)."""
        self.stack = stack
        self.on_invoked = on_invoked
        self.gate = SnapshotGate()
        self._gated = frozenset(gated)
        self._concurrent = frozenset(concurrent)
        globals_fn = stack.template.get("Globals", {}).get("Function", {})
        self.specs: dict[str, FunctionSpec] = {}
        for logical, resource in resources_of_type(stack.template, FUNCTION_TYPE).items():
            props = resource.get("Properties", {})
            self.specs[logical] = FunctionSpec(
                logical_id=logical,
                name=stack.ref(logical),
                arn=stack.att(logical, "Arn"),
                memory_mb=int(props.get("MemorySize", globals_fn.get("MemorySize", 128))),
                timeout_s=int(props.get("Timeout", globals_fn.get("Timeout", 3))),
            )
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        # One execution environment per function not `concurrent` (module docstring).
        self._environments = {
            logical: threading.Lock() for logical in self.specs if logical not in concurrent
        }
        self._closing = threading.Event()

    def resolve(self, name_or_arn: str) -> FunctionSpec:
        """Accepts `name`, `name:qualifier`, a (qualified) ARN, or the logical id."""
        if name_or_arn in self.specs:
            return self.specs[name_or_arn]
        name = name_or_arn
        if name.startswith("arn:"):
            parts = name.split(":")
            # arn:aws:lambda:region:account:function:name[:qualifier]
            if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
                raise FunctionNotFoundError(name_or_arn)
            name = parts[6]
        else:
            name = name.split(":", 1)[0]
        for spec in self.specs.values():
            if spec.name == name:
                return spec
        raise FunctionNotFoundError(name_or_arn)

    def handler(self, logical_id: str) -> Handler:
        # Import once, under a lock: two first requests must not import a module twice.
        with self._lock:
            if logical_id not in self._handlers:
                self._handlers[logical_id] = self.stack.load_handler(logical_id)
            return self._handlers[logical_id]

    def close(self) -> None:
        """Stopping: invocations still waiting for their environment give up."""
        self._closing.set()

    def _acquire(self, spec: FunctionSpec) -> threading.Lock | None:
        """The function's environment, acquired (None: the function is concurrent)."""
        if self._closing.is_set():
            raise StackStoppingError(f"{spec.name}: the local stack is stopping")
        environment = self._environments.get(spec.logical_id)
        if environment is None:
            return None
        deadline = time.monotonic() + spec.timeout_s
        # In short waits, so that a stop is heard by those still queued.
        while not environment.acquire(timeout=min(0.2, max(0.0, deadline - time.monotonic()))):
            if self._closing.is_set():
                raise StackStoppingError(f"{spec.name}: the local stack is stopping")
            if time.monotonic() >= deadline:
                raise TooManyRequestsError(spec.name, spec.timeout_s)
        if self._closing.is_set():
            environment.release()
            raise StackStoppingError(f"{spec.name}: the local stack is stopping")
        return environment

    def invoke(self, name_or_arn: str, event: Any, request_id: str | None = None) -> Any:
        """Run the handler with the event, alone in its function's execution environment;
        exceptions propagate (callers map them). Raises TooManyRequestsError when the
        environment stays busy for the function's Timeout."""
        spec = self.resolve(name_or_arn)
        handler = self.handler(spec.logical_id)
        environment = self._acquire(spec)
        try:
            gate: AbstractContextManager[None] = (
                self.gate.invocation() if spec.logical_id in self._gated else nullcontext()
            )
            with gate:
                # The context (and its deadline) starts when the handler does, not while
                # the request queued.
                return handler(event, LambdaContext(spec, request_id))
        finally:
            if environment is not None:
                environment.release()
            if self.on_invoked is not None:
                self.on_invoked(spec.logical_id, event)


def error_payload(exc: BaseException, request_id: str) -> dict[str, Any]:
    """The JSON Lambda returns for an unhandled exception (Python runtime format)."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }
