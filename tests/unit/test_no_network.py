"""The unit suite's network ban (tests/unit/conftest.py) holds, whatever the client."""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request

import pytest

from tests.unit.conftest import NetworkBlocked


def test_a_raw_socket_cannot_connect() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkBlocked):
        sock.connect(("127.0.0.1", 9))


def test_create_connection_cannot_connect() -> None:
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("127.0.0.1", 9), timeout=1)


def test_http_clients_cannot_connect() -> None:
    with pytest.raises(NetworkBlocked):
        http.client.HTTPConnection("127.0.0.1", 9, timeout=1).request("GET", "/")
    # urllib reports the refusal as its URLError, with the ban's message.
    with pytest.raises(urllib.error.URLError, match="cannot open sockets"):
        urllib.request.urlopen("http://127.0.0.1:9/", timeout=1)


def test_boto3_cannot_reach_aws() -> None:
    import boto3
    from botocore.exceptions import EndpointConnectionError, HTTPClientError

    client = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    # botocore wraps the refusal in its own connection error.
    with pytest.raises((EndpointConnectionError, HTTPClientError)) as raised:
        client.get_caller_identity()
    cause: BaseException | None = raised.value
    while cause is not None and not isinstance(cause, NetworkBlocked):
        cause = cause.__cause__ or cause.__context__
    assert isinstance(cause, NetworkBlocked) or "cannot open sockets" in str(raised.value)
