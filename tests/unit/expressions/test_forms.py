"""Unit tests per input form: Unix cron, EventBridge cron/rate/at, ISO 8601, timezones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobscheduler.errors import InvalidExpression
from jobscheduler.expressions import (
    compile_schedule,
    is_recurring,
    next_runs,
    preview,
    validate_timezone,
)
from jobscheduler.models.schedules import ScheduleKind
from tests.unit.expressions.conftest import NOW


@pytest.mark.parametrize(
    ("unix", "expected"),
    [
        ("0 9 * * 1-5", ["cron(0 9 ? * MON-FRI *)"]),
        ("0 9 * * MON-FRI", ["cron(0 9 ? * MON-FRI *)"]),
        ("0 9 * * 0", ["cron(0 9 ? * SUN *)"]),
        ("0 9 * * 7", ["cron(0 9 ? * SUN *)"]),
        ("0 9 * * 5-7", ["cron(0 9 ? * SUN,FRI,SAT *)"]),
        ("0 9 * * 0-7", ["cron(0 9 * * ? *)"]),
        ("0 9 * * 3-3", ["cron(0 9 ? * WED *)"]),  # croniter reads "3-3" as "*"; Vixie does not
        ("0 9 */1 * 0", ["cron(0 9 ? * SUN *)"]),  # a day field selecting every day is '*'
        ("*/15 * * * *", ["cron(0/15 * * * ? *)"]),
        ("5/15 * * * *", ["cron(5/15 * * * ? *)"]),
        ("0 */6 * * *", ["cron(0 0/6 * * ? *)"]),
        ("0,30 8-17 * * *", ["cron(0,30 8-17 * * ? *)"]),
        ("0 0 1,15 * *", ["cron(0 0 1,15 * ? *)"]),
        ("0 0 * JAN,jul *", ["cron(0 0 * 1,7 ? *)"]),
        ("0 0 1 */3 *", ["cron(0 0 1 1/3 ? *)"]),
        ("10-50/20 * * * *", ["cron(10/20 * * * ? *)"]),
        ("10-40/15 * * * *", ["cron(10,25,40 * * * ? *)"]),
        ("0 9 1 * MON", ["cron(0 9 1 * ? *)", "cron(0 9 ? * MON *)"]),
        ("0 9 30 2 1", ["cron(0 9 ? 2 MON *)"]),  # the Feb 30 side adds nothing
        ("@hourly", ["cron(0 * * * ? *)"]),
        ("@daily", ["cron(0 0 * * ? *)"]),
        ("@midnight", ["cron(0 0 * * ? *)"]),
        ("@weekly", ["cron(0 0 ? * SUN *)"]),
        ("@monthly", ["cron(0 0 1 * ? *)"]),
        ("@yearly", ["cron(0 0 1 1 ? *)"]),
        ("@ANNUALLY", ["cron(0 0 1 1 ? *)"]),
        ("  0   9  *  *  *  ", ["cron(0 9 * * ? *)"]),
    ],
)
def test_unix_cron(unix: str, expected: list[str]):
    compiled = compile_schedule(unix, "UTC", now=NOW)
    assert compiled.expressions == expected
    assert compiled.kind is ScheduleKind.RECURRING
    assert compiled.source_form == "unix_cron"


def test_unix_or_semantics_union():
    compiled = compile_schedule("0 9 13 * FRI", "UTC", now=NOW)
    runs = preview(compiled, after=NOW, count=6)
    # Fridays in March 2026 (6, 13, 20, 27) plus the 13th of each month, once each.
    assert [r.day for r in runs] == [6, 13, 20, 27, 3, 10]
    assert runs[1] == datetime(2026, 3, 13, 9, tzinfo=UTC)  # both match: one run


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cron(0 9 ? * MON-FRI *)", "cron(0 9 ? * MON-FRI *)"),
        ("cron(0 9 ? * 2-6 *)", "cron(0 9 ? * MON-FRI *)"),
        ("CRON(0/5 * * * ? *)", "cron(0/5 * * * ? *)"),
        ("cron(*/5 * * * ? *)", "cron(0/5 * * * ? *)"),
        ("cron(0 0 L * ? *)", "cron(0 0 L * ? *)"),
        ("cron(0 0 15W * ? *)", "cron(0 0 15W * ? *)"),
        ("cron(0 0 ? * 6L *)", "cron(0 0 ? * 6L *)"),
        ("cron(0 0 ? * L *)", "cron(0 0 ? * SAT *)"),
        ("cron(0 0 ? * 2#1 *)", "cron(0 0 ? * MON#1 *)"),
        ("cron(0 0 ? * fri#3 *)", "cron(0 0 ? * FRI#3 *)"),
        ("cron(0 0 1 JAN-MAR ? 2027-2029)", "cron(0 0 1 1-3 ? 2027-2029)"),
        ("cron(0 0 1 1 ? 2100)", "cron(0 0 1 1 ? 2100)"),
        ("cron(15 10 * * ? *)", "cron(15 10 * * ? *)"),
        ("rate(1 minute)", "rate(1 minute)"),
        ("rate(5 minutes)", "rate(5 minutes)"),
        ("rate(1 hour)", "rate(1 hour)"),
        ("rate(12 hours)", "rate(12 hours)"),
        ("rate(1 day)", "rate(1 day)"),
        ("rate(7 days)", "rate(7 days)"),
        ("RATE( 10 Minutes )", "rate(10 minutes)"),
    ],
)
def test_eventbridge_recurring(text: str, expected: str):
    compiled = compile_schedule(text, "Europe/London", now=NOW)
    assert compiled.expressions == [expected]
    assert compiled.kind is ScheduleKind.RECURRING
    assert compiled.source_form == "eventbridge"


def test_eventbridge_specials_fire_on_the_right_days():
    def days(text: str, n: int = 4) -> list[str]:
        compiled = compile_schedule(text, "UTC", now=NOW)
        return [r.strftime("%Y-%m-%d") for r in preview(compiled, after=NOW, count=n)]

    assert days("cron(0 0 L * ? *)") == ["2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30"]
    # LW is undocumented, so refused for new schedules; stored ones still preview it.
    # Last weekday: May 31 2026 is a Sunday -> Friday 29th.
    with pytest.raises(
        InvalidExpression, match=r"'LW' .* not in EventBridge Scheduler's documented"
    ):
        compile_schedule("cron(0 0 LW * ? *)", "UTC", now=NOW)
    stored = next_runs(["cron(0 0 LW * ? *)"], "UTC", after=NOW, count=3)
    assert [r.strftime("%Y-%m-%d") for r in stored] == ["2026-03-31", "2026-04-30", "2026-05-29"]
    # L alone in day-of-week: "the last day of the week", Saturday (documented).
    assert days("cron(0 0 ? * L *)", 2) == ["2026-03-07", "2026-03-14"]
    # Nearest weekday to the 1st never leaves the month (Aug 1 2026 is a Saturday -> 3rd).
    assert days("cron(0 0 1W 8 ? *)", 1) == ["2026-08-03"]
    # 31W only in months with a 31st.
    assert days("cron(0 0 31W * ? *)", 3) == ["2026-03-31", "2026-05-29", "2026-07-31"]
    assert days("cron(0 0 ? * 6L *)", 2) == ["2026-03-27", "2026-04-24"]
    assert days("cron(0 0 ? * MON#1 *)", 2) == ["2026-04-06", "2026-05-04"]
    assert days("cron(0 0 ? * SAT#5 *)", 2) == ["2026-05-30", "2026-08-29"]
    assert days("cron(0 0 1 1 ? 2100,2150)", 2) == ["2100-01-01", "2150-01-01"]
    assert days("cron(0 0 29 2 ? *)", 2) == ["2028-02-29", "2032-02-29"]


def test_at_expression_is_local_wall_time():
    compiled = compile_schedule("at(2026-11-22T09:00:00)", "America/New_York", now=NOW)
    assert compiled.kind is ScheduleKind.ONE_TIME
    assert compiled.expressions == ["at(2026-11-22T09:00:00)"]
    assert compiled.description == "Once, at 2026-11-22 09:00:00 (America/New_York)"
    assert preview(compiled, after=NOW) == [datetime(2026, 11, 22, 14, 0, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("text", "tz", "expression", "zone"),
    [
        ("2026-11-22T09:00:00", "America/New_York", "at(2026-11-22T09:00:00)", "America/New_York"),
        ("2026-11-22T09:00", "UTC", "at(2026-11-22T09:00:00)", "UTC"),
        ("2026-11-22T09:00:00.750", "UTC", "at(2026-11-22T09:00:00)", "UTC"),
        ("2026-11-22T14:00:00Z", "America/New_York", "at(2026-11-22T09:00:00)", "America/New_York"),
        ("2026-07-01T12:00:00+05:30", "Europe/London", "at(2026-07-01T07:30:00)", "Europe/London"),
        # The instant is the second 01:30 of New York's fall-back day: written in UTC so it
        # fires exactly then, not at the first 01:30 an hour earlier.
        ("2026-11-01T06:30:00Z", "America/New_York", "at(2026-11-01T06:30:00)", "UTC"),
        # Same wall time given naive: the first occurrence, like Scheduler.
        ("2026-11-01T01:30:00", "America/New_York", "at(2026-11-01T01:30:00)", "America/New_York"),
    ],
)
def test_iso8601(text: str, tz: str, expression: str, zone: str):
    compiled = compile_schedule(text, tz, now=NOW)
    assert compiled.source_form == "iso8601"
    assert compiled.expressions == [expression]
    assert compiled.timezone == zone


def test_iso_ambiguous_naive_runs_first_occurrence():
    compiled = compile_schedule("2026-11-01T01:30:00", "America/New_York", now=NOW)
    assert preview(compiled, after=NOW) == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]
    exact = compile_schedule("2026-11-01T06:30:00Z", "America/New_York", now=NOW)
    assert preview(exact, after=NOW) == [datetime(2026, 11, 1, 6, 30, tzinfo=UTC)]


def test_timezones():
    assert validate_timezone("UTC") == "UTC"
    assert validate_timezone("europe/london") == "Europe/London"
    assert validate_timezone("US/Eastern") == "US/Eastern"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "localtime", "x" * 70):
        with pytest.raises(InvalidExpression) as info:
            validate_timezone(bad)
        assert info.value.code == "invalid_timezone"
    compiled = compile_schedule("0 9 * * *", "asia/kolkata", now=NOW)
    assert compiled.timezone == "Asia/Kolkata"


def test_is_recurring():
    assert is_recurring(["cron(0 9 * * ? *)"])
    assert is_recurring(["rate(1 hour)"])
    assert not is_recurring(["at(2026-01-01T00:00:00)"])


def test_compiled_is_frozen():
    compiled = compile_schedule("0 9 * * *", now=NOW)
    with pytest.raises(Exception):  # noqa: B017 (pydantic ValidationError on frozen model)
        compiled.timezone = "UTC"  # type: ignore[misc]


def test_default_now_is_the_clock():
    # No `now`: a far-future one-off compiles against the real clock.
    assert compile_schedule("2030-01-01T00:00:00Z").kind is ScheduleKind.ONE_TIME
