"""Recurring schedules in plain English -> EventBridge cron or rate.

A small grammar of our own (date parsers know single dates, not recurrences). The
phrase is a sequence of clauses in any order, each recognised by a regex at the head of
what is left (``table``); anything left over is a 422 naming the words not understood.
One module per clause family:

* ``intervals``: ``every N minutes|hours|days|weeks|months``, ``every 3rd day``,
  ``every minute|hour|day|week|month|quarter|year``, ``hourly``, ``daily``, ``nightly``,
  ``weekly``, ``monthly``, ``quarterly``, ``yearly``, ``annually``, ``everyday``,
  ``twice a day``, ``once a week``...
* ``weekdays``: ``every monday and friday``, ``on weekdays``, ``every weekend``,
  ``mondays``, ``monday to friday``, ``the first monday of the month``,
  ``last friday of the month``
* ``month_days``: ``on the 1st and 15th``, ``every 15th of the month``,
  ``the last day of the month``
* ``months``: ``on jan 1``, ``in january and july``
* ``times``: ``at 9am``, ``at 9:30am and 5pm``, ``at 21:00``, ``at noon``, ``at midnight``,
  ``at :15`` / ``at 15 past`` / ``at quarter past`` (minute of the hour),
  ``between 9am and 5pm`` (hour window, end excluded), ``half past 9``, and a part of
  the day that moves an hour without am/pm into it (``every evening at 6`` = 18:00)

``checks`` holds the rules over the whole phrase and ``crons`` turns what was read into
cron fields. Choices (documented in docs/expressions.md): intervals that divide the hour
(minutes) or the day (hours) become clock-aligned crons (``every 15 minutes`` fires at
:00, :15, :30, :45); other intervals become ``rate()`` from the schedule's start.
``every week`` is Monday 00:00, ``every month`` the 1st at 00:00, ``every year``
January 1st 00:00, a day without a time runs at 00:00, ``twice a day`` is 00:00 and
12:00.
"""

from __future__ import annotations

import re

from jobscheduler.expressions.eventbridge import CronSpec, RateSpec
from jobscheduler.expressions.recurring import checks, crons
from jobscheduler.expressions.recurring.table import normalise, read_clauses
from jobscheduler.expressions.recurring.times import parse_time

__all__ = ["is_recurring_phrase", "parse_recurring", "parse_time"]

_ALL_YEARS = frozenset(range(1970, 2200))
_RECURRING_HINT = re.compile(
    r"\b(every|each|everyday|daily|nightly|hourly|weekly|monthly|quarterly|yearly|annually|"
    r"twice|once|weekdays|weekends|(?:mon|tues|wednes|thurs|fri|satur|sun)days|"
    r"(?:of|in)\s+(?:the|each|every|a)\s+month)\b"
    # Two days of the month ("on the 1st and 15th"): a one-off runs once, so it repeats.
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s*(?:,|and|&)\s*(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b"
)


def is_recurring_phrase(lowered: str) -> bool:
    return _RECURRING_HINT.search(lowered) is not None


def parse_recurring(lowered: str, source: str) -> list[CronSpec] | RateSpec:
    """Compile a recurring English phrase (already lower-cased)."""
    checks.refuse_zone_words(lowered, source)
    s = read_clauses(normalise(lowered), source)
    checks.finish_times(s, source)
    checks.check_days(s, source)
    value, unit = checks.interval(s, source)
    if unit == "minute":
        timed = crons.minute_times(s, value, source)
    elif unit == "hour":
        timed = crons.hour_times(s, value, source)
    else:
        timed = crons.day_times(s, value, unit, source)
    if isinstance(timed, RateSpec):
        return timed
    months = crons.month_field(s, value, unit)
    crons.default_days(s, unit)
    dom, dow = crons.day_fields(s)
    return [CronSpec(mins, hrs, dom, months, dow, _ALL_YEARS) for mins, hrs in timed]
