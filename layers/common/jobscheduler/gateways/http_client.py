"""An HTTP client for user-supplied URLs that cannot be turned against our own network.

Built on the standard library's http.client on purpose: the guard needs to dial the very
address it checked (the host is resolved once, every answer is checked, then the socket
connects to that IP while the Host header and TLS SNI/certificate check keep the name).
urllib3/requests resolve the name again inside their connection pools, so pinning the
IP there means patching their internals; http.client exposes ``connect()`` to override.
It also never reads proxy settings from the environment, which would bypass the check.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from jobscheduler.gateways import ssrf

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 65536
# Headers that carry the caller's credentials: not forwarded to another origin.
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


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


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a pre-checked address; the Host header still names the host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to a pre-checked address; SNI and the certificate check use the host name."""

    def __init__(
        self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


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
            current_headers = {
                k: v for k, v in current_headers.items() if k.lower() not in _CREDENTIAL_HEADERS
            }
    raise HttpRefused(f"more than {max_redirects} redirects")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or ""), parts.port


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
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise HttpRefused(f"scheme {parts.scheme!r} is not allowed (only http and https)")
    if parts.username or parts.password:
        raise HttpRefused("credentials in the URL are not allowed; use a header")
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise HttpRefused(f"bad port in {url!r}") from error
    try:
        addresses = resolver(host, port, allow_loopback=allow_loopback)
    except ssrf.Refused as error:
        raise HttpRefused(str(error)) from error
    except ConnectionError as error:
        raise HttpConnectionError(str(error)) from error
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    last_error: OSError | None = None
    for address in addresses:
        remaining = _remaining(deadline)
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = _PinnedHTTPSConnection(host, port, str(address), remaining, context)
        else:
            conn = _PinnedHTTPConnection(host, port, str(address), remaining)
        try:
            conn.connect()
        except TimeoutError as error:
            conn.close()
            raise HttpTimeout(f"connecting to {host} timed out") from error
        except ssl.SSLError as error:
            conn.close()
            raise HttpError(f"TLS handshake with {host} failed: {error}") from error
        except OSError as error:
            conn.close()
            last_error = error
            continue
        try:
            return _exchange(conn, method, target, headers, body, deadline, max_response_bytes)
        finally:
            conn.close()
    raise HttpConnectionError(f"cannot connect to {host}:{port}: {last_error}")


def _exchange(
    conn: http.client.HTTPConnection,
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes | None,
    deadline: float,
    max_response_bytes: int,
) -> tuple[HttpResponse, str | None]:
    try:
        conn.request(method, target, body=body, headers=headers)
        _set_timeout(conn, deadline)
        response = conn.getresponse()
        chunks: list[bytes] = []
        size = 0
        truncated = False
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
    except TimeoutError as error:
        raise HttpTimeout("the request timed out") from error
    except (OSError, http.client.HTTPException) as error:
        raise HttpConnectionError(f"the connection failed: {error}") from error
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
