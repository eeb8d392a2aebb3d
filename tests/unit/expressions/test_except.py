"""Plain English "... except ...": the rules each clause means, and refusals that name
the words not understood or the missing country (with a suggestion that compiles)."""

from __future__ import annotations

from typing import Any

import pytest

from jobscheduler.errors import InvalidExclusion, InvalidExpression
from jobscheduler.expressions import compile_schedule

from .conftest import NOW

# (phrase, holiday_country, expressions, exclusions as JSON)
UNDERSTOOD: list[tuple[str, str | None, list[str], list[dict[str, Any]]]] = [
    (
        "every weekday at 9am except holidays",
        "US",
        ["cron(0 9 ? * MON-FRI *)"],
        [{"holidays": "US", "subdivision": None, "observed": True}],
    ),
    (
        "every weekday at 9am except public holidays",
        "gb",
        ["cron(0 9 ? * MON-FRI *)"],
        [{"holidays": "GB", "subdivision": None, "observed": True}],
    ),
    (
        "every weekday at 9am except US holidays",
        None,
        ["cron(0 9 ? * MON-FRI *)"],
        [{"holidays": "US", "subdivision": None, "observed": True}],
    ),
    (
        "every day at 8:30 except DE-BY holidays",
        None,
        ["cron(30 8 * * ? *)"],
        [{"holidays": "DE", "subdivision": "BY", "observed": True}],
    ),
    ("every day at 9am except weekends", None, ["cron(0 9 * * ? *)"], [{"days": ["SAT", "SUN"]}]),
    (
        "every hour except saturdays and sundays",
        None,
        ["cron(0 * * * ? *)"],
        [{"days": ["SAT", "SUN"]}],
    ),
    (
        "every day at 9am except december 24-26",
        None,
        ["cron(0 9 * * ? *)"],
        [{"dates": ["12-24", "12-25", "12-26"], "name": None}],
    ),
    (
        "every day at noon except weekends, us holidays and dec 31st",
        None,
        ["cron(0 12 * * ? *)"],
        [
            {"days": ["SAT", "SUN"]},
            {"holidays": "US", "subdivision": None, "observed": True},
            {"dates": ["12-31"], "name": None},
        ],
    ),
    (
        "0 9 * * 1-5 except US holidays",
        None,
        ["cron(0 9 ? * MON-FRI *)"],
        [{"holidays": "US", "subdivision": None, "observed": True}],
    ),
    ("rate(1 hour) excluding weekends", None, ["rate(1 hour)"], [{"days": ["SAT", "SUN"]}]),
]


@pytest.mark.parametrize(("phrase", "country", "expressions", "rules"), UNDERSTOOD)
def test_except_clauses(
    phrase: str, country: str | None, expressions: list[str], rules: list[dict[str, Any]]
) -> None:
    compiled = compile_schedule(phrase, "UTC", now=NOW, holiday_country=country)
    assert compiled.expressions == expressions
    assert [rule.model_dump() for rule in compiled.exclude] == rules
    assert ", except " in compiled.description


def test_no_except_no_rules() -> None:
    assert compile_schedule("every day at 9am", now=NOW).exclude == []


@pytest.mark.parametrize(
    ("phrase", "error", "words"),
    [
        ("every day at 9am except holidays", InvalidExclusion, "without a country"),
        ("every day at 9am except feb 30", InvalidExclusion, "does not have"),
        ("every day at 9am except december 26-24", InvalidExclusion, "not a range"),
        ("every day at 9am except holydays", InvalidExpression, "'holydays'"),
        ("every day at 9am except mondays when raining", InvalidExpression, "'raining'"),
        ("every day at 9am except", InvalidExpression, ""),
        ("tomorrow at 9am except weekends", InvalidExpression, "recurring"),
        ("every day at 9am except weekends except holidays", InvalidExpression, "except"),
    ],
)
def test_refusals(phrase: str, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words) as caught:
        compile_schedule(phrase, "UTC", now=NOW)
    assert getattr(caught.value, "status", None) == 422


def test_missing_country_suggests_a_phrase_that_compiles() -> None:
    with pytest.raises(InvalidExclusion) as caught:
        compile_schedule("every weekday at 9am except holidays", now=NOW)
    suggestion = caught.value.suggestion
    assert suggestion == "every weekday at 9am except US holidays"
    assert compile_schedule(suggestion, now=NOW).exclude


def test_typo_in_the_clause_suggests_the_fixed_phrase_when_it_compiles() -> None:
    with pytest.raises(InvalidExpression) as caught:
        compile_schedule("every day at 9am except weekens", now=NOW)
    assert caught.value.suggestion == "every day at 9am except weekends"
