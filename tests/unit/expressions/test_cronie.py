"""Unix cron days follow cronie (the Linux crontab), pinned with exact runs.

cronie: when either day field starts with '*' a day must match both fields (AND);
otherwise a day matching either runs (OR). Day-of-week steps expand over 0-7.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobscheduler.errors import InvalidExpression
from jobscheduler.expressions import compile_schedule, next_runs

# Wednesday 2026-03-04 10:00 UTC; Paris springs forward on 2026-03-29.
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def _runs(expr: str, zone: str, count: int = 4) -> tuple[list[str], list[str]]:
    compiled = compile_schedule(expr, zone, now=NOW)
    runs = next_runs(compiled.expressions, zone, after=NOW, count=count)
    return compiled.expressions, [r.strftime("%m-%d %H:%M") for r in runs]


@pytest.mark.parametrize(
    ("expr", "zone", "expressions", "runs"),
    [
        # OR: a field that selects every day makes it every day.
        ("0 9 1 * 0-6", "UTC", ["cron(0 9 * * ? *)"], ["03-05 09:00", "03-06 09:00"]),
        ("0 9 1-31 * MON", "UTC", ["cron(0 9 * * ? *)"], ["03-05 09:00", "03-06 09:00"]),
        # AND with '*' (or '*/1') in one field: the other field alone.
        ("0 9 */1 * MON", "UTC", ["cron(0 9 ? * MON *)"], ["03-09 09:00", "03-16 09:00"]),
        ("0 9 * * 0-7", "UTC", ["cron(0 9 * * ? *)"], ["03-05 09:00", "03-06 09:00"]),
        ("0 9 */7 * *", "UTC", ["cron(0 9 1/7 * ? *)"], ["03-08 09:00", "03-15 09:00"]),
        # Day-of-week steps, expanded as cronie does over 0-7.
        (
            "0 9 * * */2",
            "UTC",
            ["cron(0 9 ? * SUN,TUE,THU,SAT *)"],
            ["03-05 09:00", "03-07 09:00"],
        ),
        ("0 9 * * 1-5/2", "UTC", ["cron(0 9 ? * MON,WED,FRI *)"], ["03-06 09:00", "03-09 09:00"]),
        (
            "0 9 * * 1-7/2",
            "UTC",
            ["cron(0 9 ? * SUN,MON,WED,FRI *)"],
            ["03-06 09:00", "03-08 09:00"],
        ),
        (
            "30 8 * * */3",
            "Europe/Paris",
            ["cron(30 8 ? * SUN,WED,SAT *)"],
            ["03-07 07:30", "03-08 07:30"],
        ),
        # OR of two restricted fields: two crons, their union.
        (
            "0 9 1,15 * MON",
            "UTC",
            ["cron(0 9 1,15 * ? *)", "cron(0 9 ? * MON *)"],
            ["03-09 09:00", "03-15 09:00"],
        ),
        (
            "0 9 1 * 1/2",
            "UTC",
            ["cron(0 9 1 * ? *)", "cron(0 9 ? * SUN,MON,WED,FRI *)"],
            ["03-06 09:00", "03-08 09:00"],
        ),
        # A day-of-month that never exists adds nothing to the OR.
        ("0 9 31 2 MON", "UTC", ["cron(0 9 ? 2 MON *)"], ["02-01 09:00", "02-08 09:00"]),
        # Across the Paris spring-forward: 09:00 local is 08:00 UTC, then 07:00 UTC.
        (
            "0 9 * * SUN",
            "Europe/Paris",
            ["cron(0 9 ? * SUN *)"],
            ["03-08 08:00", "03-15 08:00", "03-22 08:00", "03-29 07:00"],
        ),
    ],
)
def test_cronie_day_rules(expr: str, zone: str, expressions: list[str], runs: list[str]) -> None:
    got_expressions, got_runs = _runs(expr, zone)
    assert got_expressions == expressions
    assert got_runs[: len(runs)] == runs


@pytest.mark.parametrize(
    ("expr", "dom", "dow"),
    [
        ("0 9 */2 * MON", "'*/2'", "'MON'"),  # Mondays that are odd dates
        ("0 9 1 * */2", "'1'", "'*/2'"),
        ("0 9 */3 * 1-5", "'*/3'", "'1-5'"),
        ("0 9 1-7 * */7", "'1-7'", "'*/7'"),
    ],
)
def test_and_of_two_restricted_day_fields_is_refused_not_approximated(
    expr: str, dom: str, dow: str
) -> None:
    with pytest.raises(InvalidExpression) as info:
        compile_schedule(expr, "UTC", now=NOW)
    message = str(info.value)
    assert "cronie" in message
    assert f"day-of-month {dom} and day-of-week {dow}" in message
    assert "cannot combine the two day fields" in message
