"""Whatever the input, compile_schedule returns or raises InvalidExpression (a 422),
never another exception (a 500)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jobscheduler.errors import InvalidExpression
from jobscheduler.expressions import compile_schedule
from tests.unit.expressions.conftest import NOW

TOKENS = [
    "*",
    "?",
    "/",
    "-",
    ",",
    "L",
    "W",
    "#",
    "0",
    "1",
    "7",
    "15",
    "31",
    "59",
    "60",
    "2199",
    "MON",
    "jan",
    "cron(",
    "rate(",
    "at(",
    ")",
    " ",
    "every",
    "at",
    "on",
    "the",
    "day",
    "minutes",
    "hour",
    "between",
    "and",
    "9am",
    "noon",
    "12:30",
    "1st",
    "last",
    "of",
    "month",
    "week",
    "weekday",
    "in",
    "tomorrow",
    "2026-02-30",
    "T",
    ":",
    "Z",
    "+05:30",
]


def _outcome(text: str, tz: str) -> str:
    """The compiled expressions, or the refusal's message; anything else propagates."""
    try:
        return " ".join(compile_schedule(text, tz, now=NOW).expressions)
    except InvalidExpression as error:
        return error.message


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=9).map("".join))
def test_token_soup_never_crashes(text: str):
    assert _outcome(text, "America/New_York")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=8).map(" ".join))
def test_word_soup_never_crashes(text: str):
    assert _outcome(text, "Europe/London")
