"""Unit tests run on values and in-memory fakes: none may open a network connection
(a test that needs AWS belongs in tests/integration with moto, one that needs HTTP in
tests/e2e). Connecting any socket fails the test that tried."""

from __future__ import annotations

import socket
from typing import Any

import pytest


class NetworkBlocked(ConnectionRefusedError):
    """Raised by socket connections attempted inside a unit test (a refused connection,
    so clients report it as they would an unreachable host)."""


def _refuse(self: socket.socket, *args: Any, **kwargs: Any) -> Any:
    raise NetworkBlocked(f"unit tests cannot open sockets (tried to connect to {args!r})")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse)
