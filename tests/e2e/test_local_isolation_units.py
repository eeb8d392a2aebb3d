"""In-process checks of the local stack's isolation pieces: one execution environment per
function, the snapshot gate, the port check and the invoke CLI's sample personalisation."""

from __future__ import annotations

import dataclasses
import errno
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.functions import FunctionRegistry, SnapshotGate, TooManyRequestsError
from local.invoke import personalise
from local.options import Options, PortUnavailableError, check_ports
from local.resources import plan


class Probe:
    """A handler that records how many of its invocations overlap."""

    def __init__(self, pause_s: float = 0.02) -> None:
        self.pause_s = pause_s
        self.inside = 0
        self.most = 0
        self.lock = threading.Lock()

    def __call__(self, event: Any, context: Any) -> Any:
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        time.sleep(self.pause_s)
        with self.lock:
            self.inside -= 1
        return {"echo": event, "request_id": context.aws_request_id}


@pytest.fixture
def registry() -> FunctionRegistry:
    return FunctionRegistry(plan())


def test_one_function_never_runs_twice_at_once_but_two_functions_overlap(
    registry: FunctionRegistry,
) -> None:
    api = Probe()
    executor_running, api_done = threading.Event(), threading.Event()

    def executor(event: Any, context: Any) -> Any:
        executor_running.set()
        # Ends only once every API call is answered: the two functions overlapped.
        return api_done.wait(30)

    registry._handlers = {"ApiFunction": api, "ExecutorFunction": executor}
    with ThreadPoolExecutor(1) as background:
        slow = background.submit(registry.invoke, "ExecutorFunction", {})
        assert executor_running.wait(5)
        with ThreadPoolExecutor(30) as pool:
            results = list(
                pool.map(lambda n: registry.invoke("ApiFunction", {"n": n}, f"req-{n}"), range(30))
            )
        api_done.set()
        assert slow.result(10) is True
    assert api.most == 1
    # Each caller got its own answer.
    assert [r["echo"]["n"] for r in results] == list(range(30))
    assert [r["request_id"] for r in results] == [f"req-{n}" for n in range(30)]


def test_a_busy_function_throttles_after_its_timeout(registry: FunctionRegistry) -> None:
    registry.specs["ApiFunction"] = dataclasses.replace(registry.specs["ApiFunction"], timeout_s=1)
    registry._handlers = {"ApiFunction": Probe(pause_s=1.6)}
    first = threading.Thread(target=registry.invoke, args=("ApiFunction", {}))
    first.start()
    time.sleep(0.1)
    began = time.monotonic()
    with pytest.raises(TooManyRequestsError):
        registry.invoke("ApiFunction", {})
    assert 0.9 < time.monotonic() - began < 1.4
    first.join()


def test_on_invoked_hears_every_invocation_even_a_failing_one() -> None:
    heard: list[tuple[str, Any]] = []
    registry = FunctionRegistry(plan(), on_invoked=lambda fn, event: heard.append((fn, event)))

    def fails(event: Any, context: Any) -> Any:
        raise ValueError("boom")

    registry._handlers = {"ApiFunction": Probe(0), "ExecutorFunction": fails}
    registry.invoke("ApiFunction", {"a": 1})
    with pytest.raises(ValueError, match="boom"):
        registry.invoke("ExecutorFunction", {"b": 2})
    assert heard == [("ApiFunction", {"a": 1}), ("ExecutorFunction", {"b": 2})]


def test_snapshot_gate_waits_for_running_invocations_and_holds_new_ones() -> None:
    gate = SnapshotGate()
    order: list[str] = []
    release = threading.Event()

    def running() -> None:
        with gate.invocation():
            order.append("running started")
            release.wait(5)
            order.append("running ended")

    def late() -> None:
        with gate.invocation():
            order.append("late started")

    first = threading.Thread(target=running)
    first.start()
    time.sleep(0.05)

    def snapshot() -> None:
        with gate.quiet(5) as quiet:
            order.append(f"snapshot quiet={quiet}")
            time.sleep(0.1)
            order.append("snapshot ended")

    taker = threading.Thread(target=snapshot)
    taker.start()
    time.sleep(0.05)
    second = threading.Thread(target=late)
    second.start()
    time.sleep(0.05)
    release.set()
    for thread in (first, taker, second):
        thread.join(5)
    assert order == [
        "running started",
        "running ended",
        "snapshot quiet=True",
        "snapshot ended",
        "late started",
    ]


