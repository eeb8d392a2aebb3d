"""Whatever a task or its target does, the run ends: FAILED (or TIMED_OUT) with the error,
the overlap lease released (the next fire runs), execution.failed published.

Through the handler under moto, with real loopback servers where a target misbehaves.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobscheduler import observability
from jobscheduler.dal import executions as records
from jobscheduler.gateways import http_client
from jobscheduler.logic import executor as executor_logic
from jobscheduler.logic import runner

from .conftest import TENANT, fire


def _http(url: str, **fields: Any) -> dict[str, Any]:
    return {"type": "http", "url": url, **fields}


def _executions(schedule: Any) -> list[Any]:
    return records.list_executions(TENANT, schedule.id, limit=100)[0]


def _assert_ended_and_released(
    handler: Callable[..., dict[str, Any]],
    schedule: Any,
    summary: dict[str, Any],
    lifecycle: Any,
    *,
    status: str = "FAILED",
    error_has: str,
    when: datetime,
) -> None:
    assert summary["status"] == status, summary
    [record] = _executions(schedule)  # before the next fire below
    assert record.status == status
    assert record.error
    assert error_has in record.error
    types = lifecycle.types()
    assert types[-1] == ("execution.failed"), types
    assert "execution.started" not in types  # one publish per run by default
    # The overlap lease is released: the next fire runs instead of being skipped.
    later = handler(fire(schedule, when + timedelta(minutes=5)))
    assert later["status"] != "SKIPPED", later
    assert later.get("detail") != "overlap"


# ------------------------------------------------------------ any exception in a task


class _Weird(Exception):
    """An exception type no code path names."""


@pytest.mark.parametrize(
    "error",
    [
        ValueError("Invalid header value b'x\\r\\nInjected: 1'"),
        UnicodeEncodeError("latin-1", "\u20ac", 0, 1, "ordinal not in range(256)"),
        KeyError("status"),
        RecursionError("maximum recursion depth exceeded"),
        ZeroDivisionError("division by zero"),
        _Weird("something no one expected"),
        RuntimeError("lone surrogate \udc80 in the message" + "x" * 2_000),
    ],
    ids=lambda e: type(e).__name__,
)
def test_any_exception_from_the_target_call_fails_the_run(
    handler, put_schedule, lifecycle, allow_loopback, monkeypatch, error
):
    def explode(*_: Any, **__: Any) -> Any:
        raise error

    monkeypatch.setattr(http_client, "request", explode)
    if "\udc80" in str(error):
        # The JSON log line escapes it; pytest's plain-text log capture would hand the
        # raw surrogate to xdist, which cannot send it between processes.
        monkeypatch.setattr(observability.logger, "exception", lambda *_, **__: None)
    schedule = put_schedule(task=_http("http://127.0.0.1:9/hook"))
    when = datetime.now(UTC).replace(microsecond=0)
    summary = handler(fire(schedule, when))
    _assert_ended_and_released(
        handler, schedule, summary, lifecycle, error_has=type(error).__name__, when=when
    )
    [record] = [r for r in _executions(schedule) if r.id == summary["execution_id"]]
    assert record.attempts == 1  # never retried: it would fail the same way
    assert record.error
    assert len(record.error) < 700  # bounded, and stored although the message was not


def test_an_exception_outside_the_attempt_loop_fails_the_run(
    handler, put_schedule, lifecycle, monkeypatch
):
    def explode(*_: Any, **__: Any) -> Any:
        raise AttributeError("'NoneType' object has no attribute 'steps'")

    monkeypatch.setattr(executor_logic, "run_task", explode)
    schedule = put_schedule()
    when = datetime.now(UTC).replace(microsecond=0)
    summary = handler(fire(schedule, when))
    _assert_ended_and_released(
        handler, schedule, summary, lifecycle, error_has="AttributeError", when=when
    )


@pytest.mark.parametrize(
    "headers", [{"X-Note": "a\r\nX-Injected: 1"}, {"X-Note": "a\x00b"}, {"X Y": "1"}]
)
def test_bad_headers_in_a_stored_item_fail_the_run(
    handler, put_schedule, lifecycle, http_server, allow_loopback, headers
):
    """Items written before the create-time rules: the run refuses them, nothing is sent."""
    schedule = put_schedule(task=_http(http_server.url, headers=headers))
    when = datetime.now(UTC).replace(microsecond=0)
    summary = handler(fire(schedule, when))
    _assert_ended_and_released(
        handler, schedule, summary, lifecycle, error_has="HTTP task rules", when=when
    )
    assert http_server.requests == []


def test_client_owned_headers_in_a_stored_item_are_never_sent(
    handler, put_schedule, http_server, allow_loopback
):
    """Host, Content-Length, Transfer-Encoding and webhook-* from a stored task are
    dropped: the client sends its own, so nothing is smuggled and the run still works."""
    schedule = put_schedule(
        task=_http(
            http_server.url,
            body="payload",
            headers={
                "Host": "internal.example",
                "Content-Length": "0",
                "Transfer-Encoding": "chunked",
                "webhook-signature": "v1,forged",
                "X-Kept": "yes",
            },
        )
    )
    summary = handler(fire(schedule, datetime.now(UTC)))
    assert summary["status"] == "SUCCEEDED", summary
    [request] = http_server.requests
    assert request.headers["Host"] == http_server.url.removeprefix("http://")
    assert request.headers["Content-Length"] == "7"
    assert "Transfer-Encoding" not in request.headers
    assert request.headers["webhook-signature"] != "v1,forged"
    assert request.body == b"payload"
    assert request.headers["X-Kept"] == "yes"


def test_header_with_crlf_reaching_http_client_fails_the_run(
    handler, put_schedule, lifecycle, http_server, allow_loopback, monkeypatch
):
    """With the run-time rules switched off, http.client itself raises ValueError: the
    run still ends FAILED."""
    monkeypatch.setattr(runner, "http_task_problems", lambda *_: [])
    schedule = put_schedule(task=_http(http_server.url, headers={"X-Note": "a\r\nX-Bad: 1"}))
    when = datetime.now(UTC).replace(microsecond=0)
    summary = handler(fire(schedule, when))
    _assert_ended_and_released(handler, schedule, summary, lifecycle, error_has="Error", when=when)
    assert http_server.requests == []


@pytest.mark.parametrize("value", ["\xb2", "\u0663", "1.5", "-1", "0x10", "soon"])
def test_non_rfc_retry_after_is_ignored(
    handler, put_schedule, lifecycle, http_server, allow_loopback, value
):
    """A 503 whose Retry-After is not delta-seconds or an HTTP-date: retried on the
    backoff alone; the run ends."""
    http_server.responses[:] = [(503, {"Retry-After": value}, b"busy"), (200, {}, b"ok")]
    schedule = put_schedule(
        task=_http(http_server.url),
        retry={"max_attempts": 2, "backoff_seconds": 0.01, "max_backoff_seconds": 0.05},
    )
    summary = handler(fire(schedule, datetime.now(UTC)))
    assert summary["status"] == "SUCCEEDED", summary
    assert summary["attempts"] == 2
    assert len(http_server.requests) == 2


def test_non_ascii_retry_after_on_the_last_attempt_fails_cleanly(
    handler, put_schedule, lifecycle, http_server, allow_loopback
):
    http_server.responses[:] = [(503, {"Retry-After": "\xb2"}, b"busy")]
    schedule = put_schedule(
        task=_http(http_server.url),
        retry={"max_attempts": 2, "backoff_seconds": 0.01, "max_backoff_seconds": 0.05},
    )
    when = datetime.now(UTC).replace(microsecond=0)
    summary = handler(fire(schedule, when))
    http_server.responses[:] = [(200, {}, b"ok")]
    _assert_ended_and_released(handler, schedule, summary, lifecycle, error_has="503", when=when)


# ------------------------------------------------------------ the whole exchange is bounded


class _Dripper:
    """A TCP server that answers every connection with ``prefix`` and then one byte of
    ``drip`` every ``interval`` seconds, for as long as the client listens."""

    def __init__(self, prefix: bytes, drip: bytes, interval: float = 0.2) -> None:
        self.prefix, self.drip, self.interval = prefix, drip, interval
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.bytes_sent = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(0.05)
                with contextlib.suppress(TimeoutError):
                    conn.recv(65536)  # the request (or the TLS ClientHello)
                conn.sendall(self.prefix)
                index = 0
                while not self.stop.is_set():
                    conn.sendall(self.drip[index % len(self.drip) : index % len(self.drip) + 1])
                    self.bytes_sent += 1
                    index += 1
                    time.sleep(self.interval)
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@pytest.fixture
def dripper() -> Iterator[Callable[..., _Dripper]]:
    made: list[_Dripper] = []

    def make(prefix: bytes, drip: bytes, interval: float = 0.2) -> _Dripper:
        server = _Dripper(prefix, drip, interval)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


DRIPS = {
    # Headers that never end: "X-Slow: aaaa..." one byte at a time.
    "headers": (b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a"),
    # A body announced as long, sent one byte at a time.
    "body": (b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", b"b"),
    # A status line that never ends.
    "status": (b"", b"H"),
}


@pytest.mark.timeout(30)  # without the whole-exchange deadline this hangs for hours
@pytest.mark.parametrize("phase", sorted(DRIPS))
def test_a_dripping_server_cannot_hold_a_task_past_its_timeout(
    handler, put_schedule, lifecycle, allow_loopback, dripper, monkeypatch, phase
):
    prefix, drip = DRIPS[phase]
    server = dripper(prefix, drip, interval=0.1)
    # Time the HTTP exchange itself: the run around it (moto calls) varies with load.
    real_request = http_client.request
    exchanges: list[float] = []

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        try:
            return real_request(*args, **kwargs)
        finally:
            exchanges.append(time.monotonic() - started)

    monkeypatch.setattr(http_client, "request", timed)
    schedule = put_schedule(
        task=_http(f"http://127.0.0.1:{server.port}/slow", timeout_seconds=1.5),
        retry={"max_attempts": 1},
    )
    when = datetime.now(UTC).replace(microsecond=0)
    summary = handler(fire(schedule, when))
    assert summary["status"] == "TIMED_OUT", summary
    [elapsed] = exchanges
    assert 1.4 <= elapsed < 2.5, elapsed
    assert server.bytes_sent >= 5  # it really was dripping, and each read got something
    [record] = _executions(schedule)
    assert record.error
    assert "timed out" in record.error
    assert lifecycle.types()[-1] == "execution.failed"


@pytest.mark.timeout(30)
def test_a_dripping_tls_handshake_is_bounded_too(allow_loopback, dripper):
    # A TLS record header announcing 16 KiB of handshake, then the bytes one at a time.
    server = dripper(b"\x16\x03\x03\x40\x00", b"\x00", interval=0.1)
    started = time.monotonic()
    with pytest.raises(http_client.HttpTimeout):
        http_client.request(
            "GET", f"https://127.0.0.1:{server.port}/", timeout=1.0, allow_loopback=True
        )
    assert time.monotonic() - started < 2.0
    assert server.bytes_sent >= 5


def test_the_name_lookup_counts_against_the_timeout():
    """getaddrinfo takes no timeout: a lookup that hangs is abandoned at the deadline."""
    release = threading.Event()

    def hanging(host: str, port: int, *, allow_loopback: bool) -> list[Any]:
        release.wait(10)
        raise ConnectionError("resolver gave up")

    started = time.monotonic()
    try:
        with pytest.raises(http_client.HttpTimeout, match="resolving"):
            http_client.request("GET", "http://slow-dns.example/", timeout=0.5, resolver=hanging)
        assert time.monotonic() - started < 1.5
    finally:
        release.set()


@pytest.mark.timeout(30)
def test_the_deadline_spans_redirects(allow_loopback, http_server, dripper):
    """Each hop does not get a fresh timeout: the second hop drips into the same budget."""
    server = dripper(*DRIPS["body"], interval=0.1)
    http_server.responses[:] = [(302, {"Location": f"http://127.0.0.1:{server.port}/"}, b"")]
    started = time.monotonic()
    with pytest.raises(http_client.HttpTimeout):
        http_client.request(
            "GET", http_server.url, timeout=1.0, follow_redirects=True, allow_loopback=True
        )
    assert time.monotonic() - started < 2.0


def test_a_fast_answer_is_not_cut_by_the_watchdog(http_server, allow_loopback):
    """The watchdog stops with the request: many quick requests, none timed out."""
    for _ in range(30):
        response = http_client.request("GET", http_server.url, timeout=5, allow_loopback=True)
        assert response.status_code == 200
        assert response.body == b"ok"
    time.sleep(0.05)
    names = [t.name for t in threading.enumerate()]
    assert not [n for n in names if n.startswith(("http-resolve", "http-watchdog"))], names
