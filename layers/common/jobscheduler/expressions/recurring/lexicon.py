"""Words and regex fragments the clause patterns are built from."""

from __future__ import annotations

from jobscheduler.expressions.vocabulary import COUNT_WORDS, MONTH_NUMBERS

# EventBridge numbering: 1 = Sunday.
DAYS = {
    "sunday": 1,
    "sun": 1,
    "monday": 2,
    "mon": 2,
    "tuesday": 3,
    "tues": 3,
    "tue": 3,
    "wednesday": 4,
    "wed": 4,
    "thursday": 5,
    "thurs": 5,
    "thur": 5,
    "thu": 5,
    "friday": 6,
    "fri": 6,
    "saturday": 7,
    "sat": 7,
}
MONTHS = MONTH_NUMBERS
NUMBER_WORDS = {**COUNT_WORDS, "forty five": 45, "other": 2}
ORDINAL_COUNT = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
NTH = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
    "5th": 5,
}

DAY = r"(?:" + "|".join(sorted(DAYS, key=len, reverse=True)) + r")s?"
MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")"
SEP = r"\s*(?:,\s*and|,|and|&|or|\+)\s*"
ORD = r"\d{1,2}(?:st|nd|rd|th)?"
TIME = r"(?:\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)|\d{1,2}:\d{2}|noon|midday|midnight)"
TIME_OR_HOUR = r"(?:" + TIME + r"|\d{1,2})"
OF_MONTH = r"(?:\s+(?:day\s+)?of\s+(?:the|every|each)\s+month)"
