"""Dates and periods beyond datetime's range are refused schedules (422), never a crash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobscheduler.errors import InvalidExpression, ScheduleOutOfRange
from jobscheduler.expressions import compile_schedule, next_runs, preview

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _compile_and_preview(schedule: str, start_at: datetime | None = None) -> None:
    compiled = compile_schedule(schedule, "UTC", now=NOW, start_at=start_at)
    preview(compiled, after=NOW, start_at=start_at)
    next_runs(compiled.expressions, "UTC", after=NOW, count=3, start_at=start_at)


@pytest.mark.parametrize(
    "schedule",
    [
        "rate(99999999999 minutes)",
        "rate(99999999999 days)",
        "in 99999999999999 days",
        "in 99999999999999 minutes",
    ],
)
def test_huge_periods_are_refused(schedule: str) -> None:
    with pytest.raises(InvalidExpression) as raised:
        _compile_and_preview(schedule)
    assert raised.value.status == 422


@pytest.mark.parametrize(
    "start_at",
    [datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)],
)
def test_start_at_at_the_ends_of_time_is_refused(start_at: datetime) -> None:
    # Refused as out of range, or (9999-12-31) as a schedule with no run left before
    # the end of time: a 422 either way, never an OverflowError.
    with pytest.raises(InvalidExpression) as raised:
        _compile_and_preview("rate(1 hour)", start_at)
    assert raised.value.status == 422
    assert raised.value.code in ("schedule_out_of_range", "invalid_schedule")


def test_the_overflow_guard_answers_with_a_suggestion() -> None:
    with pytest.raises(ScheduleOutOfRange) as raised:
        _compile_and_preview("rate(1 hour)", datetime(1, 1, 1, tzinfo=UTC))
    assert raised.value.suggestion
