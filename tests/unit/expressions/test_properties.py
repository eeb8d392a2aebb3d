"""Property tests: a compiled Unix cron fires exactly when the Unix cron does.

Reference: a brute-force walk over local wall-clock days with the fields expanded by a
small parser of its own and cronie's day rule (AND when a day field starts with '*',
else OR), then Scheduler's DST rules: a wall time that does not exist is dropped, one
that occurs twice is taken once at its first occurrence (fold=0).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

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
    dow = _field(draw, 0, 7, [*DAYS, "SUN"])
    return f"{minute} {hour} {dom} {month} {dow}"


_NAMES = {n: i for i, n in enumerate(DAYS)} | {n: i + 1 for i, n in enumerate(MONTHS)}


def _expand(text: str, low: int, high: int) -> set[int]:
    """cronie's field expansion: items, a-b ranges, */s, a-b/s and n/s (n to the end)."""
    values: set[int] = set()
    for item in text.upper().split(","):
        base, _, step = item.partition("/")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            left, right = base.split("-")
            first = _NAMES[left] if left in _NAMES else int(left)
            last = _NAMES[right] if right in _NAMES else int(right)
        else:
            first = _NAMES[base] if base in _NAMES else int(base)
            last = high if step else first
        values.update(range(first, last + 1, int(step) if step else 1))
    return values


def _cronie_walls(expr: str, start_wall: datetime, days: int):
    minute, hour, dom, month, dow = expr.split()
    minutes, hours = sorted(_expand(minute, 0, 59)), sorted(_expand(hour, 0, 23))
    doms, months = _expand(dom, 1, 31), _expand(month, 1, 12)
    dows = {d % 7 for d in _expand(dow, 0, 7)}
    both = dom.startswith("*") or dow.startswith("*")
    day = start_wall.date()
    for _ in range(days + 1):
        in_dom, in_dow = day.day in doms, (day.weekday() + 1) % 7 in dows
        if day.month in months and ((in_dom and in_dow) if both else (in_dom or in_dow)):
            for h in hours:
                for m in minutes:
                    yield datetime(day.year, day.month, day.day, h, m)
        day += timedelta(days=1)


def reference(expr: str, tz: ZoneInfo, start_wall: datetime, end: datetime) -> list[datetime]:
    runs: list[datetime] = []
    after = start_wall.replace(tzinfo=tz).astimezone(UTC)
    for wall in _cronie_walls(expr, start_wall, (end - after).days + 2):
        local = wall.replace(tzinfo=tz, fold=0)
        instant = local.astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) != wall:
            continue  # does not exist that day
        if instant > end or len(runs) >= MAX_RUNS:
            break
        if instant > after and (not runs or instant > runs[-1]):
            runs.append(instant)
    return runs


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=unix_crons(), tz_name=st.sampled_from(ZONES), start=st.sampled_from(STARTS))
def test_compiled_unix_cron_matches_cronie_reference(expr: str, tz_name: str, start: datetime):
    tz = ZoneInfo(tz_name)
    after = start.replace(tzinfo=tz).astimezone(UTC)
    end = after + timedelta(days=365)
    try:
        compiled = compile_schedule(expr, tz_name, now=after)
    except InvalidExpression as exc:
        # Refused only when it never runs (e.g. "0 0 30 2 *") or when cronie's AND of
        # two restricted day fields cannot be written for Scheduler.
        if "cannot combine the two day fields" in str(exc):
            fields = expr.split()
            assert fields[2].startswith("*") or fields[4].startswith("*")
            assert len(_expand(fields[2], 1, 31)) < 31
            assert len({d % 7 for d in _expand(fields[4], 0, 7)}) < 7
            return
        assert not reference(expr, tz, start, start.replace(tzinfo=tz) + timedelta(days=3000))
        return
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
