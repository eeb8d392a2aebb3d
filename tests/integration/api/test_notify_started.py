"""The notify_started flag: off by default, set on create, changed by PATCH, never guessed."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import Api, schedule_item


def test_off_by_default_and_stored_when_asked(api: Api) -> None:
    plain = api.create()
    asked = api.create(notify_started=True)
    assert plain["notify_started"] is False
    assert asked["notify_started"] is True
    item = schedule_item(asked["id"])
    assert item is not None
    assert item["notify_started"] is True


def test_patch_turns_it_on(api: Api) -> None:
    created = api.create()
    result = api.request(
        "update",
        path=f"/schedules/{created['id']}",
        body={"notify_started": True},
        headers={"if-match": '"1"'},
    )
    assert result.status == 200, result.text
    assert result.json["notify_started"] is True
    assert result.json["version"] == 2


@pytest.mark.parametrize("value", ["yes", "true", 1, None, {"on": True}])
def test_only_a_json_boolean_is_accepted(api: Api, value: object) -> None:
    from tests.integration.api.conftest import create_body

    result = api.request("create", body=create_body(notify_started=value))
    assert result.status == 422, result.text
    assert result.json["error"]["code"] == "validation_error", result.text
    assert result.json["error"]["details"][0]["loc"] == ["body", "notify_started"]
