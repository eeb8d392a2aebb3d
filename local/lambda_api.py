"""The Lambda Invoke API for the template's functions, as `sam local start-lambda` serves it.

POST /2015-03-31/functions/{name}/invocations with X-Amz-Invocation-Type:
RequestResponse (200 + result; a handler exception is 200 + X-Amz-Function-Error:
Unhandled + the runtime's error JSON, as AWS answers), Event (202, run in the
background with Lambda's async retries, compressed) or DryRun (204). An unknown function
gets AWS's 404 ResourceNotFoundException, so boto3 raises the same exception class.
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from local.functions import (
    FunctionNotFoundError,
    FunctionRegistry,
    StackStoppingError,
    TooManyRequestsError,
    error_payload,
)

PATH_PREFIX = "/2015-03-31/functions/"
PATH_SUFFIX = "/invocations"
# Lambda retries a failed asynchronous invocation twice (1 and 2 minutes later by
# default); locally the same count with the delays divided by ASYNC_DELAY_DIVISOR.
ASYNC_RETRIES = 2
ASYNC_DELAYS_S = (60.0, 120.0)
ASYNC_DELAY_DIVISOR = 120.0


class _Handler(BaseHTTPRequestHandler):
    server: LambdaApiServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.access_log:
            sys.stderr.write(f"lambda {self.address_string()} {format % args}\n")

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response_only(status)
        self.send_header("Date", self.date_time_string())
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if data:
            self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, error_type: str, message: str) -> None:
        # botocore reads the code from x-amzn-ErrorType and the message from the body.
        self._json(
            status,
            {"Type": "User", "message": message},
            {
                "x-amzn-ErrorType": f"{error_type}:http://internal.amazon.com/coral/com.amazonaws.awslambda/"
            },
        )

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The stdlib's protocol errors in AWS's error shape, not an HTML page.
        self.close_connection = True
        self._error(code, "UnknownOperationException", message or f"HTTP {code}")

    def do_POST(self) -> None:
        raw_length = (self.headers.get("Content-Length") or "0").strip()
        if not raw_length.isascii() or not raw_length.isdigit():
            self.close_connection = True
            self._error(400, "InvalidRequestContentException", "invalid Content-Length")
            return
        length = int(raw_length)
        raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if not (path.startswith(PATH_PREFIX) and path.endswith(PATH_SUFFIX)):
            self._error(404, "UnknownOperationException", f"Unknown operation {self.path}")
            return
        name = unquote(path[len(PATH_PREFIX) : -len(PATH_SUFFIX)])
        registry = self.server.registry
        try:
            spec = registry.resolve(name)
        except FunctionNotFoundError as exc:
            self._error(404, "ResourceNotFoundException", f"Function not found: {exc.arn}")
            return
        invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type not in ("RequestResponse", "Event", "DryRun"):
            self._error(
                400,
                "InvalidParameterValueException",
                f"1 validation error detected: Value '{invocation_type}' at 'invocationType' "
                "failed to satisfy constraint: Member must satisfy enum value set: "
                "[Event, RequestResponse, DryRun]",
            )
            return
        try:
            event: Any = json.loads(raw) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError):
            self._error(
                400,
                "InvalidRequestContentException",
                "Could not parse request body into json: Unexpected character",
            )
            return
        if invocation_type == "DryRun":
            self._json(204, None)
            return
        request_id = str(uuid.uuid4())
        if invocation_type == "Event":
            self.server.submit_async(spec.logical_id, event, request_id)
            self._json(202, None, {"x-amzn-RequestId": request_id})
            return
        headers = {"X-Amz-Executed-Version": "$LATEST"}
        try:
            result = registry.invoke(spec.logical_id, event, request_id)
        except TooManyRequestsError as exc:
            self._error(429, TooManyRequestsError.code, str(exc))
            return
        except Exception as exc:
            headers["X-Amz-Function-Error"] = "Unhandled"
            self._json(200, error_payload(exc, request_id), headers)
            return
        self._json(200, result, headers)


class LambdaApiServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when many clients connect at
    # once (60 parallel requests did).
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        registry: FunctionRegistry,
        *,
        workers: int = 16,
        access_log: bool = False,
    ) -> None:
        super().__init__(address, _Handler)
        self.registry = registry
        self.access_log = access_log
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lambda-async")
        self._stopping = threading.Event()

    def submit_async(self, logical_id: str, event: Any, request_id: str) -> None:
        self.pool.submit(self._run_async, logical_id, event, request_id)

    def _run_async(self, logical_id: str, event: Any, request_id: str) -> None:
        for attempt in range(ASYNC_RETRIES + 1):
            try:
                self.registry.invoke(logical_id, event, request_id)
                return
            except StackStoppingError:
                return
            except Exception as exc:
                print(
                    f"lambda  async {logical_id} attempt {attempt + 1} failed: "
                    f"{type(exc).__name__}: {exc}",
                    file=sys.stderr,
                )
                if attempt == ASYNC_RETRIES or self._stopping.wait(
                    ASYNC_DELAYS_S[attempt] / ASYNC_DELAY_DIVISOR
                ):
                    return

    def close(self) -> None:
        """Stop accepting async work and wait for what is running."""
        self._stopping.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
