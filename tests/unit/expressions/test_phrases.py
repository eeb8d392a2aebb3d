"""Table test: plain-English phrases (recurring and one-off) and what they compile to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobscheduler.expressions import compile_schedule, preview
from jobscheduler.models.schedules import ScheduleKind
from tests.unit.expressions.conftest import NOW

# NOW is Wednesday 2026-03-04 10:00 UTC.
RECURRING: list[tuple[str, list[str]]] = [
    ("every 5 minutes", ["cron(0/5 * * * ? *)"]),
    ("every minute", ["cron(* * * * ? *)"]),
    ("every hour", ["cron(0 * * * ? *)"]),
    ("hourly", ["cron(0 * * * ? *)"]),
    ("every 2 hours", ["cron(0 0/2 * * ? *)"]),
    ("every day at 2pm", ["cron(0 14 * * ? *)"]),
    ("every day at 2am", ["cron(0 2 * * ? *)"]),
    ("every day at 3am", ["cron(0 3 * * ? *)"]),
    ("daily", ["cron(0 0 * * ? *)"]),
    ("daily at 09:30", ["cron(30 9 * * ? *)"]),
    ("every monday at 8am", ["cron(0 8 ? * MON *)"]),
    ("every weekday at 9am", ["cron(0 9 ? * MON-FRI *)"]),
    ("every weekend at 10am", ["cron(0 10 ? * SUN,SAT *)"]),
    ("every monday and friday at 9am and 5pm", ["cron(0 9,17 ? * MON,FRI *)"]),
    ("every week", ["cron(0 0 ? * MON *)"]),
    ("weekly on sunday", ["cron(0 0 ? * SUN *)"]),
    ("every month on the 1st at noon", ["cron(0 12 1 * ? *)"]),
    ("monthly", ["cron(0 0 1 * ? *)"]),
    ("every 15th of the month", ["cron(0 0 15 * ? *)"]),
    ("every last day of the month", ["cron(0 0 L * ? *)"]),
    ("every hour at :15", ["cron(15 * * * ? *)"]),
    ("every hour at 15 past", ["cron(15 * * * ? *)"]),
    ("every hour at half past", ["cron(30 * * * ? *)"]),
    ("every hour on the hour", ["cron(0 * * * ? *)"]),
    (
        "every 30 minutes between 9am and 5pm on weekdays",
        ["cron(0,30 9-16 ? * MON-FRI *)"],
    ),
    ("twice a day", ["cron(0 0,12 * * ? *)"]),
    ("at midnight every day", ["cron(0 0 * * ? *)"]),
    ("every 2 days", ["rate(2 days)"]),
    ("every other day", ["rate(2 days)"]),
    ("every year on jan 1", ["cron(0 0 1 1 ? *)"]),
    ("every 10 minutes", ["cron(0/10 * * * ? *)"]),
    ("every 15 minutes", ["cron(0/15 * * * ? *)"]),
    ("every 45 minutes", ["rate(45 minutes)"]),
    ("every 90 minutes", ["rate(90 minutes)"]),
    ("every 120 minutes", ["cron(0 0/2 * * ? *)"]),
    ("every 3 hours", ["cron(0 0/3 * * ? *)"]),
    ("every 5 hours", ["rate(5 hours)"]),
    ("every 48 hours", ["rate(2 days)"]),
    ("every 2 weeks", ["rate(14 days)"]),
    ("every day at 9:30am and 5pm", ["cron(0 17 * * ? *)", "cron(30 9 * * ? *)"]),
    ("every tuesday at 21:00", ["cron(0 21 ? * TUE *)"]),
    ("every sunday at midnight", ["cron(0 0 ? * SUN *)"]),
    ("every friday at noon", ["cron(0 12 ? * FRI *)"]),
    ("mondays at 8am", ["cron(0 8 ? * MON *)"]),
    ("weekdays at 9", ["cron(0 9 ? * MON-FRI *)"]),
    ("every weekday at 8:45am", ["cron(45 8 ? * MON-FRI *)"]),
    ("every month on the 15th at 9am", ["cron(0 9 15 * ? *)"]),
    ("every month on the last day at 6pm", ["cron(0 18 L * ? *)"]),
    ("every first monday of the month at 9am", ["cron(0 9 ? * MON#1 *)"]),
    ("every last friday of the month", ["cron(0 0 ? * 6L *)"]),
    ("every 1st and 15th of the month at 8am", ["cron(0 8 1,15 * ? *)"]),
    ("every 3 months", ["cron(0 0 1 1/3 ? *)"]),
    ("yearly", ["cron(0 0 1 1 ? *)"]),
    ("annually", ["cron(0 0 1 1 ? *)"]),
    ("every year on december 25th at 9am", ["cron(0 9 25 12 ? *)"]),
    ("every jan 1st at noon", ["cron(0 12 1 1 ? *)"]),
    ("every day at 9am in january and july", ["cron(0 9 * 1,7 ? *)"]),
    ("every hour between 9am and 5pm", ["cron(0 9-16 * * ? *)"]),
    ("every 15 minutes on weekends", ["cron(0/15 * ? * SUN,SAT *)"]),
    ("every half hour", ["cron(0,30 * * * ? *)"]),
    ("every two hours", ["cron(0 0/2 * * ? *)"]),
    ("Each day at 7AM", ["cron(0 7 * * ? *)"]),
    ("every day at noon and midnight", ["cron(0 0,12 * * ? *)"]),
    ("every monday, wednesday and friday at 6pm", ["cron(0 18 ? * MON,WED,FRI *)"]),
    ("every monday to friday at 7am", ["cron(0 7 ? * MON-FRI *)"]),
    ("every night at 11pm", ["cron(0 23 * * ? *)"]),
    ("once a week", ["cron(0 0 ? * MON *)"]),
    ("every day at 5 o'clock", ["cron(0 5 * * ? *)"]),
    ("every day at 9 a.m.", ["cron(0 9 * * ? *)"]),
    ("every 20 minutes between 10pm and 2am", ["cron(0/20 0,1,22,23 * * ? *)"]),
]

# (phrase, timezone, expected local wall time of the single run)
ONE_OFF: list[tuple[str, str, datetime]] = [
    ("in 5 minutes", "UTC", datetime(2026, 3, 4, 10, 5)),
    ("in 2 hours", "UTC", datetime(2026, 3, 4, 12, 0)),
    ("in 1 minute", "UTC", datetime(2026, 3, 4, 10, 1)),
    ("in 30 minutes", "UTC", datetime(2026, 3, 4, 10, 30)),
    ("in an hour", "UTC", datetime(2026, 3, 4, 11, 0)),
    ("in a week", "UTC", datetime(2026, 3, 11, 10, 0)),
    ("3 hours from now", "UTC", datetime(2026, 3, 4, 13, 0)),
    ("tomorrow at 9am", "UTC", datetime(2026, 3, 5, 9, 0)),
    ("tomorrow at 9am", "America/New_York", datetime(2026, 3, 5, 9, 0)),
    ("tomorrow at 2pm", "Europe/London", datetime(2026, 3, 5, 14, 0)),
    ("next monday at 8am", "UTC", datetime(2026, 3, 9, 8, 0)),
    ("tonight at 11pm", "UTC", datetime(2026, 3, 4, 23, 0)),
    ("tonight", "UTC", datetime(2026, 3, 4, 20, 0)),
    ("noon tomorrow", "UTC", datetime(2026, 3, 5, 12, 0)),
    ("tomorrow at noon", "Asia/Kolkata", datetime(2026, 3, 5, 12, 0)),
    ("friday at 5pm", "UTC", datetime(2026, 3, 6, 17, 0)),
    ("at 9am", "UTC", datetime(2026, 3, 5, 9, 0)),  # already past today -> tomorrow
    ("at 5pm", "UTC", datetime(2026, 3, 4, 17, 0)),
    ("dec 25 at 9am", "UTC", datetime(2026, 12, 25, 9, 0)),
    ("2026-12-31T23:59:00", "UTC", datetime(2026, 12, 31, 23, 59)),
    ("2026-12-31 23:59", "Australia/Sydney", datetime(2026, 12, 31, 23, 59)),
    ("2026-06-01T12:00:00+02:00", "UTC", datetime(2026, 6, 1, 10, 0)),
    ("2026-06-01T12:00:00Z", "America/New_York", datetime(2026, 6, 1, 8, 0)),
    ("2026-06-01", "UTC", datetime(2026, 6, 1, 0, 0)),
]


@pytest.mark.parametrize(("phrase", "expected"), RECURRING)
def test_recurring_phrase(phrase: str, expected: list[str]):
    compiled = compile_schedule(phrase, "UTC", now=NOW)
    assert compiled.expressions == expected
    assert compiled.kind is ScheduleKind.RECURRING
    assert compiled.source_form == "natural_recurring"
    assert compiled.description
    assert preview(compiled, after=NOW, count=2)


@pytest.mark.parametrize(("phrase", "tz", "wall"), ONE_OFF)
def test_one_off_phrase(phrase: str, tz: str, wall: datetime):
    compiled = compile_schedule(phrase, tz, now=NOW)
    assert compiled.kind is ScheduleKind.ONE_TIME
    assert compiled.expressions == [f"at({wall:%Y-%m-%dT%H:%M:%S})"]
    assert compiled.timezone == tz
    runs = preview(compiled, after=NOW, count=3)
    assert len(runs) == 1
    assert runs[0].astimezone(compiled_zone(tz)).replace(tzinfo=None) == wall


def compiled_zone(tz: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


def test_table_sizes():
    assert len(RECURRING) + len(ONE_OFF) >= 60


def test_source_forms():
    assert compile_schedule("in 5 minutes", now=NOW).source_form == "natural_one_off"
    assert compile_schedule("tomorrow at 9am", now=NOW).source_form == "natural_one_off"
    assert compile_schedule("2026-06-01T12:00:00Z", now=NOW).source_form == "iso8601"


def test_in_hours_is_real_time_across_dst():
    # 2026-03-08 01:30 EST + 2 real hours = 04:30 EDT (not 03:30 wall time).
    now = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
    compiled = compile_schedule("in 2 hours", "America/New_York", now=now)
    assert compiled.expressions == ["at(2026-03-08T04:30:00)"]


def test_phrase_with_explicit_zone_is_converted():
    compiled = compile_schedule("tomorrow at 9am UTC", "America/New_York", now=NOW)
    assert compiled.expressions == ["at(2026-03-05T04:00:00)"]


def test_descriptions():
    assert compile_schedule("every weekday at 9am", now=NOW).description == (
        "At 09:00, Monday through Friday"
    )
    assert compile_schedule("every 2 hours", now=NOW).description == "Every 2 hours"
    assert compile_schedule("every 2 days", now=NOW).description == "Every 2 days"
    assert compile_schedule("every last friday of the month", now=NOW).description == (
        "At 00:00, on the last Friday of the month"
    )
