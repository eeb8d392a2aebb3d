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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from local import sigv4
from local.functions import StackStoppingError, TooManyRequestsError
from local.template import ACCOUNT_ID, Resolver, load_template, resources_of_type

API_ID = "local000api"
DEFAULT_STAGE = "$default"  # API Gateway's stage without a path prefix
DEFAULT_CLAIMS: dict[str, str] = {"sub": "local"}
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
# HTTP API's quota on the request line plus the header values, together.
MAX_REQUEST_LINE_AND_HEADERS = 10240
# The methods an HTTP API route key can name (ANY stands for these): API Gateway routes
# no other method, so TRACE, CONNECT and the like find no route.
ROUTABLE_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
# What the stdlib would answer with an HTML page, as the gateway's JSON instead: an
# unknown method (the stdlib's 501) finds no route, hence API Gateway's 404.
_GATEWAY_ERRORS: dict[int, HTTPStatus] = {
    HTTPStatus.NOT_IMPLEMENTED: HTTPStatus.NOT_FOUND,
}

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


@dataclass(frozen=True)
class Route:
    """One AWS::ApiGatewayV2::Route: its key ("GET /health", "ANY /{proxy+}") and
    whether API Gateway runs an authorizer for it (AuthorizationType other than NONE)."""

    key: str
    authorized: bool

    @property
    def method(self) -> str:
        return self.key.partition(" ")[0].upper()

    @property
    def path(self) -> str:
        return self.key.partition(" ")[2]


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class ApiConfig:
    stage: str
    routes: tuple[Route, ...]


class NoRouteError(LookupError):
    """No route of the API matches the request: API Gateway answers 404 itself."""


def _match_path(pattern: str, path: str) -> dict[str, str] | None:
    """Path parameters when `path` matches the route path `pattern` ("/a/{id}",
    "/{proxy+}"), else None. A greedy {name+} takes one or more trailing segments,
    a trailing slash included; "/health/" is not "/health"."""
    want = pattern.split("/")[1:]
    have = path.split("/")[1:]
    params: dict[str, str] = {}
    for index, part in enumerate(want):
        if part.startswith("{") and part.endswith("+}"):
            rest = "/".join(have[index:])
            if not rest:
                return None
            params[part[1:-2]] = unquote(rest)
            return params
        if index >= len(have):
            return None
        if part.startswith("{") and part.endswith("}"):
            if not have[index]:
                return None
            params[part[1:-1]] = unquote(have[index])
        elif part != have[index]:
            return None
    return params if len(want) == len(have) else None


def match_route(routes: Sequence[Route], method: str, path: str) -> RouteMatch | None:
    """The route API Gateway picks: the most specific path (literal segments over
    {param} over {greedy+}), then an exact method over ANY; a "$default" route catches
    the rest. None: no route, API Gateway's 404."""
    best: tuple[tuple[int, int, int], RouteMatch] | None = None
    fallback: RouteMatch | None = None
    for route in routes:
        if route.key == "$default":
            fallback = RouteMatch(route, {})
            continue
        if route.method not in ("ANY", method.upper()):
            continue
        params = _match_path(route.path, path)
        if params is None:
            continue
        segments = route.path.split("/")
        greedy = sum(seg.endswith("+}") for seg in segments)
        variables = sum(seg.startswith("{") for seg in segments) - greedy
        rank = (greedy, variables, int(route.method == "ANY"))
        if best is None or rank < best[0]:
            best = (rank, RouteMatch(route, params))
    return best[1] if best is not None else fallback


def api_config_from_template(
    template: dict[str, Any] | None = None, resolver: Resolver | None = None
) -> ApiConfig:
    """The stage name and routes template.yaml gives API Gateway (StageName resolved
    with `resolver`, the stack's, when it is an intrinsic)."""
    template = template if template is not None else load_template()
    resolver = resolver if resolver is not None else Resolver(template, "local")
    routes: list[Route] = []
    for resource in resources_of_type(template, "AWS::ApiGatewayV2::Route").values():
        props = resource.get("Properties", {})
        # A dict is an intrinsic (the template's !If [UseJwt, JWT, AWS_IAM]): either
        # branch authorizes; only a literal NONE makes the route public.
        auth = props.get("AuthorizationType", "NONE")
        routes.append(Route(key=str(props["RouteKey"]), authorized=auth != "NONE"))
    # The template has one stage; without any, API Gateway's own default.
    stage_resource = next(
        iter(resources_of_type(template, "AWS::ApiGatewayV2::Stage").values()), {}
    )
    stage = resolver.resolve(stage_resource.get("Properties", {}).get("StageName", DEFAULT_STAGE))
    return ApiConfig(stage=str(stage), routes=tuple(routes))


@cache
def template_api_config() -> ApiConfig:
    return api_config_from_template()


