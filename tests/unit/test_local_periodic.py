"""The local stack's timer for the functions' own schedules reads template.yaml's
ScheduleV2 events (so a change of the template changes what runs locally)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from local.periodic import PeriodicEvent, PeriodicRunner, periodic_events, rate_seconds
from local.resources import plan


def test_reads_the_reconcilers_two_schedules_from_the_template() -> None:
    stack = plan("periodic-test")
    events = {(e.function, e.name): e for e in periodic_events(stack.template, stack.resolver)}
    assert set(events) == {("ReconcilerFunction", "Pass"), ("ReconcilerFunction", "Sweep")}
    assert events[("ReconcilerFunction", "Pass")].period_s == 300
    assert events[("ReconcilerFunction", "Pass")].payload == {"mode": "pass"}
    assert events[("ReconcilerFunction", "Sweep")].period_s == 3600


def test_parameter_overrides_reach_the_schedule() -> None:
    stack = plan("periodic-test", parameters={"ReconcileSchedule": "rate(2 minutes)"})
    [event] = [e for e in periodic_events(stack.template, stack.resolver) if e.name == "Pass"]
    assert event.period_s == 120


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
    ],
)
def test_rate_seconds(expression: str, seconds: int) -> None:
    assert rate_seconds(expression) == seconds


@pytest.mark.parametrize("expression", ["cron(0 9 * * ? *)", "rate(0.5 minutes)", "rate(5)"])
def test_other_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        rate_seconds(expression)


def test_runner_invokes_on_its_period_and_survives_a_failure() -> None:
    calls: list[tuple[str, Any]] = []
    done = threading.Event()

    def invoke(function: str, payload: Any) -> Any:
        calls.append((function, payload))
        if len(calls) == 1:
            raise RuntimeError("first pass fails")
        if len(calls) >= 3:
            done.set()
        return {"ok": True}

    runner = PeriodicRunner(
        [PeriodicEvent("Fn", "Pass", 300, {"mode": "pass"})], invoke, every_s=0.01
    )
    runner.start()
    assert done.wait(5)
    runner.stop()
    assert calls[0] == ("Fn", {"mode": "pass"})
    assert runner.runs["Fn.Pass"] >= 3
