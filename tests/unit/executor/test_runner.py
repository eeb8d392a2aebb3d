"""Retries, backoff, deadlines and sequence semantics, with the dispatch replaced."""

from __future__ import annotations

from typing import Any

import pytest

from jobscheduler.logic import runner
from jobscheduler.logic.runner import RunContext, TaskFailure, backoff_delay, run_task
from jobscheduler.models.executions import ExecutionStatus
from jobscheduler.models.schedules import RetryPolicy
from jobscheduler.models.tasks import SequenceTask, SqsTask

TASK = SqsTask(type="sqs", queue_url="https://sqs.us-east-1.amazonaws.com/1/q", message="m")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _ctx(clock: Clock, *, deadline: float = 1000.0, **policy) -> RunContext:
    return RunContext(
        tenant="t",
        schedule_id="sch_x",
        execution_id="20260101T000000Z",
        retry=RetryPolicy(**policy),
        deadline=deadline,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
        uniform=lambda low, high: high,  # the top of the jitter range: checkable delays
    )


def _script(monkeypatch, results, clock: Clock | None = None, cost: float = 0.0):
    """Replace the dispatch with a script of results (dict = success, exception = fail)."""
    calls: list[tuple[str, float]] = []

    def dispatch(task, ctx, *, run_key, timeout):
        calls.append((run_key, timeout))
        if clock is not None:
            clock.now += cost
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    monkeypatch.setattr(runner, "_dispatch", dispatch)
    return calls


def test_backoff_is_exponential_capped_with_full_jitter():
    policy = RetryPolicy(backoff_seconds=1, backoff_multiplier=2, max_backoff_seconds=5)
    top = [backoff_delay(n, policy, lambda lo, hi: hi) for n in range(1, 6)]
    assert top == [1, 2, 4, 5, 5]
    assert backoff_delay(3, policy, lambda lo, hi: lo) == 0.0
    ranges: list[tuple[float, float]] = []

    def record(low: float, high: float) -> float:
        ranges.append((low, high))
        return 0.0

    backoff_delay(2, policy, record)
    assert ranges == [(0.0, 2.0)]
    assert backoff_delay(1, RetryPolicy(backoff_seconds=0), lambda lo, hi: 99) == 0.0


def test_retryable_failures_are_retried_with_backoff(monkeypatch):
    clock = Clock()
    calls = _script(
        monkeypatch,
        [
            TaskFailure("503", retryable=True),
            TaskFailure("timeout", retryable=True, timed_out=True),
            {"ok": True},
        ],
    )
    outcome = run_task(TASK, _ctx(clock, max_attempts=5, backoff_seconds=1, backoff_multiplier=3))
    assert outcome.status == ExecutionStatus.SUCCEEDED
    assert outcome.attempts == 3
    assert clock.sleeps == [1, 3]
    assert outcome.result == {"ok": True}
    assert [key for key, _ in calls] == ["20260101T000000Z"] * 3


def test_attempts_stop_at_max_attempts(monkeypatch):
    clock = Clock()
    _script(monkeypatch, [TaskFailure("503", retryable=True)] * 3)
    outcome = run_task(TASK, _ctx(clock, max_attempts=3, backoff_seconds=0.5))
    assert outcome.status == ExecutionStatus.FAILED
    assert outcome.attempts == 3
    assert len(clock.sleeps) == 2
    assert outcome.error == "503"


def test_non_retryable_fails_at_once(monkeypatch):
    clock = Clock()
    _script(monkeypatch, [TaskFailure("404", retryable=False, result={"status_code": 404})])
    outcome = run_task(TASK, _ctx(clock, max_attempts=5))
    assert (outcome.status, outcome.attempts, clock.sleeps) == (ExecutionStatus.FAILED, 1, [])
    assert outcome.result == {"status_code": 404}


def test_last_attempt_timing_out_is_timed_out(monkeypatch):
    clock = Clock()
    _script(monkeypatch, [TaskFailure("t", retryable=True, timed_out=True)] * 2)
    outcome = run_task(TASK, _ctx(clock, max_attempts=2))
    assert outcome.status == ExecutionStatus.TIMED_OUT


def test_retry_after_raises_the_delay_up_to_the_cap(monkeypatch):
    clock = Clock()
    _script(
        monkeypatch,
        [
            TaskFailure("429", retryable=True, retry_after=7),
            TaskFailure("429", retryable=True, retry_after=600),
            {},
        ],
    )
    run_task(TASK, _ctx(clock, max_attempts=3, backoff_seconds=1, max_backoff_seconds=30))
    assert clock.sleeps == [7, 30]


