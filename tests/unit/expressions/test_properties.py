"""Property tests: a compiled Unix cron fires exactly when the Unix cron does.

Reference: croniter over the Unix expression in naive local wall time (its OR rule for
two restricted day fields), then Scheduler's DST rules: a wall time that does not exist
is dropped, one that occurs twice is taken once at its first occurrence (fold=0).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from croniter.croniter import CroniterBadDateError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobscheduler.errors import InvalidExpression
from jobscheduler.expressions import compile_schedule, next_runs

ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "UTC"]
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
MAX_RUNS = 200
# Local wall times a few hours before each 2026 DST transition (and a plain day).
STARTS = [
    datetime(2026, 1, 1, 0, 0),
    datetime(2026, 3, 7, 22, 0),  # US spring forward Mar 8
    datetime(2026, 10, 31, 22, 0),  # US fall back Nov 1
    datetime(2026, 3, 28, 22, 0),  # UK spring forward Mar 29
    datetime(2026, 10, 24, 22, 0),  # UK fall back Oct 25
    datetime(2026, 4, 4, 22, 0),  # Sydney fall back Apr 5
    datetime(2026, 10, 3, 22, 0),  # Sydney spring forward Oct 4
]


def _field(draw, low: int, high: int, names: list[str] | None = None, steps: bool = True) -> str:
    def value() -> str:
        v: int = draw(st.integers(low, high))
        if names and draw(st.booleans()) and v - low < len(names):
            return names[v - low]
        return str(v)

    kind: str = draw(st.sampled_from(["star", "one", "range", "list", "step", "rangestep"]))
    if kind == "star":
        return "*"
    if kind == "one":
        return value()
    if kind in ("range", "rangestep"):
        # croniter (the reference) reads a one-value range "3-3" as "*": a croniter
        # bug; test_unix_cron pins that we read it as Vixie does.
        a = draw(st.integers(low, high - 1))
        b = draw(st.integers(a + 1, high))
        text = f"{a}-{b}"
        if kind == "rangestep" and steps:
            text += f"/{draw(st.integers(1, max(1, high - low)))}"
        return text
    if kind == "list":
        return ",".join(value() for _ in range(draw(st.integers(2, 4))))
    if not steps:
        return value()
    return f"*/{draw(st.integers(1, max(1, high - low)))}"


@st.composite
def unix_crons(draw) -> str:
    minute = _field(draw, 0, 59)
    hour = _field(draw, 0, 23)
    dom = _field(draw, 1, 31)
    month = _field(draw, 1, 12, MONTHS)
    dow = _field(draw, 0, 7, [*DAYS, "SUN"], steps=False)
    return f"{minute} {hour} {dom} {month} {dow}"


def _posix_days(expr: str) -> str:
    """A day field that selects every day counts as '*' (POSIX: only a restricted field
    takes part in the OR). croniter keeps "*/1" or "1-31" restricted when the other day
    field has no '*', so normalise them before handing the cron to the reference."""
    fields = expr.split()
    expanded = croniter.expand(expr)[0]
    if len(expanded[2]) == 31:
        fields[2] = "*"
    if expanded[4] == ["*"] or set(expanded[4]) >= set(range(7)):
        fields[4] = "*"
    return " ".join(fields)


def reference(expr: str, tz: ZoneInfo, start_wall: datetime, end: datetime) -> list[datetime]:
    runs: list[datetime] = []
    expr = _posix_days(expr)
    it = croniter(expr, start_wall, ret_type=datetime)
    after = start_wall.replace(tzinfo=tz).astimezone(UTC)
    while len(runs) < MAX_RUNS:
        try:
            wall = it.get_next(datetime)
        except CroniterBadDateError:
            break
        local = wall.replace(tzinfo=tz, fold=0)
        instant = local.astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) != wall:
            continue  # does not exist that day
        if instant > end:
            break
        if instant > after and (not runs or instant > runs[-1]):
            runs.append(instant)
    return runs


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=unix_crons(), tz_name=st.sampled_from(ZONES), start=st.sampled_from(STARTS))
def test_compiled_unix_cron_matches_croniter_reference(expr: str, tz_name: str, start: datetime):
    tz = ZoneInfo(tz_name)
    after = start.replace(tzinfo=tz).astimezone(UTC)
    end = after + timedelta(days=365)
    try:
        compiled = compile_schedule(expr, tz_name, now=after)
    except InvalidExpression:
        # Only refused when the cron can never run (e.g. "0 0 30 2 *").
        try:
            croniter(expr, start).get_next(datetime)
        except CroniterBadDateError:
            return
        raise
    expected = reference(expr, tz, start, end)
    got = next_runs(compiled.expressions, tz_name, after=after, count=MAX_RUNS, end_at=end)
    assert got == expected, (expr, compiled.expressions)


@settings(max_examples=40, deadline=None)
@given(
    minute=st.integers(0, 59),
    hour=st.integers(0, 23),
    tz_name=st.sampled_from(ZONES),
    start=st.sampled_from(STARTS),
)
def test_daily_crons_around_dst(minute: int, hour: int, tz_name: str, start: datetime):
    expr = f"{minute} {hour} * * *"
    tz = ZoneInfo(tz_name)
    after = start.replace(tzinfo=tz).astimezone(UTC)
    end = after + timedelta(days=3)
    compiled = compile_schedule(expr, tz_name, now=after)
    assert next_runs(compiled.expressions, tz_name, after=after, count=10, end_at=end) == (
        reference(expr, tz, start, end)
    )


@settings(max_examples=40, deadline=None)
@given(value=st.integers(1, 500), unit=st.sampled_from(["minute", "hour", "day"]))
def test_rate_is_absolute(value: int, unit: str):
    seconds = {"minute": 60, "hour": 3600, "day": 86400}[unit] * value
    text = f"rate({value} {unit}{'s' if value != 1 else ''})"
    anchor = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
    runs = next_runs([text], "America/New_York", after=anchor, count=5, anchor=anchor)
    assert runs == [anchor + timedelta(seconds=seconds * k) for k in range(1, 6)]
