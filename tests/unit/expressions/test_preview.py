"""next_runs: Scheduler's DST rules, windows, rate anchoring, unions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobscheduler.expressions import compile_schedule, next_runs, preview
from tests.unit.expressions.conftest import NOW


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "expression", "after", "expected"),
    [
        # New York spring forward 2026-03-08 02:00 -> 03:00: 02:30 does not run that day.
        (
            "America/New_York",
            "cron(30 2 * * ? *)",
            utc(2026, 3, 7, 0),
            [utc(2026, 3, 7, 7, 30), utc(2026, 3, 9, 6, 30)],
        ),
        # New York fall back 2026-11-01: 01:30 happens twice, runs once (EDT, first).
        (
            "America/New_York",
            "cron(30 1 * * ? *)",
            utc(2026, 10, 31, 12),
            [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)],
        ),
        # London spring forward 2026-03-29 01:00 -> 02:00.
        (
            "Europe/London",
            "cron(30 1 * * ? *)",
            utc(2026, 3, 28, 12),
            [utc(2026, 3, 30, 0, 30), utc(2026, 3, 31, 0, 30)],
        ),
        # London fall back 2026-10-25: 01:30 BST only.
        (
            "Europe/London",
            "cron(30 1 * * ? *)",
            utc(2026, 10, 24, 12),
            [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
        ),
        # Sydney fall back 2026-04-05 03:00 -> 02:00: 02:30 AEDT (+11) only.
        (
            "Australia/Sydney",
            "cron(30 2 * * ? *)",
            utc(2026, 4, 4, 0),
            [utc(2026, 4, 4, 15, 30), utc(2026, 4, 5, 16, 30)],
        ),
        # Sydney spring forward 2026-10-04 02:00 -> 03:00: 02:30 skipped.
        (
            "Australia/Sydney",
            "cron(30 2 * * ? *)",
            utc(2026, 10, 2, 12),
            [utc(2026, 10, 2, 16, 30), utc(2026, 10, 4, 15, 30)],
        ),
        # Kolkata has no DST: always UTC+05:30.
        (
            "Asia/Kolkata",
            "cron(30 2 * * ? *)",
            utc(2026, 3, 7, 0),
            [utc(2026, 3, 7, 21, 0), utc(2026, 3, 8, 21, 0)],
        ),
    ],
)
def test_dst_daily(tz: str, expression: str, after: datetime, expected: list[datetime]):
    assert next_runs([expression], tz, after=after, count=2) == expected


def test_half_hourly_on_fall_back_day_runs_repeated_wall_times_once():
    runs = next_runs(
        ["cron(0/30 * * * ? *)"], "America/New_York", after=utc(2026, 11, 1, 4, 45), count=5
    )
    # 00:00/00:30/01:00/01:30 EDT... then 02:00 EST; the second 01:00 and 01:30 (EST)
    # are the same wall times and do not run again.
    assert runs == [
        utc(2026, 11, 1, 5, 0),
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 1, 7, 0),
        utc(2026, 11, 1, 7, 30),
        utc(2026, 11, 1, 8, 0),
    ]


def test_after_inside_the_repeated_hour():
    # after = 01:10 EST (second pass): 01:30 wall already ran at its first occurrence.
    runs = next_runs(
        ["cron(30 1,2 * * ? *)"], "America/New_York", after=utc(2026, 11, 1, 6, 10), count=2
    )
    assert runs == [utc(2026, 11, 1, 7, 30), utc(2026, 11, 2, 6, 30)]


def test_hourly_on_spring_forward_day():
    runs = next_runs(
        ["cron(0 * * * ? *)"], "America/New_York", after=utc(2026, 3, 8, 5, 30), count=3
    )
    assert runs == [utc(2026, 3, 8, 6, 0), utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 8, 0)]


def test_rate_anchor_and_window():
    anchor = utc(2026, 3, 4, 10, 0, 30)
    runs = next_runs(["rate(5 minutes)"], "UTC", after=anchor, count=3, anchor=anchor)
    assert runs == [anchor + timedelta(minutes=5 * k) for k in (1, 2, 3)]
    later = next_runs(
        ["rate(1 hour)"], "UTC", after=utc(2026, 3, 4, 12, 15), count=2, anchor=anchor
    )
    assert later == [utc(2026, 3, 4, 13, 0, 30), utc(2026, 3, 4, 14, 0, 30)]
    start = utc(2026, 3, 10)
    windowed = next_runs(
        ["rate(1 day)"], "UTC", after=NOW, count=5, start_at=start, end_at=utc(2026, 3, 13)
    )
    # Scheduler's first run of a rate is at StartDate itself.
    assert windowed == [start, utc(2026, 3, 11), utc(2026, 3, 12), utc(2026, 3, 13)]
    with pytest.raises(ValueError, match="anchor"):
        next_runs(["rate(1 day)"], "UTC", after=NOW, count=1)


def test_rate_ignores_dst():
    anchor = utc(2026, 10, 31, 12)
    runs = next_runs(["rate(1 day)"], "America/New_York", after=anchor, count=2, anchor=anchor)
    assert runs == [utc(2026, 11, 1, 12), utc(2026, 11, 2, 12)]


def test_window_is_inclusive_and_after_is_strict():
    runs = next_runs(
        ["cron(0 9 * * ? *)"],
        "UTC",
        after=utc(2026, 3, 5, 9),
        count=10,
        start_at=utc(2026, 3, 6, 9),
        end_at=utc(2026, 3, 8, 9),
    )
    assert runs == [utc(2026, 3, 6, 9), utc(2026, 3, 7, 9), utc(2026, 3, 8, 9)]


def test_union_is_sorted_and_deduplicated():
    runs = next_runs(
        ["cron(0 9 * * ? *)", "cron(0 9 ? * FRI *)", "at(2026-03-05T12:00:00)"],
        "UTC",
        after=NOW,
        count=4,
    )
    assert runs == [utc(2026, 3, 5, 9), utc(2026, 3, 5, 12), utc(2026, 3, 6, 9), utc(2026, 3, 7, 9)]


def test_at_nonexistent_wall_time_never_fires():
    assert next_runs(["at(2026-03-08T02:30:00)"], "America/New_York", after=NOW, count=1) == []


def test_at_outside_window_or_past():
    assert next_runs(["at(2026-03-01T00:00:00)"], "UTC", after=NOW, count=1) == []
    assert (
        next_runs(["at(2026-03-10T00:00:00)"], "UTC", after=NOW, count=1, end_at=utc(2026, 3, 9))
        == []
    )


def test_year_limited_cron_ends():
    runs = next_runs(["cron(0 0 1 1 ? 2027-2028)"], "UTC", after=NOW, count=5)
    assert runs == [utc(2027, 1, 1), utc(2028, 1, 1)]


def test_count_zero_and_naive_after():
    assert next_runs(["cron(0 9 * * ? *)"], "UTC", after=NOW, count=0) == []
    with pytest.raises(ValueError, match="timezone-aware"):
        next_runs(["cron(0 9 * * ? *)"], "UTC", after=datetime(2026, 1, 1), count=1)


def test_preview_defaults():
    compiled = compile_schedule("rate(10 minutes)", now=NOW)
    # Without start_at the grid starts at the first whole minute after creation.
    assert preview(compiled, after=NOW, count=2) == [
        utc(2026, 3, 4, 10, 1),
        utc(2026, 3, 4, 10, 11),
    ]
    assert len(preview(compile_schedule("0 9 * * *", now=NOW))) == 5


def test_results_are_aware_utc():
    runs = next_runs(["cron(0 9 * * ? *)"], "Asia/Kolkata", after=NOW, count=3)
    assert all(r.utcoffset() == timedelta(0) for r in runs)
    assert runs == sorted(runs)
