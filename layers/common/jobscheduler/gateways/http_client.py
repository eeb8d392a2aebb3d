"""An HTTP client for user-supplied URLs that cannot be turned against our own network.

Built on the standard library's http.client on purpose: the guard needs to dial the very
address it checked (the host is resolved once, every answer is checked, then the socket
connects to that IP while the Host header and TLS SNI/certificate check keep the name).
urllib3/requests resolve the name again inside their connection pools, so pinning the
IP there means patching their internals; http.client exposes ``connect()`` to override.
It also never reads proxy settings from the environment, which would bypass the check.

``timeout`` bounds the whole request, redirects included: the name lookup runs in a
worker thread the caller stops waiting for, and a watchdog shuts the socket down at the
deadline. Socket timeouts alone are not enough: they are re-armed by every read, so a
server that drips one byte at a time would hold the request indefinitely.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import SplitResult, urljoin, urlsplit

from jobscheduler.gateways import ssrf

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 65536
# Headers the client itself sets on every hop; on a redirect to another origin every
# other header (the task's own, the webhook-* signature) is dropped.
_CLIENT_HEADERS = frozenset({"user-agent"})
_T = TypeVar("_T")


class HttpError(Exception):
    """A request that produced no usable response."""

    retryable = False


class HttpConnectionError(HttpError):
    retryable = True


class HttpTimeout(HttpError):
    retryable = True


class HttpRefused(HttpError):
    """Refused by the SSRF guard or the redirect policy: never retried."""


@dataclass(frozen=True)
class HttpResponse:
    status_code: int
    body: bytes
    truncated: bool
    url: str
    redirects: int = 0
    headers: dict[str, str] = field(default_factory=dict)


Resolver = Callable[..., list[ssrf.IPAddress]]


class _Watchdog:
    """Shuts the watched socket down when the deadline passes.

    A blocked connect, handshake, send or read in the requesting thread then returns at
    once (with an error or end of file); ``expired`` tells the caller it was the deadline.
    """

    def __init__(self, deadline: float) -> None:
        self.expired = False
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.name = "http-watchdog"
        self._timer.start()

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self.expired and sock is not None:
                _shutdown(sock)

    def stop(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._sock = None

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            if self._sock is not None:
                _shutdown(self._sock)


def _shutdown(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for a TLS socket: no TLS close_notify exchange
    # with a peer that is not answering. OSError: closed or never connected, nothing to do.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a pre-checked address; the Host header still names the host."""

    def __init__(
        self, host: str, port: int, address: str, timeout: float, watchdog: _Watchdog
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address
        self._watchdog = watchdog

    def connect(self) -> None:
        self.sock = _dial(self._address, self.port, self.timeout, self._watchdog)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to a pre-checked address; SNI and the certificate check use the host name."""

    def __init__(
        self,
        host: str,
        port: int,
        address: str,
        timeout: float,
        context: ssl.SSLContext,
        watchdog: _Watchdog,
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context
        self._watchdog = watchdog

    def connect(self) -> None:
        raw = _dial(self._address, self.port, self.timeout, self._watchdog)
        # Handshake after wrapping so the watchdog holds the TLS socket while it runs.
        tls = self._tls.wrap_socket(raw, server_hostname=self.host, do_handshake_on_connect=False)
        self._watchdog.watch(tls)
        self.sock = tls
        tls.do_handshake()


def _dial(address: str, port: int, timeout: float | None, watchdog: _Watchdog) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    watchdog.watch(sock)
    try:
        sock.settimeout(timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect((address, port))
    except BaseException:
        watchdog.watch(None)
        sock.close()
        raise
    return sock


def request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float,
    follow_redirects: bool = False,
    max_redirects: int = 3,
    max_response_bytes: int = 1_048_576,
    allow_loopback: bool = False,
    resolver: Resolver = ssrf.resolve,
    ssl_context: ssl.SSLContext | None = None,
) -> HttpResponse:
    """One request (plus redirects when allowed), bounded by ``timeout`` seconds in all."""
    deadline = time.monotonic() + timeout
    context = ssl_context or ssl.create_default_context()
    current_headers = dict(headers or {})
    origin = _origin(url)
    for hop in range(max_redirects + 1):
        response, location = _one(
            method,
            url,
            headers=current_headers,
            body=body,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
            allow_loopback=allow_loopback,
            resolver=resolver,
            context=context,
        )
        if not follow_redirects or location is None:
            return HttpResponse(
                status_code=response.status_code,
                body=response.body,
                truncated=response.truncated,
                url=url,
                redirects=hop,
                headers=response.headers,
            )
        url = urljoin(url, location)
        if response.status_code == 303 or (
            response.status_code in (301, 302) and method not in ("GET", "HEAD")
        ):
            # What browsers and every client do: the next hop is a GET without a body.
            method, body = "GET", None
            current_headers = {
                k: v for k, v in current_headers.items() if k.lower() != "content-type"
            }
        if _origin(url) != origin:
            # Another origin gets none of the task's headers (API keys, cookies) and no
            # webhook-* signature: only what the client itself says about the request.
            kept = _CLIENT_HEADERS | ({"content-type"} if body is not None else set())
            current_headers = {k: v for k, v in current_headers.items() if k.lower() in kept}
    raise HttpRefused(f"more than {max_redirects} redirects")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1  # a bad port is refused when dialled; never the same origin
    return parts.scheme.lower(), (parts.hostname or ""), port


def _one(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None,
    deadline: float,
    max_response_bytes: int,
    allow_loopback: bool,
    resolver: Resolver,
    context: ssl.SSLContext,
) -> tuple[HttpResponse, str | None]:
    parts, host, port = _endpoint(url)
    addresses = _resolve(host, port, deadline, resolver=resolver, allow_loopback=allow_loopback)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    last_error: OSError | None = None
    for address in addresses:
        remaining = _remaining(deadline)
        watchdog = _Watchdog(deadline)
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = _PinnedHTTPSConnection(host, port, str(address), remaining, context, watchdog)
        else:
            conn = _PinnedHTTPConnection(host, port, str(address), remaining, watchdog)
        try:
            last_error = _connect(conn, host, watchdog)
            if last_error is not None:
                continue  # this address is unreachable: try the next one
            return _exchange(
                conn, method, target, headers, body, deadline, max_response_bytes, watchdog
            )
        finally:
            watchdog.stop()
            conn.close()
    raise HttpConnectionError(f"cannot connect to {host}:{port}: {last_error}")


def _endpoint(url: str) -> tuple[SplitResult, str, int]:
    """The URL's parts, host and port; HttpRefused for what a task may never call."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise HttpRefused(f"scheme {parts.scheme!r} is not allowed (only http and https)")
    if parts.username or parts.password:
        raise HttpRefused("credentials in the URL are not allowed; use a header")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise HttpRefused(f"bad port in {url!r}") from error
    return parts, parts.hostname or "", port


def _resolve(
    host: str, port: int, deadline: float, *, resolver: Resolver, allow_loopback: bool
) -> list[ssrf.IPAddress]:
    """The addresses the SSRF rules allow for ``host``, looked up within the deadline."""
    try:
        return _within(
            deadline,
            lambda: resolver(host, port, allow_loopback=allow_loopback),
            f"resolving {host} timed out",
        )
    except ssrf.Refused as error:
        raise HttpRefused(str(error)) from error
    except ConnectionError as error:
        raise HttpConnectionError(str(error)) from error


def _connect(conn: http.client.HTTPConnection, host: str, watchdog: _Watchdog) -> OSError | None:
    """Open ``conn``; the error when its address cannot be reached (the caller tries the
    next one). A timeout or a failed TLS handshake ends the request."""
    try:
        conn.connect()
    except (TimeoutError, ssl.SSLError, OSError) as error:
        if watchdog.expired or isinstance(error, TimeoutError):
            raise HttpTimeout(f"connecting to {host} timed out") from error
        if isinstance(error, ssl.SSLError):
            raise HttpError(f"TLS handshake with {host} failed: {error}") from error
        return error
    return None


def _within(deadline: float, work: Callable[[], _T], message: str) -> _T:
    """Run ``work`` in a daemon thread and wait until the deadline at most.

    For getaddrinfo, which takes no timeout: a lookup still running at the deadline is
    abandoned (it ends on its own when the resolver gives up) and the request times out.
    """
    outcome: list[_T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # noqa: BLE001 (re-raised in the waiting thread)
            failure.append(error)

    worker = threading.Thread(target=run, name="http-resolve", daemon=True)
    worker.start()
    worker.join(_remaining(deadline))
    if worker.is_alive():
        raise HttpTimeout(message)
    if failure:
        raise failure[0]
    return outcome[0]


def _exchange(
    conn: http.client.HTTPConnection,
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes | None,
    deadline: float,
    max_response_bytes: int,
    watchdog: _Watchdog,
) -> tuple[HttpResponse, str | None]:
    chunks: list[bytes] = []
    size = 0
    truncated = False
    try:
        _set_timeout(conn, deadline)
        conn.request(method, target, body=body, headers=headers)
        _set_timeout(conn, deadline)
        response = conn.getresponse()
        while method != "HEAD":
            _set_timeout(conn, deadline)
            chunk = response.read(min(_CHUNK, max_response_bytes - size + 1))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > max_response_bytes:
                # Stop reading: the rest is never downloaded (the connection is closed).
                truncated = True
                break
    except (OSError, http.client.HTTPException) as error:
        if watchdog.expired or isinstance(error, TimeoutError):
            raise HttpTimeout("the request timed out") from error
        raise HttpConnectionError(f"the connection failed: {error}") from error
    if watchdog.expired:
        # The shutdown may look like a clean end of the body: it is a timeout.
        raise HttpTimeout("the request timed out")
    data = b"".join(chunks)[:max_response_bytes]
    kept = {
        name.lower(): value
        for name, value in response.getheaders()
        if name.lower() in ("location", "retry-after", "content-type")
    }
    location = kept.get("location") if response.status in REDIRECT_CODES else None
    return (
        HttpResponse(
            status_code=response.status,
            body=data,
            truncated=truncated,
            url=target,
            headers=kept,
        ),
        location,
    )


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise HttpTimeout("the request timed out")
    return remaining


def _set_timeout(conn: http.client.HTTPConnection, deadline: float) -> None:
    if conn.sock is not None:
        conn.sock.settimeout(_remaining(deadline))
