"""Inputs that must be refused, each with a message naming the problem (and a fix)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobscheduler.errors import InvalidExpression
from jobscheduler.expressions import SchedulePolicy, compile_schedule
from tests.unit.expressions.conftest import NOW

# (input, timezone, substrings the message must contain, expected suggestion or None)
REFUSED: list[tuple[str, str, list[str], str | None]] = [
    ("*/30 * * * * *", "UTC", ["seconds field", "once a minute"], "* * * * *"),
    ("0 0 12 * * ?", "UTC", ["seconds field", "Quartz"], "cron(0 12 * * ? *)"),
    ("0 9 * * MON-FRI 2027", "UTC", ["6 fields", "cron(...)"], "cron(0 9 ? * MON-FRI 2027)"),
    ("0 0 1 1 * 2027 x", "UTC", ["7 fields"], None),
    ("every 30 seconds", "UTC", ["sub-minute"], "every minute"),
    ("rate(30 seconds)", "UTC", ["sub-minute"], "rate(1 minute)"),
    ("rate(0 minutes)", "UTC", ["positive"], "rate(1 minute)"),
    ("rate(1 minutes)", "UTC", ["singular"], "rate(1 minute)"),
    ("rate(5 minute)", "UTC", ["plural"], "rate(5 minutes)"),
    ("rate(2 weeks)", "UTC", ["unknown rate unit 'weeks'"], "rate(14 days)"),
    ("rate(five minutes)", "UTC", ["not a valid rate"], "rate(5 minutes)"),
    ("cron(0 9 ? * MON/2 *)", "UTC", ["step ('/') in the day-of-week"], None),
    ("2024-01-15 14:30", "UTC", ["in the past", "2024-01-15 14:30:00 UTC"], "in 5 minutes"),
    ("2024-01-15T14:30:00+01:00", "UTC", ["in the past"], "in 5 minutes"),
    ("yesterday at 9am", "UTC", ["in the past"], "in 5 minutes"),
    ("at(2020-01-01T00:00:00)", "UTC", ["in the past"], "in 5 minutes"),
    ("0 0 30 2 *", "UTC", ["never run", "day 30", "February"], None),
    ("0 0 31 4,6,9,11 *", "UTC", ["never run", "day 31", "April"], None),
    ("cron(0 0 30 2 ? *)", "UTC", ["never run", "February"], None),
    ("cron(0 0 1 1 ? 2020)", "UTC", ["never runs after now"], None),
    ("at(2026-02-30T00:00:00)", "UTC", ["not a real date"], None),
    ("2026-02-30T10:00:00", "UTC", ["not a real date"], None),
    ("at(2026-01-01 00:00:00)", "UTC", ["at(yyyy-mm-ddThh:mm:ss)"], None),
    ("2026-03-08T02:30:00", "America/New_York", ["does not exist"], "2026-03-08T03:30:00"),
    ("asdfgh qwerty", "UTC", ["could not understand 'asdfgh', 'qwerty'"], None),
    ("5", "UTC", ["could not understand '5'"], None),
    ("tomorrow", "UTC", ["does not say at what time"], "tomorrow at 9am"),
    ("next week", "UTC", ["does not say which day"], "next monday at 9am"),
    ("", "UTC", ["empty"], None),
    ("   ", "UTC", ["empty"], None),
    ("x" * 300, "UTC", ["longer than 256"], None),
    ("@reboot", "UTC", ["@reboot"], None),
    ("@fortnightly", "UTC", ["unknown cron macro"], None),
    ("60 * * * *", "UTC", ["minute value 60", "0-59"], None),
    ("0 24 * * *", "UTC", ["hour value 24", "0-23"], None),
    ("0 0 * 13 *", "UTC", ["month value 13", "1-12"], None),
    ("0 0 * * 8", "UTC", ["day-of-week value 8", "0-7"], None),
    ("0 0 32 * *", "UTC", ["day-of-month value 32"], None),
    ("0 0 0 * *", "UTC", ["day-of-month value 0"], None),
    ("0 9 * * 5-1", "UTC", ["runs backwards"], None),
    ("*/0 * * * *", "UTC", ["step 0"], None),
    ("0 0 L * *", "UTC", ["not Unix cron syntax"], "cron(0 0 L * ? *)"),
    ("0 0 15W * *", "UTC", ["not Unix cron syntax"], "cron(0 0 15W * ? *)"),
    ("0 0 * * 5#3", "UTC", ["not Unix cron syntax"], "cron(0 0 ? * 5#3 *)"),
    ("0 0 ? * MON", "UTC", ["not Unix cron syntax"], None),
    ("cron(0 9 * * MON *)", "UTC", ["exactly one of them to be '?'"], "cron(0 9 ? * MON *)"),
    ("cron(0 9 ? * ? *)", "UTC", ["both day-of-month and day-of-week to '?'"], None),
    ("cron(0 9 1 * MON *)", "UTC", ["exactly one of them"], None),
    ("cron(0 9 * * ? 2300)", "UTC", ["year value 2300", "1970-2199"], None),
    ("cron(0 9 L,15 * ? *)", "UTC", ["must stand alone"], None),
    ("cron(0 9 15W,20 * ? *)", "UTC", ["must stand alone"], None),
    ("cron(0 9 ? * 6L,2 *)", "UTC", ["must stand alone"], None),
    ("cron(0 9 ? * MON#6 *)", "UTC", ["after '#' must be 1-5"], None),
    ("cron(0 9 ? * *)", "UTC", ["5 fields", "exactly 6"], None),
    ("cron(60 9 * * ? *)", "UTC", ["minute value 60"], None),
    ("cron(0 9 ? * FUNDAY *)", "UTC", ["not a number"], None),
    ("every 2 days at 9am", "UTC", ["cannot be expressed as a cron"], None),
    ("every other monday", "UTC", ["cannot skip weeks"], None),
    ("every 7 minutes on weekdays", "UTC", ["does not divide the hour"], None),
    ("every 5 minutes at 9am", "UTC", ["both an interval and times"], None),
    ("every blursday", "UTC", ["could not understand 'blursday' in 'every blursday'"], None),
    ("every day at 25:00", "UTC", ["hour 25 is out of range"], None),
    ("every day at 13pm", "UTC", ["am/pm", "1-12"], None),
    ("every 0 minutes", "UTC", ["at least 1"], None),
    ("every 30 minutes between 9:30am and 5pm", "UTC", ["start and end on the hour"], None),
    ("in 0 minutes", "UTC", ["not in the future"], "in 1 minute"),
    ("0 9 * * *", "Mars/Olympus", ["unknown timezone 'Mars/Olympus'"], None),
]


@pytest.mark.parametrize(("text", "tz", "parts", "suggestion"), REFUSED)
def test_refused(text: str, tz: str, parts: list[str], suggestion: str | None):
    with pytest.raises(InvalidExpression) as info:
        compile_schedule(text, tz, now=NOW)
    error = info.value
    for part in parts:
        assert part in error.message
    if suggestion is not None:
        assert error.suggestion == suggestion
        assert error.to_body()["error"]["details"] == {"suggestion": suggestion}
    assert error.status == 422


def test_at_least_thirty_refusals():
    assert len(REFUSED) >= 30


def test_unknown_timezone_code_and_suggestion():
    with pytest.raises(InvalidExpression) as info:
        compile_schedule("0 9 * * *", "America/NewYork", now=NOW)
    assert info.value.code == "invalid_timezone"
    assert info.value.suggestion == "America/New_York"


@pytest.mark.parametrize(
    ("text", "policy", "parts"),
    [
        ("every 1 minutes", SchedulePolicy(min_interval_seconds=300), ["60 seconds", "5 minutes"]),
        ("*/2 * * * *", SchedulePolicy(min_interval_seconds=300), ["120 seconds"]),
        ("rate(4 minutes)", SchedulePolicy(min_interval_seconds=300), ["240 seconds"]),
        ("0 9,10 * * *", SchedulePolicy(min_interval_seconds=7200), ["3600 seconds"]),
        ("50 23 * * *", SchedulePolicy(min_interval_seconds=90000), ["86400 seconds"]),
        ("in 30 days", SchedulePolicy(max_one_off_days=10), ["more than 10 days ahead"]),
        ("2035-01-01T00:00:00", SchedulePolicy(), ["more than 1826 days ahead"]),
    ],
)
def test_policy_limits(text: str, policy: SchedulePolicy, parts: list[str]):
    with pytest.raises(InvalidExpression) as info:
        compile_schedule(text, now=NOW, policy=policy)
    for part in parts:
        assert part in info.value.message


def test_policy_allows_what_it_should():
    assert compile_schedule("rate(1 minute)", now=NOW).expressions == ["rate(1 minute)"]
    five = SchedulePolicy(min_interval_seconds=300)
    assert compile_schedule("every 5 minutes", now=NOW, policy=five).expressions == [
        "cron(0/5 * * * ? *)"
    ]
    # Wrap-around gap: 23:50 and 00:10 are 20 minutes apart.
    with pytest.raises(InvalidExpression):
        compile_schedule(
            "10,50 0,23 * * *", now=NOW, policy=SchedulePolicy(min_interval_seconds=1800)
        )


@pytest.mark.parametrize(
    ("start", "end", "text", "part"),
    [
        (NOW, NOW, "0 9 * * *", "end_at must be after start_at"),
        (NOW + timedelta(days=2), NOW + timedelta(days=1), "0 9 * * *", "end_at must be after"),
        (None, datetime(2026, 1, 1, tzinfo=UTC), "0 9 * * *", "end_at is in the past"),
        (None, datetime(2026, 6, 1, tzinfo=UTC), "0 0 1 1 *", "never runs after now between"),
        (None, datetime(2026, 3, 5, tzinfo=UTC), "in 5 days", "falls outside start_at/end_at"),
        (datetime(2026, 4, 1, tzinfo=UTC), None, "tomorrow at 9am", "falls outside"),
    ],
)
def test_window_refusals(start, end, text: str, part: str):
    with pytest.raises(InvalidExpression) as info:
        compile_schedule(text, now=NOW, start_at=start, end_at=end)
    assert part in info.value.message
