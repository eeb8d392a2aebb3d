"""The recurring grammar's clause table: every clause a family module defines is in it,
and where two clauses can read the same words, the one the grammar means comes first."""

from __future__ import annotations

import re
from types import ModuleType

import pytest

from jobscheduler.expressions import compile_schedule
from jobscheduler.expressions.recurring import (
    intervals,
    month_days,
    months,
    table,
    times,
    weekdays,
)
from jobscheduler.expressions.recurring.state import Clause

from .conftest import NOW

FAMILIES: tuple[ModuleType, ...] = (intervals, weekdays, month_days, months, times, table)


def _defined(module: ModuleType) -> list[Clause]:
    return [value for value in vars(module).values() if isinstance(value, Clause)]


def _first_reader(text: str) -> Clause:
    return next(c for c in table.CLAUSES if re.match(c.pattern, text))


def test_every_clause_a_family_defines_is_in_the_table_once() -> None:
    defined = [clause for module in FAMILIES for clause in _defined(module)]
    assert len(defined) == len(table.CLAUSES) == len(set(map(id, table.CLAUSES)))
    assert {id(c) for c in defined} == {id(c) for c in table.CLAUSES}


@pytest.mark.parametrize(
    ("head", "meant", "also_matches", "phrase", "expressions"),
    [
        (
            "half past 9",
            times.HALF_PAST,
            times.MINUTE_OF_HOUR,
            "every day at half past 9",
            ["cron(30 9 * * ? *)"],
        ),
        (
            "1st of january",
            months.DAY_MONTH,
            month_days.DAYS_OF_MONTH,
            "every year on the 1st of january at 8am",
            ["cron(0 8 1 1 ? *)"],
        ),
        (
            "the 1st monday",
            weekdays.NTH_ON,
            month_days.DAYS_OF_MONTH,
            "every month on the 1st monday at 8am",
            ["cron(0 8 ? * MON#1 *)"],
        ),
        (
            "at 15 past",
            times.MINUTE_OF_HOUR,
            times.AT_TIMES,
            "every hour at 15 past",
            ["cron(15 * * * ? *)"],
        ),
    ],
)
def test_the_clause_meant_reads_words_two_clauses_could_read(
    head: str,
    meant: Clause,
    also_matches: Clause,
    phrase: str,
    expressions: list[str],
) -> None:
    assert re.match(also_matches.pattern, head) is not None  # the order does matter here
    assert _first_reader(head) is meant
    compiled = compile_schedule(phrase, "UTC", now=NOW)
    assert compiled.expressions == expressions
