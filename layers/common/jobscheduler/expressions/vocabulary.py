"""The words the plain-English grammars understand, and the refusal for the others.

A phrase is compiled only when every word is understood. When one is not, the 422
names the words (``details.not_understood``) and, for a typo, proposes the phrase with
the nearest known word; the compiler keeps that proposal only if it compiles.
"""

from __future__ import annotations

import difflib
import re

from jobscheduler.errors import InvalidExpression

DAY_WORDS = [
    "sunday",
    "sun",
    "monday",
    "mon",
    "tuesday",
    "tues",
    "tue",
    "wednesday",
    "wed",
    "thursday",
    "thurs",
    "thur",
    "thu",
    "friday",
    "fri",
    "saturday",
    "sat",
]
MONTH_WORDS = [
    "january",
    "jan",
    "february",
    "feb",
    "march",
    "mar",
    "april",
    "apr",
    "may",
    "june",
    "jun",
    "july",
    "jul",
    "august",
    "aug",
    "september",
    "sept",
    "sep",
    "october",
    "oct",
    "november",
    "nov",
    "december",
    "dec",
]
NUMBER_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "fifteen",
    "twenty",
    "thirty",
    "forty-five",
    "forty",
    "sixty",
    "other",
    "half",
    "quarter",
]
ORDINAL_WORDS = ["first", "second", "third", "fourth", "fifth", "last"]
UNIT_WORDS = [
    "minute",
    "minutes",
    "min",
    "mins",
    "hour",
    "hours",
    "hr",
    "hrs",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "second",
    "seconds",
    "sec",
    "secs",
    "quarter",
    "quarters",
]
KEYWORDS = [
    "every",
    "each",
    "at",
    "on",
    "in",
    "of",
    "the",
    "and",
    "or",
    "to",
    "from",
    "between",
    "until",
    "till",
    "through",
    "thru",
    "past",
    "a",
    "an",
    "per",
    "once",
    "twice",
    "daily",
    "nightly",
    "hourly",
    "weekly",
    "monthly",
    "quarterly",
    "yearly",
    "annually",
    "everyday",
    "weekday",
    "weekdays",
    "weekend",
    "weekends",
    "business",
    "working",
    "noon",
    "midday",
    "midnight",
    "morning",
    "afternoon",
    "evening",
    "night",
    "tonight",
    "today",
    "tomorrow",
    "yesterday",
    "next",
    "this",
    "coming",
    "now",
    "from",
    "starting",
    "beginning",
    "then",
    "only",
    "during",
    "am",
    "pm",
    "top",
    "run",
    "runs",
    "repeat",
    "repeats",
    "after",
]

VOCABULARY = frozenset(
    DAY_WORDS
    + [d + "s" for d in DAY_WORDS if len(d) > 3]
    + MONTH_WORDS
    + NUMBER_WORDS
    + ORDINAL_WORDS
    + UNIT_WORDS
    + KEYWORDS
)
# Only whole words are suggested as typo fixes (never an abbreviation such as "mon").
_SUGGESTABLE = sorted(w for w in VOCABULARY if len(w) > 3)

# Numbers, times and ordinals are understood by their shape, not listed.
_SHAPED = re.compile(
    r"^(?:\d+(?:st|nd|rd|th)?|\d{1,2}(?:[:.]\d{2})?(?:am|pm)?|:\d{2}|\d{4}-\d{2}-\d{2}|"
    r"o'?clock|[,&+;:-])$"
)


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9:.'\-]+|[,&+;]", text.lower())


def unknown_words(text: str) -> list[str]:
    """Words of ``text`` that no grammar knows, in order, without repeats."""
    seen: list[str] = []
    for word in words_of(text):
        bare = word.strip(".")
        if not bare or bare in VOCABULARY or _SHAPED.match(bare) or bare in seen:
            continue
        seen.append(bare)
    return seen


def closest_word(word: str) -> str | None:
    close = difflib.get_close_matches(word, _SUGGESTABLE, n=1, cutoff=0.75)
    return close[0] if close else None


def with_typos_fixed(phrase: str, words: list[str]) -> str | None:
    """``phrase`` with each unknown word replaced by its nearest known word, or None
    when one of them has no near word."""
    fixed = phrase
    for word in words:
        near = closest_word(word)
        if near is None:
            return None
        fixed = re.sub(rf"(?<![a-z]){re.escape(word)}(?![a-z])", near, fixed, flags=re.I)
    return fixed


def not_understood(source: str, rest: str, suggestion: str | None = None) -> InvalidExpression:
    """The catalog's `invalid_schedule` error for a phrase with words we do not understand
    (or known words in an order we do not know); `details.not_understood` lists them."""
    words = unknown_words(rest)
    if words:
        listed = ", ".join(repr(w) for w in words)
        message = (
            f"could not understand {listed} in {source!r}; every word of a schedule "
            "must be understood, nothing is guessed"
        )
        if suggestion is None:
            suggestion = with_typos_fixed(source, words)
    else:
        words = [rest]
        message = (
            f"could not understand {rest!r} in {source!r}: the words are known but not "
            "in an order we understand"
        )
    error = InvalidExpression(message, suggestion=suggestion)
    error.details = {"not_understood": words} | ({"suggestion": suggestion} if suggestion else {})
    return error
