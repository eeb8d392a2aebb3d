"""SSRF guard: address classes, numeric spellings, resolution (getaddrinfo patched)."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from jobscheduler.gateways import http_client, ssrf


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # instance metadata
        ("169.254.170.2", "link-local"),  # ECS task metadata
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("fc00::1", "unique-local"),
        ("fd12:3456::1", "unique-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "private"),  # reserved 240/4 (ipaddress files it as private)
        ("255.255.255.255", "private"),
        ("0.1.2.3", "private"),  # "this network"
        ("192.0.2.1", "private"),  # documentation
        ("198.18.0.1", "private"),  # benchmarking
        ("fec0::1", "site-local"),
        ("::ffff:127.0.0.1", "loopback (embedded"),
        ("::ffff:10.0.0.1", "private (embedded"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback (embedded"),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::", "link-local"),  # 6to4 of the metadata address
        ("64:ff9b::a00:1", "private (embedded"),  # NAT64 of 10.0.0.1
        ("64:ff9b::7f00:1", "loopback (embedded"),
        ("::127.0.0.1", "reserved"),  # IPv4-compatible, deprecated
        ("2001:db8::1", "private"),  # documentation
    ],
)
def test_refused_classes(address, reason):
    found = ssrf.refusal_reason(ipaddress.ip_address(address))
    assert (found or "").startswith(reason), found


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "64:ff9b::808:808"]
)
def test_public_addresses_pass(address):
    assert ssrf.refusal_reason(ipaddress.ip_address(address)) is None


def test_loopback_allowance_is_loopback_only():
    allow = {"allow_loopback": True}
    assert ssrf.refusal_reason(ipaddress.ip_address("127.0.0.1"), **allow) is None
    assert ssrf.refusal_reason(ipaddress.ip_address("127.3.2.1"), **allow) is None
    assert ssrf.refusal_reason(ipaddress.ip_address("::1"), **allow) is None
    for other in ("10.0.0.1", "169.254.169.254", "0.0.0.0", "::ffff:127.0.0.1", "fe80::1"):
        assert ssrf.refusal_reason(ipaddress.ip_address(other), **allow) is not None


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",  # decimal 127.0.0.1
        "0177.0.0.1",  # octal
        "0x7f.1",  # hex, short
        "0x7f000001",
        "127.1",  # short form
        "127.0.1",
        "017700000001",
        "0xA9.0xFE.0xA9.0xFE",  # metadata in hex
        "169.254.43518",
        "example.0x10",  # a host ending in a number is an address, not a name
        "foo.123",
    ],
)
def test_non_canonical_numeric_hosts_refused(host):
    with pytest.raises(ssrf.Refused, match="non-canonical"):
        ssrf.check_host(host)


@pytest.mark.parametrize(
    "host", ["example.com", "cafe.be", "a-1.example", "127.0.0.1", "::1", "xn--bcher-kva.example"]
)
def test_names_and_canonical_addresses_pass_the_spelling_check(host):
    ssrf.check_host(host)


def test_empty_host_refused():
    with pytest.raises(ssrf.Refused):
        ssrf.check_host("")


def _fake_dns(monkeypatch, answers: dict[str, list[str]]):
    looked_up: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        looked_up.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


def test_resolve_refuses_names_pointing_inside(monkeypatch):
    _fake_dns(
        monkeypatch,
        {
            "localhost": ["127.0.0.1", "::1"],
            "internal.example": ["10.0.0.5"],
            "metadata.example": ["169.254.169.254"],
            "mixed.example": ["93.184.215.14", "192.168.0.1"],
            "mapped.example": ["::ffff:127.0.0.1"],
            "zoned.example": ["fe80::1%eth0"],
            "public.example": ["93.184.215.14", "2606:4700::1"],
        },
    )
    for host in (
        "localhost",
        "internal.example",
        "metadata.example",
        "mixed.example",
        "mapped.example",
        "zoned.example",
    ):
        with pytest.raises(ssrf.Refused):
            ssrf.resolve(host, 443)
    assert [str(a) for a in ssrf.resolve("public.example", 443)] == [
        "93.184.215.14",
        "2606:4700::1",
    ]
    assert [str(a) for a in ssrf.resolve("localhost", 80, allow_loopback=True)] == [
        "127.0.0.1",
        "::1",
    ]
    with pytest.raises(ConnectionError):
        ssrf.resolve("nxdomain.example", 443)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::1]:8080/",
        "http://10.0.0.1/",
        "http://100.64.0.1/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "https://224.0.0.1/",
        "http://0.0.0.0/",
    ],
)
def test_client_refuses_before_connecting(monkeypatch, url):
    _fake_dns(monkeypatch, {"localhost": ["127.0.0.1"]})

    def no_connect(*args, **kwargs):
        raise AssertionError("must not connect")

    monkeypatch.setattr(socket, "create_connection", no_connect)
    with pytest.raises(http_client.HttpRefused):
        http_client.request("GET", url, timeout=1)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "http://user:pw@example.com/"],
)
def test_client_refuses_schemes_and_userinfo(url):
    with pytest.raises(http_client.HttpRefused):
        http_client.request("GET", url, timeout=1)
