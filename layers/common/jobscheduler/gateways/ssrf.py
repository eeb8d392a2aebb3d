"""Server-side request forgery guard: which hosts and addresses an HTTP task may reach.

Two checks, both needed:
- ``check_host``: refuse numeric hosts spelled in any non-canonical way (decimal
  ``2130706433``, octal ``0177.0.0.1``, hex ``0x7f.1``, short ``127.1``). getaddrinfo and
  inet_aton accept those, and allow-lists or logs that compare strings would not.
- ``refusal_reason``: classify every *resolved* address; the caller then dials the
  checked address itself, so a second DNS answer cannot differ (no rebinding).

Python's ``ipaddress`` supplies the registry tables; the embedded-IPv4 forms (mapped,
6to4, NAT64) and the categories it calls global but that are not routable targets
(multicast, carrier-grade NAT) are handled here explicitly.
"""

from __future__ import annotations

import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.IPv6Address("::1")
# A label that is all digits, or 0x + hex: WHATWG URL parsing treats a host ending in one
# as an IPv4 address, so such a host is never a DNS name we should look up.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


class Refused(Exception):
    """The target is not allowed; never retried."""


def check_host(host: str) -> None:
    """Refuse empty and non-canonical numeric hosts; canonical IPs and names pass."""
    if not host:
        raise Refused("the URL has no host")
    try:
        ipaddress.ip_address(host)  # canonical dotted quad or IPv6: classified later
        return
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    numeric_spelling = False
    try:
        socket.inet_aton(host)
        numeric_spelling = True
    except OSError:
        numeric_spelling = bool(labels) and bool(_NUMERIC_LABEL.match(labels[-1]))
    if numeric_spelling:
        raise Refused(
            f"host {host!r} is a numeric address in a non-canonical spelling; "
            "write it as a dotted quad or use a DNS name"
        )


def refusal_reason(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why ``address`` may not be dialled, or None when it is a public unicast address."""
    if allow_loopback and (address in _LOOPBACK_V4 or address == _LOOPBACK_V6):
        return None
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            # Loopback stays refused through an embedding even when allowed directly.
            inner = refusal_reason(embedded)
            return None if inner is None else f"{inner} (embedded in {address})"
        if address.is_site_local:
            return "site-local"
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local (includes the instance metadata service)"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "carrier-grade NAT"
    if isinstance(address, ipaddress.IPv6Address) and address in ipaddress.IPv6Network("fc00::/7"):
        return "unique-local"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not globally routable"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.teredo is not None:
        return address.teredo[1]
    # IPv4-compatible (::a.b.c.d, deprecated) is inside ::/8, which is_reserved covers.
    return None


def resolve(host: str, port: int, *, allow_loopback: bool = False) -> list[IPAddress]:
    """Resolve ``host`` and return its addresses, refusing if ANY of them is not allowed.

    Refusing on any (not only on the first) bars names that mix a public and a private
    answer, which a client would otherwise dial in an order it does not control.
    """
    check_host(host)
    try:
        # An address literal needs no lookup (the zone of "fe80::1%eth0" is not part of it).
        found = [host.split("%", 1)[0]] if _is_address(host) else _lookup(host, port)
    except socket.gaierror as error:
        raise ConnectionError(f"cannot resolve {host!r}: {error}") from error
    addresses: list[IPAddress] = []
    for text in found:
        address = ipaddress.ip_address(text)
        reason = refusal_reason(address, allow_loopback=allow_loopback)
        if reason is not None:
            raise Refused(f"host {host!r} resolves to {address}, a {reason} address")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ConnectionError(f"cannot resolve {host!r}: no address")
    return addresses


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _lookup(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # IPv6 sockaddr may carry a zone ("fe80::1%eth0"): the zone is not part of the address.
    return [str(sockaddr[0]).split("%", 1)[0] for *_, sockaddr in infos]
