"""Resuming a schedule (through the API) starts the auto-pause count afresh."""

from __future__ import annotations

import pytest

from tests.integration.reconciler.conftest import TENANT, Api, create, schedule_item, table

pytestmark = pytest.mark.usefixtures("aws")


def test_resume_resets_the_failure_streak(api: Api) -> None:
    created = create(api, pause_after_failures=3)
    assert created["pause_after_failures"] == 3
    table().update_item(
        Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{created['id']}"},
        UpdateExpression="SET consecutive_failures = :n",
        ExpressionAttributeValues={":n": 3},
    )
    assert api.request("pause", path=f"/schedules/{created['id']}/pause", body={}).status == 200
    assert int((schedule_item(created["id"]) or {})["consecutive_failures"]) == 3
    resumed = api.request("resume", path=f"/schedules/{created['id']}/resume")
    assert resumed.status == 200, resumed.text
    assert resumed.json["consecutive_failures"] == 0
    assert int((schedule_item(created["id"]) or {})["consecutive_failures"]) == 0


def test_settings_are_validated_and_clearable(api: Api) -> None:
    from tests.integration.api.conftest import create_body

    for field, bad in (("pause_after_failures", 0), ("missed_run_grace_seconds", 59)):
        result = api.request("create", body=create_body(**{field: bad}))
        assert result.status == 422, result.text
    created = create(api, pause_after_failures=2, missed_run_grace_seconds=120)
    patched = api.request(
        "update",
        path=f"/schedules/{created['id']}",
        body={"version": created["version"], "pause_after_failures": None},
    )
    assert patched.status == 200, patched.text
    assert patched.json["pause_after_failures"] is None
    assert patched.json["missed_run_grace_seconds"] == 120