def test_retries_never_outlive_the_deadline(monkeypatch):
    clock = Clock()
    calls = _script(monkeypatch, [TaskFailure("503", retryable=True)] * 10, clock, cost=2.0)
    outcome = run_task(
        TASK,
        _ctx(clock, deadline=10.0, max_attempts=10, backoff_seconds=4, backoff_multiplier=1),
    )
    # t=0 try (2s), sleep 4, t=6 try (2s) -> t=8: 4 s more + 0.5 would pass 10: stop.
    assert len(calls) == 2
    assert clock.sleeps == [4]
    assert outcome.status == ExecutionStatus.FAILED
    assert clock.now <= 10.0
    # Each attempt's timeout is what is left before the deadline.
    assert [timeout for _, timeout in calls] == [10.0, 4.0]


def test_no_time_for_an_attempt_is_timed_out(monkeypatch):
    clock = Clock()
    calls = _script(monkeypatch, [])
    outcome = run_task(TASK, _ctx(clock, deadline=0.2))
    assert outcome.status == ExecutionStatus.TIMED_OUT
    assert outcome.attempts == 0
    assert calls == []


def _sequence(*steps) -> SequenceTask:
    return SequenceTask.model_validate(
        {
            "type": "sequence",
            "steps": [
                {"id": sid, "task": TASK.model_dump(), "depends_on": deps} for sid, deps in steps
            ],
        }
    )


def test_sequence_failed_step_stops_its_dependents_only(monkeypatch):
    clock = Clock()
    results: dict[str, list[Any]] = {
        "a": [{"a": 1}],
        "b": [TaskFailure("b broke", retryable=False)],
        "c": [{"c": 1}],
        "d": [],  # depends on b: never runs
        "e": [],  # depends on d (transitively on b): never runs
        "f": [{"f": 1}],  # depends on a and c: runs
    }
    ran: list[str] = []

    def dispatch(task, ctx, *, run_key, timeout):
        step = run_key.rsplit(".", 1)[1]
        ran.append(step)
        result = results[step].pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    monkeypatch.setattr(runner, "_dispatch", dispatch)
    task = _sequence(
        ("a", []), ("b", ["a"]), ("c", []), ("d", ["b"]), ("e", ["d", "c"]), ("f", ["a", "c"])
    )
    outcome = run_task(task, _ctx(clock, max_attempts=1))
    assert ran == ["a", "b", "c", "f"]
    assert outcome.status == ExecutionStatus.FAILED
    assert outcome.steps is not None
    statuses = {s.id: s.status for s in outcome.steps}
    assert statuses == {
        "a": "SUCCEEDED",
        "b": "FAILED",
        "c": "SUCCEEDED",
        "d": "SKIPPED",
        "e": "SKIPPED",
        "f": "SUCCEEDED",
    }
    assert outcome.error == "step b: b broke"
    assert outcome.result == {"steps": {"SUCCEEDED": 3, "FAILED": 1, "SKIPPED": 2}}
    assert outcome.attempts == 4
    by_id = {s.id: s for s in outcome.steps}
    assert by_id["e"].error == "skipped: d did not succeed"
    assert by_id["f"].result == {"f": 1}


def test_sequence_all_good_and_retries_per_step(monkeypatch):
    clock = Clock()
    calls = _script(monkeypatch, [TaskFailure("x", retryable=True), {}, {}])
    outcome = run_task(_sequence(("one", []), ("two", ["one"])), _ctx(clock, max_attempts=2))
    assert outcome.status == ExecutionStatus.SUCCEEDED
    assert [s.attempts for s in outcome.steps or []] == [2, 1]
    # Each step has its own idempotency key (webhook-id, dedup id, execution name).
    assert [key for key, _ in calls] == [
        "20260101T000000Z.one",
        "20260101T000000Z.one",
        "20260101T000000Z.two",
    ]


def test_sequence_running_out_of_time_is_timed_out(monkeypatch):
    clock = Clock()
    _script(monkeypatch, [{}], clock, cost=9.8)
    outcome = run_task(_sequence(("one", []), ("two", [])), _ctx(clock, deadline=10.0))
    assert outcome.status == ExecutionStatus.TIMED_OUT
    assert [s.status for s in outcome.steps or []] == ["SUCCEEDED", "TIMED_OUT"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", 5.0), (" 12 ", 12.0), ("soon", None), (None, None), ("", None)],
)
def test_retry_after_parsing(value, expected):
    from datetime import UTC, datetime

    assert runner.retry_after_seconds(value, datetime(2026, 1, 1, tzinfo=UTC)) == expected


def test_retry_after_http_date():
    from datetime import UTC, datetime

    now = datetime(2015, 10, 21, 7, 27, 0, tzinfo=UTC)
    assert runner.retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now) == 60.0
    assert runner.retry_after_seconds("Wed, 21 Oct 2015 07:00:00 GMT", now) == 0.0
