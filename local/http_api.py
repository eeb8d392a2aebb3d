"""HTTP -> API Gateway HTTP API payload v2 event -> ApiFunction's handler -> HTTP.

stdlib ThreadingHTTPServer rather than Flask/Werkzeug: we need the raw request line,
repeated headers and raw bytes to build the exact event API Gateway builds, not a
framework's routing or parsing, and it keeps the local stack free of extra packages.
(moto's own server already brings Werkzeug; using it here would add nothing we need.)
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from local.template import ACCOUNT_ID

API_ID = "local000api"
ROUTE_KEY = "ANY /{proxy+}"  # template.yaml: Path /{proxy+}, Method ANY
DEFAULT_CLAIMS: dict[str, str] = {"sub": "local"}
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit

Invoke = Callable[[dict[str, Any]], Any]


def _b64url_json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def _claim_value(value: Any) -> str:
    # API Gateway hands JWT claims to the integration as strings; arrays look like "[a b]".
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + " ".join(_claim_value(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, dict) else str(value)


def identity_from_authorization(header: str | None) -> tuple[dict[str, str], list[str] | None]:
    """Claims and scopes for the request context. LOCAL ONLY: the JWT is decoded, never
    verified. A bearer token that is not a JWT becomes {"sub": token}; no header means
    the default local tenant."""
    if not header:
        return dict(DEFAULT_CLAIMS), None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return dict(DEFAULT_CLAIMS), None
    parts = token.split(".")
    if len(parts) == 3:
        try:
            payload = _b64url_json(parts[1])
        except (ValueError, binascii.Error, UnicodeDecodeError):
            payload = None
        if isinstance(payload, dict):
            claims = {str(k): _claim_value(v) for k, v in payload.items()}
            scope = payload.get("scope") or payload.get("scp")
            scopes: list[str] | None = None
            if isinstance(scope, str):
                scopes = scope.split()
            elif isinstance(scope, list):
                scopes = [str(s) for s in scope]
            return claims, scopes
    return {"sub": token}, None


def build_event(
    *,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    stage: str,
    protocol: str = "HTTP/1.1",
    now: datetime | None = None,
) -> dict[str, Any]:
    """The payload v2 event API Gateway sends for `ANY /{proxy+}` on a named stage.

    With a named stage (not $default) rawPath and requestContext.http.path start with
    "/<stage>" (Powertools strips it); the local URL has no stage prefix, as with
    `sam local start-api`, but a request that already carries it is accepted as is.
    """
    now = now or datetime.now(UTC)
    split = urlsplit(target)
    path = split.path or "/"
    stage_prefix = f"/{stage}"
    if path == stage_prefix or path.startswith(stage_prefix + "/"):
        path = path[len(stage_prefix) :] or "/"
    raw_path = stage_prefix + path

    merged: dict[str, list[str]] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        merged.setdefault(key, []).append(value)
    event_headers = {key: ",".join(values) for key, values in merged.items()}
    # API Gateway adds these; the caller's own X-Forwarded-For is kept in front.
    forwarded = event_headers.get("x-forwarded-for")
    event_headers["x-forwarded-for"] = f"{forwarded},{source_ip}" if forwarded else source_ip
    event_headers.setdefault("x-forwarded-proto", "http")
    authorization = event_headers.get("authorization")
    claims, scopes = identity_from_authorization(authorization)

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": ROUTE_KEY,
        "rawPath": raw_path,
        "rawQueryString": split.query,
        "headers": event_headers,
    }
    if cookies:
        event["cookies"] = cookies
    if split.query:
        params: dict[str, list[str]] = {}
        for key, value in parse_qsl(split.query, keep_blank_values=True):
            params.setdefault(key, []).append(value)
        event["queryStringParameters"] = {k: ",".join(v) for k, v in params.items()}
    host = event_headers.get("host", "127.0.0.1")
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "authorizer": {"jwt": {"claims": claims, "scopes": scopes}},
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": method.upper(),
            "path": raw_path,
            "protocol": protocol,
            "sourceIp": source_ip,
            "userAgent": event_headers.get("user-agent", ""),
        },
        "requestId": base64.b32encode(uuid.uuid4().bytes)[:16].decode("ascii"),
        "routeKey": ROUTE_KEY,
        "stage": stage,
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    event["pathParameters"] = {"proxy": unquote(path.lstrip("/"))}
    if body:
        try:
            event["body"] = body.decode("utf-8")
            event["isBase64Encoded"] = False
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


def map_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body from a payload v2 handler result. A result without
    statusCode is inferred the way API Gateway does: 200, JSON of the result."""
    if not isinstance(result, Mapping) or "statusCode" not in result:
        body = result if isinstance(result, str) else json.dumps(result)
        return 200, [("Content-Type", "application/json")], body.encode("utf-8")
    status = int(result["statusCode"])
    out: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        out.append((str(name), str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        known = {n.lower() for n, _ in out}
        if str(name).lower() in known:
            continue
        out.extend((str(name), str(v)) for v in values)
    out.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or [])
    raw = result.get("body")
    if raw is None:
        data = b""
    elif result.get("isBase64Encoded"):
        data = base64.b64decode(str(raw))
    else:
        data = str(raw).encode("utf-8")
    return status, out, data


class _Handler(BaseHTTPRequestHandler):
    server: ApiServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.access_log:
            sys.stderr.write(f"api {self.address_string()} {format % args}\n")

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(
                413,
                [("Content-Type", "application/json")],
                b'{"message":"Request Entity Too Large"}',
            )
            return
        body = self.rfile.read(length) if length else b""
        event = build_event(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            stage=self.server.stage,
            protocol=self.request_version,
        )
        started = time.perf_counter()
        try:
            result = self.server.invoke(event)
            status, headers, data = map_response(result)
        except Exception:
            # API Gateway's answer when the integration fails; the traceback goes to
            # the console, as it would to CloudWatch.
            traceback.print_exc()
            status, headers = 500, [("Content-Type", "application/json")]
            data = b'{"message":"Internal Server Error"}'
        if self.server.access_log:
            elapsed = (time.perf_counter() - started) * 1000
            sys.stderr.write(f"api {self.command} {self.path} -> {status} ({elapsed:.0f} ms)\n")
        self._send(status, headers, data)

    def _send(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response_only(status)
        self.send_header("Date", self.date_time_string())
        self.send_header("apigw-requestid", uuid.uuid4().hex[:16])
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], invoke: Invoke, *, stage: str, access_log: bool = False
    ) -> None:
        super().__init__(address, _Handler)
        self.invoke = invoke
        self.stage = stage
        self.access_log = access_log
