"""Imported at start-up by every process the e2e and browser tests launch (this folder
leads their PYTHONPATH): name lookups answer loopback names only.

The tests talk to 127.0.0.1 alone, but a schedule they create may fire at a
documentation host (`hooks.example.com`, the OpenAPI example schemathesis sends); the
run then fails at once, with this message, instead of asking a DNS server.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_real_getaddrinfo = socket.getaddrinfo
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
REFUSAL = "the e2e tests resolve loopback names only"


def _numeric(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _loopback_only(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else host
    plain = (name or "").lower().rstrip(".")
    if name is None or _numeric(plain) or plain in LOOPBACK_NAMES or plain.endswith(".localhost"):
        return _real_getaddrinfo(host, port, *args, **kwargs)
    raise socket.gaierror(socket.EAI_NONAME, f"{name}: {REFUSAL}")


socket.getaddrinfo = _loopback_only