def build_event(
    *,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    stage: str | None = None,
    routes: Sequence[Route] | None = None,
    protocol: str = "HTTP/1.1",
    now: datetime | None = None,
) -> dict[str, Any]:
    """The payload v2 event API Gateway sends; stage and routes default to template.yaml's.

    On "$default" paths carry no prefix. On a named stage rawPath and
    requestContext.http.path start with "/<stage>" (Powertools strips it); the local URL
    has no prefix, as with `sam local start-api`, but one already there is accepted.
    A public route (AuthorizationType NONE) gets no requestContext.authorizer, as in AWS.
    Raises NoRouteError when no route matches (API Gateway never invokes then).
    """
    config = template_api_config()
    stage = config.stage if stage is None else stage
    routes = config.routes if routes is None else routes
    now = now or datetime.now(UTC)
    split = urlsplit(target)
    path = split.path or "/"
    raw_path = path
    if stage != DEFAULT_STAGE:
        stage_prefix = f"/{stage}"
        if path == stage_prefix or path.startswith(stage_prefix + "/"):
            path = path[len(stage_prefix) :] or "/"
        raw_path = stage_prefix + path
    matched = match_route(routes, method, path)
    if matched is None:
        raise NoRouteError(f"no route for {method.upper()} {path}")

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
    route_key = matched.route.key

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
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
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
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
        "routeKey": route_key,
        "stage": stage,
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if matched.route.authorized:
        # LOCAL ONLY: the JWT authorizer's context from an unverified token (or the
        # default local tenant), so the whole API is usable without an identity provider.
        authorization = event_headers.get("authorization")
        if sigv4.is_signed(authorization):
            # A SigV4-signed request (AuthMode=IAM): verified, raises SignatureRejected.
            iam = sigv4.verify(method, target, event_headers, body, now=now)
            context["authorizer"] = {"iam": iam}
        else:
            claims, scopes = identity_from_authorization(authorization)
            context["authorizer"] = {"jwt": {"claims": claims, "scopes": scopes}}
    event["requestContext"] = context
    if matched.path_parameters:
        event["pathParameters"] = matched.path_parameters
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

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's protocol errors (unknown method, request line or headers too long,
        malformed request line) as API Gateway's JSON, never an HTML page."""
        self.close_connection = True
        # A request line the stdlib takes for HTTP/0.9 would get a body without status
        # line or headers; answer as HTTP/1.1 (API Gateway speaks no 0.9).
        self.request_version = self.protocol_version
        self._gateway_error(_GATEWAY_ERRORS.get(code, HTTPStatus(code)))

    def _gateway_error(self, status: HTTPStatus, headers: Sequence[tuple[str, str]] = ()) -> None:
        body = json.dumps({"message": status.phrase}, separators=(",", ":")).encode()
        self._send(int(status), [("Content-Type", "application/json"), *headers], body)

    def _refusal(self) -> tuple[HTTPStatus, int]:
        """What API Gateway refuses before invoking anything: (status, body length); the
        status is 200 when the request may go on."""
        if self.command not in ROUTABLE_METHODS:  # methods are case-sensitive
            return HTTPStatus.NOT_FOUND, 0
        if len(self.requestline) > MAX_REQUEST_LINE_AND_HEADERS:
            return HTTPStatus.REQUEST_URI_TOO_LONG, 0
        size = len(self.requestline) + sum(len(value) for value in self.headers.values())
        if size > MAX_REQUEST_LINE_AND_HEADERS:
            return HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, 0
        raw_length = (self.headers.get("Content-Length") or "0").strip()
        if not raw_length.isascii() or not raw_length.isdigit():
            return HTTPStatus.BAD_REQUEST, 0
        length = int(raw_length)
        if length > MAX_BODY_BYTES:
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, 0
        return HTTPStatus.OK, length

    def _handle(self) -> None:
        refused, length = self._refusal()
        if refused != HTTPStatus.OK:
            # The body (if any) is not read: the connection cannot be reused.
            self.close_connection = True
            self._gateway_error(refused)
            return
        body = self.rfile.read(length) if length else b""
        try:
            event = build_event(
                method=self.command,
                target=self.path,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
                stage=self.server.stage,
                routes=self.server.routes,
                protocol=self.request_version,
            )
        except NoRouteError:
            self._send(404, [("Content-Type", "application/json")], b'{"message":"Not Found"}')
            return
        except sigv4.SignatureRejected as rejected:
            message = json.dumps({"message": str(rejected)}).encode()
            self._send(403, [("Content-Type", "application/json")], message)
            return
        started = time.perf_counter()
        try:
            result = self.server.invoke(event)
            status, headers, data = map_response(result)
        except (TooManyRequestsError, StackStoppingError) as exc:
            print(f"api {self.command} {self.path}: {exc}", file=sys.stderr)
            status, headers = 503, [("Content-Type", "application/json")]
            data = b'{"message":"Service Unavailable"}'
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

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, CONNECT, PROPFIND...) gets the gateway's answer too
        # (the stdlib looks up do_<METHOD> and would send its own 501 page).
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when many clients connect at
    # once (60 parallel requests did).
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        invoke: Invoke,
        *,
        stage: str | None = None,
        routes: Sequence[Route] | None = None,
        access_log: bool = False,
    ) -> None:
        """stage and routes default to template.yaml's (api_config_from_template)."""
        super().__init__(address, _Handler)
        config = template_api_config()
        self.invoke = invoke
        self.stage = config.stage if stage is None else stage
        self.routes: tuple[Route, ...] = config.routes if routes is None else tuple(routes)
        self.access_log = access_log
