"""Calendar exclusions of a schedule: the fires its task must not run.

Four kinds of rule, each an object with its own key so a request names what it means:
public holidays (``{"holidays": "US", "subdivision": "CA"}``), dates (``{"dates":
["2026-12-24", "12-31"]}``, ``MM-DD`` every year), days of the week (``{"days": ["SAT",
"SUN"]}``) and date-time windows (``{"from": ..., "to": ...}``). Dates and naive
date-times are read in the schedule's timezone.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

MAX_RULES = 20
MAX_DATES = 366
DAY_CODES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
Day = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
_DATE = re.compile(r"^(?:(\d{4})-)?(\d{2})-(\d{2})$")
RuleName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]


def _check_date(value: str) -> str:
    match = _DATE.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a date: use YYYY-MM-DD, or MM-DD for every year")
    year, month, day = match.groups()
    # MM-DD is checked against a leap year so 02-29 is allowed (it applies in leap years).
    date(int(year) if year else 2028, int(month), int(day))
    return value


ExcludedDate = Annotated[str, AfterValidator(_check_date)]


class HolidayRule(BaseModel):
    """Public holidays of a country (ISO 3166 code), optionally of one subdivision."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    holidays: str = Field(min_length=2, max_length=3, pattern=r"^[A-Za-z]{2,3}$")
    subdivision: str | None = Field(default=None, min_length=1, max_length=10)
    # Days a holiday is observed on (a Saturday holiday observed on the Friday) count.
    observed: bool = True


class DatesRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dates: list[ExcludedDate] = Field(min_length=1, max_length=MAX_DATES)
    name: RuleName | None = None


class DaysRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    days: list[Day] = Field(min_length=1, max_length=7)


class WindowRule(BaseModel):
    """A blackout: no run from ``from`` (inclusive) to ``to`` (exclusive)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    from_: datetime = Field(alias="from")
    to: datetime
    name: RuleName | None = None

    @model_validator(mode="after")
    def _ordered(self) -> WindowRule:
        if (self.from_.tzinfo is None) != (self.to.tzinfo is None):
            raise ValueError("give 'from' and 'to' both with an offset or both without")
        if self.to <= self.from_:
            raise ValueError("the window ends before it starts: 'to' must be after 'from'")
        return self


_KINDS = ("holidays", "dates", "days", "from")


def _kind(value: Any) -> str | None:
    """Which rule an object is, by its key (so a bad rule gets one kind's errors)."""
    if isinstance(value, BaseModel):
        return "from" if isinstance(value, WindowRule) else _kind(value.model_dump())
    if isinstance(value, dict):
        for key in _KINDS:
            if key in value:
                return key
        if "to" in value:
            return "from"
    return None


ExclusionRule = Annotated[
    Annotated[HolidayRule, Tag("holidays")]
    | Annotated[DatesRule, Tag("dates")]
    | Annotated[DaysRule, Tag("days")]
    | Annotated[WindowRule, Tag("from")],
    Discriminator(
        _kind,
        custom_error_type="unknown_exclusion",
        custom_error_message="an exclusion has one of the keys holidays, dates, days or from/to",
    ),
]


def _limits(rules: list[ExclusionRule]) -> list[ExclusionRule]:
    dates = sum(len(rule.dates) for rule in rules if isinstance(rule, DatesRule))
    if dates > MAX_DATES:
        raise ValueError(f"at most {MAX_DATES} dates in all (got {dates}); use a window")
    return rules


Exclusions = Annotated[list[ExclusionRule], Field(max_length=MAX_RULES), AfterValidator(_limits)]