def test_snapshot_gate_gives_up_when_an_invocation_does_not_end() -> None:
    gate = SnapshotGate()
    release = threading.Event()

    def hold() -> None:
        with gate.invocation():
            release.wait(5)

    stuck = threading.Thread(target=hold)
    stuck.start()
    time.sleep(0.05)
    began = time.monotonic()
    with gate.quiet(0.3) as quiet:
        assert quiet is False
    assert 0.25 < time.monotonic() - began < 1.0
    # New invocations are not held back once the snapshot gave up.
    entered = threading.Event()

    def another() -> None:
        with gate.invocation():
            entered.set()

    threading.Thread(target=another).start()
    assert entered.wait(1)
    release.set()
    stuck.join(5)


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    return sock


@pytest.mark.parametrize(
    ("field", "option", "env"),
    [
        ("moto_port", "--moto-port", "MOTO_PORT"),
        ("api_port", "--api-port", "API_PORT"),
        ("lambda_port", "--lambda-port", "LAMBDA_PORT"),
    ],
)
def test_check_ports_names_the_busy_port_and_how_to_change_it(
    field: str, option: str, env: str
) -> None:
    with _listening_socket() as busy:
        port = busy.getsockname()[1]
        free = [_free() for _ in range(3)]
        options = Options(moto_port=free[0], api_port=free[1], lambda_port=free[2])
        setattr(options, field, port)
        with pytest.raises(PortUnavailableError) as err:
            check_ports(options)
    assert err.value.errno == errno.EADDRINUSE
    message = str(err.value.strerror)
    assert f"port {port}" in message
    assert option in message
    assert f"{env}=" in message


def test_check_ports_refuses_one_port_for_two_servers_and_skips_moto_with_an_endpoint() -> None:
    port = _free()
    with pytest.raises(PortUnavailableError, match="--api-port and --lambda-port are both"):
        check_ports(Options(moto_port=_free(), api_port=port, lambda_port=port))
    with _listening_socket() as busy:
        # moto's port is not used when --endpoint-url points elsewhere.
        check_ports(
            Options(
                moto_port=busy.getsockname()[1],
                api_port=_free(),
                lambda_port=_free(),
                endpoint_url="http://127.0.0.1:1",
            )
        )


def _free() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_personalise_puts_the_given_ids_in_place_of_the_samples() -> None:
    text = (
        '{"rawPath": "/schedules/sch_0a1b2c3d4e5f6g7h8i9j/executions/20261122T090000Z",'
        ' "pathParameters": {"proxy": "schedules/sch_0a1b2c3d4e5f6g7h8i9j/executions/x1"},'
        ' "schedule_id": "sch_0123456789abcdefghij"}'
    )
    out = personalise(text, "sch_zzzzzzzzzzzzzzzzzzzz", "20270101T000000Z")
    assert "sch_0a1b2c3d4e5f6g7h8i9j" not in out
    assert "sch_0123456789abcdefghij" not in out
    assert out.count("sch_zzzzzzzzzzzzzzzzzzzz") == 3
    assert out.count("/executions/20270101T000000Z") == 2
    assert personalise(text, None, None) == text


def test_a_snapshot_holds_back_gated_functions_only() -> None:
    registry = FunctionRegistry(plan(), gated=("ApiFunction",))
    registry._handlers = {"ApiFunction": Probe(0), "ExecutorFunction": Probe(0)}
    api_done = threading.Event()

    def call_api() -> None:
        registry.invoke("ApiFunction", {})
        api_done.set()

    with registry.gate.quiet(1) as quiet:
        assert quiet
        registry.invoke("ExecutorFunction", {})  # not held: would block the test otherwise
        caller = threading.Thread(target=call_api)
        caller.start()
        assert not api_done.wait(0.3)  # held while the snapshot is taken
    assert api_done.wait(5)
    caller.join(5)


def test_a_concurrent_function_runs_side_by_side() -> None:
    registry = FunctionRegistry(plan(), concurrent=("ExecutorFunction",))
    executor = Probe(pause_s=0.2)
    registry._handlers = {"ExecutorFunction": executor}
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: registry.invoke("ExecutorFunction", {"n": n}), range(8)))
    assert executor.most > 1
