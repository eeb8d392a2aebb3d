"""Property: rate() previews agree with EventBridge Scheduler's own rule, computed here
independently of the engine.

Scheduler's rule (its documentation: "you use the StartDate property to set the first
occurrence of the schedule"): a rate runs at StartDate, then every period after it, in
absolute time (no DST). Our choice for a schedule without start_at is to send
StartDate = the first whole minute after creation; the oracle applies that choice by
hand and then walks the grid one period at a time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from jobscheduler.expressions import compile_schedule, next_on_grid, preview, rate_anchor
from jobscheduler.expressions.preview import next_runs

UNITS = {"minute": 60, "hour": 3600, "day": 86400}
ZONES = ["UTC", "America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata"]
# Creation instants spread over 2026-2027, DST change days included.
CREATED = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


def _start_date(start_at: datetime | None, created: datetime) -> datetime:
    if start_at is not None:
        return start_at
    whole = datetime(created.year, created.month, created.day, created.hour, created.minute)
    return whole.replace(tzinfo=UTC) + timedelta(seconds=60)


def _oracle(
    period: int,
    created: datetime,
    start_at: datetime | None,
    end_at: datetime | None,
    count: int,
) -> list[datetime]:
    run = _start_date(start_at, created)
    runs: list[datetime] = []
    while len(runs) < count:
        if end_at is not None and run > end_at:
            break
        if run > created:
            runs.append(run)
        run += timedelta(seconds=period)
    return runs


@settings(max_examples=400, deadline=None)
@given(
    value=st.integers(min_value=1, max_value=500),
    unit=st.sampled_from(sorted(UNITS)),
    zone=st.sampled_from(ZONES),
    created=CREATED,
    start_offset=st.one_of(st.none(), st.integers(min_value=1, max_value=40 * 86400)),
    end_offset=st.one_of(st.none(), st.integers(min_value=1, max_value=400 * 86400)),
    count=st.integers(min_value=1, max_value=12),
)
def test_rate_preview_matches_schedulers_rule(
    value: int,
    unit: str,
    zone: str,
    created: datetime,
    start_offset: int | None,
    end_offset: int | None,
    count: int,
) -> None:
    text = f"rate({value} {unit}{'s' if value != 1 else ''})"
    period = value * UNITS[unit]
    start_at = None if start_offset is None else created + timedelta(seconds=start_offset)
    window_start = start_at or created
    end_at = None if end_offset is None else window_start + timedelta(seconds=end_offset)
    compiled = compile_schedule(text, zone, now=created, start_at=start_at)
    got = preview(compiled, count=count, after=created, start_at=start_at, end_at=end_at)
    assert got == _oracle(period, created, start_at, end_at, count)
    # The stored schedule computes the same runs (anchor from created_at).
    stored = next_runs(
        [text],
        zone,
        after=created,
        count=count,
        start_at=start_at,
        end_at=end_at,
        anchor=rate_anchor(start_at, created),
    )
    assert stored == got


@settings(max_examples=300, deadline=None)
@given(
    value=st.integers(min_value=1, max_value=500),
    unit=st.sampled_from(sorted(UNITS)),
    created=CREATED,
    start_offset=st.one_of(st.none(), st.integers(min_value=1, max_value=40 * 86400)),
    write_offset=st.integers(min_value=0, max_value=900 * 86400),
)
def test_start_date_of_a_later_write_is_the_next_run_of_the_original_grid(
    value: int, unit: str, created: datetime, start_offset: int | None, write_offset: int
) -> None:
    """What a pause/resume/PATCH sends as StartDate is the first run after the write
    of the schedule as first created: the cadence never moves."""
    period = value * UNITS[unit]
    start_at = None if start_offset is None else created + timedelta(seconds=start_offset)
    written = created + timedelta(seconds=write_offset)
    sent = next_on_grid(rate_anchor(start_at, created), period, written)
    # Walk the oracle's grid up to the write.
    run = _start_date(start_at, created)
    if run <= written:
        run += ((written - run) // timedelta(seconds=period) + 1) * timedelta(seconds=period)
    assert sent == run
    assert sent > written
    assert (sent - _start_date(start_at, created)) % timedelta(seconds=period) == timedelta(0)
