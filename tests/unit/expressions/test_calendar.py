"""Calendar exclusions: holidays of several countries (moving and observed days),
dates, days of the week, and windows read in the schedule's zone across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter, ValidationError

from jobscheduler.errors import InvalidExclusion
from jobscheduler.expressions import next_runs
from jobscheduler.expressions.calendar import Calendar, check_rules, scan
from jobscheduler.models.calendars import ExclusionRule, Exclusions

RULES = TypeAdapter(Exclusions)


def rules(*raw: dict[str, object]) -> list[ExclusionRule]:
    return RULES.validate_python(list(raw))


def skipped_days(
    raw: list[dict[str, object]], timezone: str, year: int, expression: str = "cron(0 9 * * ? *)"
) -> dict[date, str]:
    """Every fire of a daily 09:00 schedule in ``year``: the excluded ones by local day."""
    tz = ZoneInfo(timezone)
    start = datetime(year, 1, 1, tzinfo=tz) - timedelta(microseconds=1)
    end = datetime(year, 12, 31, 23, 59, tzinfo=tz)
    calendar = Calendar(rules(*raw), timezone)
    fires = next_runs([expression], timezone, after=start, count=400, end_at=end)
    out: dict[date, str] = {}
    for fire in fires:
        reason = calendar.reason(fire)
        if reason is not None:
            out[fire.astimezone(tz).date()] = reason
    return out


# Written out by hand from the official calendars (not from the holidays package).
US_2026 = {
    date(2026, 1, 1): "New Year's Day",
    date(2026, 1, 19): "Martin Luther King Jr. Day",
    date(2026, 2, 16): "Washington's Birthday",
    date(2026, 5, 25): "Memorial Day",
    date(2026, 6, 19): "Juneteenth National Independence Day",
    date(2026, 7, 3): "Independence Day (observed)",  # July 4th is a Saturday
    date(2026, 7, 4): "Independence Day",
    date(2026, 9, 7): "Labor Day",
    date(2026, 10, 12): "Columbus Day",
    date(2026, 11, 11): "Veterans Day",
    date(2026, 11, 26): "Thanksgiving Day",
    date(2026, 12, 25): "Christmas Day",
}


def test_us_federal_holidays_of_a_year_with_observed_days() -> None:
    found = skipped_days([{"holidays": "US"}], "America/New_York", 2026)
    assert found == {day: f"holiday: {name}" for day, name in US_2026.items()}


def test_observed_days_can_be_left_out() -> None:
    found = skipped_days([{"holidays": "US", "observed": False}], "America/New_York", 2026)
    assert date(2026, 7, 3) not in found
    assert date(2026, 7, 4) in found


@pytest.mark.parametrize(
    ("year", "thanksgiving", "easter_monday"),
    [(2026, date(2026, 11, 26), date(2026, 4, 6)), (2027, date(2027, 11, 25), date(2027, 3, 29))],
)
def test_moving_holidays_move(year: int, thanksgiving: date, easter_monday: date) -> None:
    us = skipped_days([{"holidays": "US"}], "America/Chicago", year)
    assert us[thanksgiving] == "holiday: Thanksgiving Day"
    assert thanksgiving - timedelta(days=1) not in us
    assert thanksgiving + timedelta(days=7) not in us
    de = skipped_days([{"holidays": "DE", "subdivision": "BY"}], "Europe/Berlin", year)
    assert de[easter_monday] == "holiday: Easter Monday"
    assert easter_monday - timedelta(days=3) in de  # Good Friday moves with it


def test_subdivisions_differ() -> None:
    # Corpus Christi (2026-06-04) is a holiday in Bavaria, not in Berlin; Berlin has
    # International Women's Day (March 8th), Bavaria has not.
    bavaria = skipped_days([{"holidays": "DE", "subdivision": "BY"}], "Europe/Berlin", 2026)
    berlin = skipped_days([{"holidays": "DE", "subdivision": "BE"}], "Europe/Berlin", 2026)
    assert date(2026, 6, 4) in bavaria
    assert date(2026, 6, 4) not in berlin
    assert date(2026, 3, 8) in berlin
    assert date(2026, 3, 8) not in bavaria
    california = skipped_days(
        [{"holidays": "US", "subdivision": "CA"}], "America/Los_Angeles", 2026
    )
    assert date(2026, 3, 31) in california  # Cesar Chavez Day
    assert date(2026, 3, 31) not in skipped_days([{"holidays": "US"}], "America/New_York", 2026)


def test_uk_substitute_days() -> None:
    # 2026-12-26 is a Saturday: Boxing Day is observed on Monday the 28th. England has
    # Easter Monday and the late summer bank holiday, Scotland has neither.
    england = skipped_days([{"holidays": "GB", "subdivision": "ENG"}], "Europe/London", 2026)
    assert england[date(2026, 12, 28)] == "holiday: Boxing Day (observed)"
    assert date(2026, 4, 3) in england  # Good Friday
    assert date(2026, 4, 6) in england
    assert date(2026, 8, 31) in england
    assert len(england) == 9
    scotland = skipped_days([{"holidays": "GB", "subdivision": "SCT"}], "Europe/London", 2026)
    assert date(2026, 4, 6) not in scotland
    assert date(2026, 1, 2) in scotland


def test_japan_and_the_day_boundary_is_local() -> None:
    # 09:00 in Tokyo is 00:00 UTC: the day that counts is Tokyo's.
    jp = skipped_days([{"holidays": "JP"}], "Asia/Tokyo", 2026)
    assert date(2026, 1, 1) in jp
    assert date(2026, 5, 5) in jp
    late = skipped_days([{"holidays": "US"}], "America/Los_Angeles", 2026, "cron(30 23 * * ? *)")
    # 23:30 in Los Angeles on Thanksgiving is already the 27th in UTC: still skipped.
    assert date(2026, 11, 26) in late
    assert date(2026, 11, 27) not in late


def test_dates_days_and_reasons() -> None:
    found = skipped_days(
        [
            {"days": ["SAT", "SUN"]},
            {"dates": ["12-24", "12-25", "2026-08-03"], "name": "office closed"},
        ],
        "UTC",
        2026,
    )
    assert found[date(2026, 12, 24)] == "excluded date: office closed"
    assert found[date(2026, 8, 3)] == "excluded date: office closed"
    assert found[date(2026, 12, 26)] == "excluded day: Saturday"
    assert len(found) == 104 + 3
    assert date(2027, 12, 24) in skipped_days([{"dates": ["12-24"]}], "UTC", 2027)
    assert date(2027, 8, 3) not in skipped_days([{"dates": ["2026-08-03"]}], "UTC", 2027)


def _fires(raw: list[dict[str, Any]], expression: str, tz: str, start: datetime, n: int):
    calendar = Calendar(rules(*raw), tz)
    return scan(
        [expression],
        tz,
        calendar,
        after=start,
        count=n,
        anchor=start,
        list_skipped=True,
    )


def test_window_across_spring_forward() -> None:
    # New York, 2026-03-08: 02:00 does not exist. A window from 01:30 to 03:30 local is
    # one real hour long (06:30Z to 07:30Z).
    ny = ZoneInfo("America/New_York")
    window = {"from": "2026-03-08T01:30:00", "to": "2026-03-08T03:30:00", "name": "freeze"}
    fires = _fires(
        [window], "rate(15 minutes)", "America/New_York", datetime(2026, 3, 8, 6, 0, tzinfo=UTC), 4
    )
    got = [(f.at.astimezone(ny).strftime("%H:%M"), f.skipped) for f in fires]
    assert got == [
        ("01:15", None),
        ("01:30", "blackout: freeze"),
        ("01:45", "blackout: freeze"),
        ("03:00", "blackout: freeze"),
        ("03:15", "blackout: freeze"),
        ("03:30", None),
        ("03:45", None),
        ("04:00", None),
    ]


def test_window_across_fall_back_is_two_real_hours() -> None:
    # New York, 2026-11-01: 01:00-02:00 happens twice. A window from 01:00 (the first)
    # to 02:00 (after the repeat) covers both passes: 05:00Z to 07:00Z.
    window = {"from": "2026-11-01T01:00:00", "to": "2026-11-01T02:00:00"}
    fires = _fires(
        [window],
        "rate(30 minutes)",
        "America/New_York",
        datetime(2026, 11, 1, 4, 45, tzinfo=UTC),
        2,
    )
    got = [(f.at.strftime("%H:%MZ"), f.skipped) for f in fires]
    assert got == [
        ("04:45Z", None) if False else ("05:15Z", "blackout"),
        ("05:45Z", "blackout"),
        ("06:15Z", "blackout"),
        ("06:45Z", "blackout"),
        ("07:15Z", None),
        ("07:45Z", None),
    ]


def test_window_with_offsets_is_absolute() -> None:
    calendar = Calendar(
        rules({"from": "2026-06-01T10:00:00+00:00", "to": "2026-06-01T11:00:00+00:00"}),
        "Asia/Tokyo",
    )
    assert calendar.reason(datetime(2026, 6, 1, 10, 30, tzinfo=UTC)) == "blackout"
    assert calendar.reason(datetime(2026, 6, 1, 11, 0, tzinfo=UTC)) is None


def test_scan_steps_over_long_exclusions_quickly() -> None:
    # Every minute, a blackout of a whole year: one step, not half a million fires.
    calendar = Calendar(rules({"from": "2026-01-01T00:00:00", "to": "2027-01-01T00:00:00"}), "UTC")
    start = datetime(2025, 12, 31, 23, 58, tzinfo=UTC)
    fires = scan(["rate(1 minute)"], "UTC", calendar, after=start, count=3, anchor=start)
    assert [f.at for f in fires] == [
        datetime(2025, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2027, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2027, 1, 1, 0, 1, tzinfo=UTC),
    ]


def test_a_calendar_that_excludes_everything_ends_the_search() -> None:
    calendar = Calendar(rules({"days": ["SAT", "SUN"]}), "UTC")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert scan(["cron(0 9 ? * SAT *)"], "UTC", calendar, after=start, count=1) == []


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"holidays": "XX"}, "no public holidays"),
        ({"holidays": "US", "subdivision": "ZZ"}, "no subdivision"),
    ],
)
def test_unknown_country_or_subdivision(raw: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidExclusion, match=words) as caught:
        check_rules(rules(raw))
    assert caught.value.status == 422
    assert caught.value.code == "invalid_exclusion"


def test_unknown_country_suggests_a_known_one() -> None:
    with pytest.raises(InvalidExclusion) as caught:
        check_rules(rules({"holidays": "USA", "subdivision": "CAL"}))
    # USA is a known alias of the US; CAL is no Californian code but CA is close.
    assert caught.value.suggestion == "CA"


@pytest.mark.parametrize(
    "raw",
    [
        [{"from": "2026-12-24T00:00:00", "to": "2026-12-23T00:00:00"}],
        [{"from": "2026-12-24T00:00:00", "to": "2026-12-24T00:00:00"}],
        [{"from": "2026-12-24T00:00:00+01:00", "to": "2026-12-25T00:00:00"}],
        [{"dates": ["02-30"]}],
        [{"dates": ["2026-13-01"]}],
        [{"dates": ["24.12."]}],
        [{"dates": [(date(2026, 1, 1) + timedelta(days=n)).isoformat() for n in range(367)]}],
        [{"dates": ["12-24"] * 200}, {"dates": ["12-25"] * 200}],
        [{"days": ["SATURDAY"]}],
        [{"holidays": "U$"}],
        [{"what": "ever"}],
        [{"holidays": "US", "dates": ["12-24"]}],
        [{"days": ["SAT"]}] * 21,
    ],
)
def test_bad_rules_are_refused(raw: list[dict[str, object]]) -> None:
    with pytest.raises(ValidationError):
        RULES.validate_python(raw)
