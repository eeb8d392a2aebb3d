"""Through the API: plain English that is not understood, zone names and abbreviations,
and the preview of a rate (issue: exact time). Each refusal writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.api.conftest import Api, all_items, entries


def _error(result: Any, code: str) -> dict[str, Any]:
    assert result.status == 422, result.text
    error: dict[str, Any] = result.json["error"]
    assert error["code"] == code
    return error


@pytest.mark.parametrize(
    ("schedule", "timezone", "code", "details"),
    [
        (
            "every mondey at 8am",
            "UTC",
            "invalid_schedule",
            {"not_understood": ["mondey"], "suggestion": "every monday at 8am"},
        ),
        ("at 9 probably", "UTC", "invalid_schedule", {"not_understood": ["probably"]}),
        ("0 9 * * 1-5", "Paris", "invalid_timezone", {"suggestion": "Europe/Paris"}),
        ("0 9 * * 1-5", "EST", "invalid_timezone", {"suggestion": "America/New_York"}),
        (
            "tomorrow at 9am PST",
            "UTC",
            "invalid_schedule",
            {"suggestion": "tomorrow at 9am America/Los_Angeles"},
        ),
        ("0 9 */2 * MON", "UTC", "invalid_schedule", None),
    ],
)
def test_refused_with_machine_readable_details(
    api: Api, schedule: str, timezone: str, code: str, details: dict[str, Any] | None
) -> None:
    before = (all_items(), entries())
    result = api.request("create", body=_body(schedule, timezone))
    error = _error(result, code)
    assert error["details"] == details
    assert (all_items(), entries()) == before
    if details and "suggestion" in details:
        fixed = (
            _body(schedule, details["suggestion"])
            if code == "invalid_timezone"
            else _body(details["suggestion"], timezone)
        )
        assert api.request("create", body=fixed).status == 201


def _body(schedule: str, timezone: str) -> dict[str, Any]:
    from tests.integration.api.conftest import create_body

    return create_body(schedule=schedule, timezone=timezone)


def test_preview_of_a_rate_shows_schedulers_first_run(api: Api) -> None:
    start = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    with_start = api.request(
        "preview",
        body={"schedule": "rate(7 hours)", "timezone": "UTC", "start_at": start.isoformat()},
    )
    assert with_start.status == 200, with_start.text
    runs = [datetime.fromisoformat(r) for r in with_start.json["next_runs"]]
    assert runs[:3] == [start + timedelta(hours=7 * k) for k in range(3)]

    without = api.request("preview", body={"schedule": "rate(90 minutes)", "timezone": "UTC"})
    assert without.status == 200, without.text
    first = datetime.fromisoformat(without.json["next_runs"][0])
    assert first.second == 0
    assert timedelta(0) < first - datetime.now(UTC) <= timedelta(seconds=61)
