"""Exclusions through the API: next_run_at and the preview skip them, bad ones are
refused with 422 and nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests.integration.api.conftest import Api, EventQueue, all_items, entries

# Thanksgiving 2030 is Thursday, November 28th.
BEFORE_THANKSGIVING = "2030-11-28T00:00:00-05:00"


@pytest.fixture
def unchanged(api: Api, sns_events: EventQueue) -> Iterator[None]:
    sns_events.read()
    items, found = all_items(), entries()
    yield
    assert all_items() == items
    assert entries() == found
    assert sns_events.read() == []


def _error(result: Any, code: str) -> dict[str, Any]:
    assert result.status == 422, result.text
    error: dict[str, Any] = result.json["error"]
    assert error["code"] == code, error
    assert error["message"]
    return error


def test_next_run_at_steps_over_a_holiday(api: Api) -> None:
    created = api.create(
        schedule="every weekday at 9am",
        timezone="America/New_York",
        start_at=BEFORE_THANKSGIVING,
        exclude=[{"holidays": "US"}],
    )
    assert created["next_run_at"].startswith("2030-11-29T14:00:00")
    assert created["exclusions"] == [{"holidays": "US", "subdivision": None, "observed": True}]
    assert created["skipped_runs"] == 0
    # The Scheduler entry stays the plain expression: exclusions apply when fires arrive.
    [entry] = entries().values()
    assert entry["ScheduleExpression"] == "cron(0 9 ? * MON-FRI *)"


def test_plain_english_except_holidays_takes_the_country_from_the_request(api: Api) -> None:
    created = api.create(
        schedule="every weekday at 9am except holidays",
        timezone="America/New_York",
        start_at=BEFORE_THANKSGIVING,
        holiday_country="US",
    )
    assert created["exclude"] == []
    assert [r["holidays"] for r in created["exclusions"]] == ["US"]
    assert created["next_run_at"].startswith("2030-11-29T14:00:00")
    assert "except holidays" in created["schedule_description"]


def test_except_holidays_without_a_country_is_refused_with_a_suggestion(
    api: Api, unchanged: None
) -> None:
    result = api.request(
        "create",
        body=_body(schedule="every weekday at 9am except holidays"),
    )
    error = _error(result, "invalid_exclusion")
    assert "holiday_country" in error["message"]
    suggestion = error["details"]["suggestion"]
    assert suggestion == "every weekday at 9am except US holidays"
    # The suggestion works as it is.
    ok = api.request("preview", body={"schedule": suggestion})
    assert ok.status == 200, ok.text


def _body(**changes: Any) -> dict[str, Any]:
    from tests.integration.api.conftest import create_body

    return create_body(**changes)


@pytest.mark.parametrize(
    ("exclude", "code", "words"),
    [
        ([{"holidays": "XX"}], "invalid_exclusion", "no public holidays"),
        ([{"holidays": "DE", "subdivision": "XY"}], "invalid_exclusion", "no subdivision"),
        (
            [{"from": "2030-12-24T00:00:00", "to": "2030-12-23T00:00:00"}],
            "validation_error",
            "ends before it starts",
        ),
        (
            [{"dates": [(date(2030, 1, 1) + timedelta(days=n)).isoformat() for n in range(367)]}],
            "validation_error",
            "366",
        ),
        ([{"dates": ["12-24"] * 200}, {"dates": ["12-25"] * 200}], "validation_error", "366"),
        ([{"weekday": "SAT"}], "validation_error", "holidays, dates, days or from/to"),
        (
            [{"days": ["SAT", "SUN", "MON", "TUE", "WED", "THU", "FRI"]}],
            "invalid_exclusion",
            "no run",
        ),
    ],
)
def test_bad_exclusions_are_refused_and_nothing_is_written(
    api: Api, unchanged: None, exclude: list[Any], code: str, words: str
) -> None:
    result = api.request("create", body=_body(exclude=exclude))
    error = _error(result, code)
    assert words in result.text
    preview = api.request("preview", body={"schedule": "0 9 * * *", "exclude": exclude})
    assert preview.status == 422
    assert preview.json["error"]["code"] == error["code"]


def test_unknown_country_in_english_is_refused(api: Api, unchanged: None) -> None:
    result = api.request("create", body=_body(schedule="every day at 9am except XQ holidays"))
    _error(result, "invalid_exclusion")
    result = api.request("create", body=_body(schedule="every day at 9am except holydays"))
    error = _error(result, "invalid_schedule")
    assert error["details"]["not_understood"] == ["holydays"]


def test_preview_marks_the_skipped_fires(api: Api) -> None:
    request = {
        "schedule": "every day at 9am except weekends",
        "timezone": "Europe/Berlin",
        "start_at": "2030-12-23T00:00:00+01:00",
        "count": 4,
        "exclude": [
            {"holidays": "DE", "subdivision": "BY"},
            {"from": "2030-12-30T00:00:00", "to": "2031-01-01T00:00:00", "name": "freeze"},
        ],
    }
    result = api.request("preview", body={**request, "include_skipped": True})
    assert result.status == 200, result.text
    body = result.json
    assert [r[:10] for r in body["next_runs"]] == [
        "2030-12-23",
        "2030-12-24",
        "2030-12-27",
        "2031-01-02",
    ]
    assert [(s["at"][:10], s["reason"]) for s in body["skipped_runs"]] == [
        ("2030-12-25", "holiday: Christmas Day"),
        ("2030-12-26", "holiday: Second Day of Christmas"),
        ("2030-12-28", "excluded day: Saturday"),
        ("2030-12-29", "excluded day: Sunday"),
        ("2030-12-30", "blackout: freeze"),
        ("2030-12-31", "blackout: freeze"),
        ("2031-01-01", "holiday: New Year's Day"),
    ]
    assert body["skipped_runs"][0]["at"].endswith("+01:00")
    # Without include_skipped, the same runs and no list.
    plain = api.request("preview", body=request).json
    assert plain["next_runs"] == body["next_runs"]
    assert plain["skipped_runs"] is None


def test_patch_exclude_moves_next_run_at(api: Api) -> None:
    created = api.create(
        schedule="0 9 * * *", timezone="America/New_York", start_at=BEFORE_THANKSGIVING
    )
    assert created["next_run_at"].startswith("2030-11-28T14:00:00")
    result = api.request(
        "update",
        path=f"/schedules/{created['id']}",
        body={"exclude": [{"holidays": "US"}, {"dates": ["11-29"]}]},
        headers={"if-match": '"1"'},
    )
    assert result.status == 200, result.text
    assert result.json["next_run_at"].startswith("2030-11-30T14:00:00")
    cleared = api.request(
        "update",
        path=f"/schedules/{created['id']}",
        body={"exclude": []},
        headers={"if-match": '"2"'},
    )
    assert cleared.json["next_run_at"].startswith("2030-11-28T14:00:00")
    assert cleared.json["exclusions"] == []
