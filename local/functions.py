"""The template's functions, run in-process: name/ARN resolution, a Lambda context object
and one `invoke` used by the HTTP API, the Lambda API emulator and the Scheduler emulator.

The handlers run in this one process, so there is no per-invocation sandbox: the
template's Timeout is reported through ``get_remaining_time_in_millis`` but not enforced
(a thread cannot be killed), and both functions share one environment (the union of
their variables; see ``merged_environment``).
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.resources import FUNCTION_TYPE, Stack
from local.template import ACCOUNT_ID, REGION, resources_of_type

Handler = Callable[[dict[str, Any], Any], Any]


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

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
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

    def invoke(self, name_or_arn: str, event: Any, request_id: str | None = None) -> Any:
        """Run the handler with the event; exceptions propagate (callers map them)."""
        spec = self.resolve(name_or_arn)
        handler = self.handler(spec.logical_id)
        return handler(event, LambdaContext(spec, request_id))


def error_payload(exc: BaseException, request_id: str) -> dict[str, Any]:
    """The JSON Lambda returns for an unhandled exception (Python runtime format)."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }
