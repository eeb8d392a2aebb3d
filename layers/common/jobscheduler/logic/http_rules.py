"""What an HTTP task may send: header names and values, URL userinfo, literal addresses.

Checked when a task is created or updated (a 422 naming the field) and again before
every request, because items written before these rules existed are still run. The
pydantic model stays lenient on purpose: a stricter model would fail to load such an
item, and then every listing of its tenant would fail with it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from jobscheduler.gateways import ssrf

MAX_HEADERS = 50
MAX_HEADER_NAME = 256
MAX_HEADER_VALUE = 8192
# RFC 9110 section 5.6.2: a field name is a token.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# RFC 9110 section 5.5: field values are visible ASCII, obs-text (0x80-0xFF), SP and HTAB.
# This refuses CR, LF and NUL (header injection) and every other control character, and
# any character http.client could not send (it encodes values as Latin-1).
_FIELD_VALUE = re.compile(r"^[\t\x20-\x7e\x80-\xff]*$")
# Headers that describe the connection or the message framing belong to the client:
# letting a task set them would allow request smuggling or misrouting.
CLIENT_OWNED = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer"}
    | {"keep-alive"}
)
CLIENT_OWNED_PREFIXES = ("proxy-", "webhook-")


@dataclass(frozen=True)
class Problem:
    """One refusal: where in the task (relative to the task) and why."""

    loc: tuple[str | int, ...]
    msg: str


def is_client_owned(name: str) -> bool:
    lower = name.lower()
    return lower in CLIENT_OWNED or lower.startswith(CLIENT_OWNED_PREFIXES)


def header_problems(headers: dict[str, str], *, refuse_client_owned: bool = True) -> list[Problem]:
    """Problems with ``headers``. At run time client-owned names are not problems: the
    client drops them and sends its own (``refuse_client_owned=False``)."""
    problems: list[Problem] = []
    if len(headers) > MAX_HEADERS:
        problems.append(Problem(("headers",), f"at most {MAX_HEADERS} headers"))
    seen: dict[str, str] = {}
    for name, value in headers.items():
        loc = ("headers", name)
        lower = name.lower()
        if not _TOKEN.match(name) or len(name) > MAX_HEADER_NAME:
            problems.append(
                Problem(
                    loc,
                    f"header name {name!r} is not an HTTP token (1-{MAX_HEADER_NAME} of "
                    "letters, digits and !#$%&'*+-.^_`|~)",
                )
            )
            continue
        if is_client_owned(name):
            if not refuse_client_owned:
                continue
            problems.append(
                Problem(
                    loc,
                    f"header {name!r} is set by the scheduler's HTTP client and may not be "
                    "given in a task (Host, Content-Length, Transfer-Encoding, Connection, "
                    "Upgrade, TE, Trailer, Keep-Alive, Proxy-* and webhook-* are reserved)",
                )
            )
            continue
        if lower in seen:
            problems.append(
                Problem(loc, f"header {name!r} repeats {seen[lower]!r} (names ignore case)")
            )
            continue
        seen[lower] = name
        if not _FIELD_VALUE.match(value) or len(value) > MAX_HEADER_VALUE:
            problems.append(
                Problem(
                    loc,
                    f"the value of header {name!r} must be at most {MAX_HEADER_VALUE} "
                    "characters without CR, LF, NUL or other control characters",
                )
            )
    return problems


def url_problems(url: str, *, allow_loopback: bool) -> list[Problem]:
    """Userinfo, and literal addresses the run-time guard would refuse anyway.

    Host names are not resolved here: what a name resolves to can change before the
    run, so the guard resolves and checks it again at every request.
    """
    parts = urlsplit(url)
    problems: list[Problem] = []
    if parts.username is not None or parts.password is not None:
        problems.append(
            Problem(
                ("url",),
                "credentials in the URL (user:password@) are not allowed; send them in a "
                "header such as Authorization",
            )
        )
    host = (parts.hostname or "").split("%", 1)[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not allow_loopback and (host == "localhost" or host.endswith(".localhost")):
            problems.append(Problem(("url",), f"host {host!r} is a loopback name"))
        return problems
    reason = ssrf.refusal_reason(address, allow_loopback=allow_loopback)
    if reason is not None:
        problems.append(
            Problem(("url",), f"{address} is a {reason} address; tasks may only call public ones")
        )
    return problems
