"""Every class of bad input gets a 4xx in the API's error shape, and nothing is written."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.api.conftest import (
    DROP,
    OTHER_TENANT,
    Api,
    EventQueue,
    all_items,
    create_body,
    entries,
    schedule_item,
)


def _state() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    items = sorted(all_items(), key=lambda item: (item["PK"], item["SK"]))
    found = {
        name: (e["ScheduleExpression"], e["State"], e["LastModificationDate"])
        for name, e in entries().items()
    }
    return items, found


@pytest.fixture
def unchanged(api: Api, sns_events: EventQueue) -> Iterator[None]:
    """Asserts that the test body wrote nothing: no item, entry or event changed."""
    sns_events.read()
    before = _state()
    yield
    assert _state() == before
    assert sns_events.read() == []


def _assert_error(result: Any, status: int, code: str) -> dict[str, Any]:
    assert result.status == status, result.text
    body = result.json
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


def test_malformed_json(api: Api, unchanged: None) -> None:
    result = api.request("create", raw_body='{"name": "x",')
    error = _assert_error(result, 400, "malformed_json")
    assert error["details"]["error"]


WRONG: list[tuple[dict[str, Any], str]] = [
    ({"name": 123}, "name"),
    ({"priority": "high"}, "priority"),
    ({"priority": 11}, "priority"),
    ({"flexible_window_minutes": 1441}, "flexible_window_minutes"),
    ({"tags": ["a", "b"]}, "tags"),
    ({"start_at": "tomorrow-ish"}, "start_at"),
    ({"start_at": "2030-01-01T00:00:00"}, "start_at"),  # no offset
    ({"name": DROP}, "name"),
    ({"task": {"type": "http", "url": "ftp://example.com/x"}}, "task"),
    ({"overlap": "queue"}, "overlap"),
]


def test_wrong_types_and_values(api: Api, unchanged: None) -> None:
    for changes, field in WRONG:
        result = api.request("create", body=create_body(**changes))
        error = _assert_error(result, 422, "validation_error")
        locs = [detail["loc"] for detail in error["details"]]
        assert any(field in loc for loc in locs), (changes, locs)
        assert all(set(detail) == {"loc", "msg", "type"} for detail in error["details"])


def test_unknown_fields_are_refused(api: Api, unchanged: None) -> None:
    top = _assert_error(
        api.request("create", body=create_body(owner="mallory")), 422, "validation_error"
    )
    assert any("owner" in detail["loc"] for detail in top["details"])
    task = create_body()
    task["task"]["command"] = "rm -rf /"
    nested = _assert_error(api.request("create", body=task), 422, "validation_error")
    assert any("command" in detail["loc"] for detail in nested["details"])
    preview = api.request("preview", body={"schedule": "rate(1 hour)", "extra": 1})
    _assert_error(preview, 422, "validation_error")


def test_shell_task_is_refused_with_a_reason(api: Api, unchanged: None) -> None:
    body = create_body(task={"type": "shell", "command": "backup.sh"})
    error = _assert_error(api.request("create", body=body), 422, "validation_error")
    assert "Lambda" in json.dumps(error["details"])


def test_body_over_256_kb(api: Api, unchanged: None) -> None:
    body = create_body(description="x" * 10, tags={"k": "v"})
    body["task"]["body"] = {"blob": "a" * (256 * 1024)}
    error = _assert_error(api.request("create", body=body), 413, "payload_too_large")
    assert error["details"]["limit_bytes"] == 256 * 1024


def test_body_over_256_kb_base64(api: Api, unchanged: None) -> None:
    from api_handler import lambda_handler
    from tests.integration.api.conftest import FakeContext, load_event

    event = load_event("create")
    event["body"] = base64.b64encode(b"{" + b" " * (300 * 1024) + b"}").decode()
    event["isBase64Encoded"] = True
    response = lambda_handler(event, FakeContext())
    assert response["statusCode"] == 413
    assert json.loads(response["body"])["error"]["code"] == "payload_too_large"


def test_bad_ids_are_not_found(api: Api, unchanged: None) -> None:
    routes = [
        ("get", ""),
        ("update", ""),
        ("delete", ""),
        ("pause", "/pause"),
        ("resume", "/resume"),
        ("run", "/run"),
        ("executions", "/executions"),
        ("execution-get", "/executions/20261122T090000Z"),
    ]
    # Not the id pattern (404, like an id that does not exist), and a well-formed unknown id.
    for sample, suffix in routes:
        for bad in ("not-an-id", "sch_SHOUTING00000000000", "sch_0a1b2c3d4e5f6g7h8i9j"):
            result = api.request(sample, path=f"/schedules/{bad}{suffix}")
            _assert_error(result, 404, "not_found")


def test_bad_cursors(api: Api) -> None:
    api.create(name="a")
    api.create(name="b")
    api.create(OTHER_TENANT, name="c")
    api.create(OTHER_TENANT, name="d")
    theirs = api.request("list", query={"limit": "1"}, tenant=OTHER_TENANT).json["next_cursor"]
    mine = api.request("list", query={"limit": "1"}).json["next_cursor"]
    assert theirs
    assert mine

    decoded = json.loads(base64.urlsafe_b64decode(mine + "=" * (-len(mine) % 4)))
    decoded["k"]["GSI1PK"] = decoded["k"]["GSI1PK"].replace("LIVE", "DELETED")
    tampered = base64.urlsafe_b64encode(json.dumps(decoded).encode()).decode()
    decoded["k"]["PK"] = "TENANT#" + OTHER_TENANT
    forged = base64.urlsafe_b64encode(json.dumps(decoded).encode()).decode()
    for cursor in ("garbage!!", "e30", theirs, tampered, forged, mine[:-4]):
        result = api.request("list", query={"limit": "1", "cursor": cursor})
        _assert_error(result, 400, "invalid_cursor")
    # A cursor for another name prefix is refused too (it could not continue that list).
    _assert_error(
        api.request("list", query={"limit": "1", "cursor": mine, "name_prefix": "zz"}),
        400,
        "invalid_cursor",
    )
    assert api.request("list", query={"limit": "1", "cursor": mine}).json["items"][0]["name"] == "b"


INVALID_SCHEDULES = [
    ("every blue moon", "UTC", "invalid_schedule"),
    ("cron(0 9 * * MON *)", "UTC", "invalid_schedule"),
    ("rate(10 seconds)", "UTC", "invalid_schedule"),
    ("61 * * * *", "UTC", "invalid_schedule"),
    ("0 9 * * *", "Mars/Olympus_Mons", "invalid_timezone"),
    ("2001-01-01T00:00:00", "UTC", "invalid_schedule"),
]


def test_invalid_expressions_timezones_and_past_one_offs(api: Api, unchanged: None) -> None:
    for schedule, timezone, code in INVALID_SCHEDULES:
        result = api.request("create", body=create_body(schedule=schedule, timezone=timezone))
        error = _assert_error(result, 422, code)
        assert error["message"]
        preview = api.request("preview", body={"schedule": schedule, "timezone": timezone})
        _assert_error(preview, 422, code)


def test_end_before_start_and_ended_schedule(api: Api, unchanged: None) -> None:
    start = datetime.now(UTC) + timedelta(days=2)
    result = api.request(
        "create",
        body=create_body(
            start_at=start.isoformat(), end_at=(start - timedelta(days=1)).isoformat()
        ),
    )
    _assert_error(result, 422, "validation_error")


def test_no_identity_is_401(api: Api, unchanged: None) -> None:
    for sample in ("create", "list", "get", "preview", "executions"):
        result = api.request(sample, tenant=None)
        _assert_error(result, 401, "unauthorized")
    # A JWT without the tenant claim, and an unusable identity.
    claims = {"jwt": {"claims": {"email": "a@example.com"}, "scopes": None}}
    _assert_error(api.request("create", authorizer=claims), 401, "unauthorized")
    _assert_error(api.request("create", tenant="evil#SCHEDULE#x"), 401, "unauthorized")
    # Identity is checked before the body is.
    _assert_error(api.request("create", tenant=None, raw_body="{oops"), 401, "unauthorized")
    _assert_error(api.request("create", tenant=None, body={"x": 1}), 401, "unauthorized")
    _assert_error(api.request("list", tenant=None, query={"limit": "0"}), 401, "unauthorized")


def test_quota_exceeded_is_429(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from jobscheduler.settings import reset_settings

    monkeypatch.setenv("MAX_SCHEDULES_PER_TENANT", "2")
    reset_settings()
    api.create()
    doomed = api.create()
    before = _state()

    result = api.request("create")

    error = _assert_error(result, 429, "quota_exceeded")
    assert error["details"]["max_schedules"] == 2
    assert _state() == before
    # Another tenant has its own quota; a delete frees a unit.
    assert api.request("create", tenant=OTHER_TENANT).status == 201
    assert api.request("delete", path=f"/schedules/{doomed['id']}").status == 204
    assert api.request("create").status == 201


def test_versions_on_patch(api: Api, sns_events: EventQueue) -> None:
    sid = api.create()["id"]
    sns_events.read()
    before = _state()

    missing = api.request("update", path=f"/schedules/{sid}", headers={"if-match": ""})
    _assert_error(missing, 428, "version_required")
    stale = api.request("update", path=f"/schedules/{sid}", headers={"if-match": '"7"'})
    assert _assert_error(stale, 409, "version_conflict")["details"] == {"current_version": 1}
    stale_body = api.request(
        "update",
        path=f"/schedules/{sid}",
        body={"version": 3, "name": "x"},
        headers={"if-match": ""},
    )
    _assert_error(stale_body, 409, "version_conflict")
    disagree = api.request("update", path=f"/schedules/{sid}", body={"version": 2, "name": "x"})
    _assert_error(disagree, 422, "version_mismatch")
    garbage = api.request("update", path=f"/schedules/{sid}", headers={"if-match": "yesterday"})
    _assert_error(garbage, 422, "invalid_if_match")
    null_name = api.request("update", path=f"/schedules/{sid}", body={"name": None})
    _assert_error(null_name, 422, "validation_error")
    bad_expr = api.request("update", path=f"/schedules/{sid}", body={"schedule": "whenever"})
    _assert_error(bad_expr, 422, "invalid_schedule")
    other = api.request("update", path=f"/schedules/{sid}", tenant=OTHER_TENANT)
    _assert_error(other, 404, "not_found")

    assert _state() == before
    assert sns_events.read() == []


def _force_status(schedule_id: str, status: str) -> None:
    import boto3

    from tests.integration.api.conftest import TENANT, table_name

    boto3.resource("dynamodb").Table(table_name()).update_item(
        Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{schedule_id}"},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": status},
    )


def test_state_conflicts(api: Api) -> None:
    sid = api.create()["id"]
    _force_status(sid, "COMPLETED")
    before = _state()
    _assert_error(api.request("pause", path=f"/schedules/{sid}/pause"), 409, "invalid_state")
    _assert_error(api.request("resume", path=f"/schedules/{sid}/resume"), 409, "invalid_state")
    assert _state() == before
    _force_status(sid, "PENDING")
    before = _state()
    _assert_error(api.request("update", path=f"/schedules/{sid}"), 409, "schedule_pending")
    _assert_error(api.request("run", path=f"/schedules/{sid}/run"), 409, "schedule_pending")
    assert _state() == before


def test_routes_methods_and_media_types(api: Api, unchanged: None) -> None:
    unknown = api.request("get", path="/nothing/here")
    _assert_error(unknown, 404, "route_not_found")
    wrong_method = api.request("get", path="/schedules", method="PUT")
    error = _assert_error(wrong_method, 405, "method_not_allowed")
    assert error["details"]["allowed"] == ["GET", "POST"]
    assert wrong_method.headers["allow"] == "GET, POST"
    form = api.request("create", raw_body="name=x", headers={"content-type": "text/plain"})
    assert form.status == 415
    empty = api.request("create", body=None)
    _assert_error(empty, 422, "validation_error")
    array = api.request("create", raw_body="[1, 2]")
    _assert_error(array, 422, "validation_error")


def test_bad_list_queries_and_preview_counts(api: Api, unchanged: None) -> None:
    for query in (
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"status": "SLEEPING"},
        {"task_type": "shell"},
        {"tag": "no-colon"},
    ):
        _assert_error(api.request("list", query=query), 422, "validation_error")
    for count in (0, 51, "many"):
        result = api.request("preview", body={"schedule": "rate(1 hour)", "count": count})
        _assert_error(result, 422, "validation_error")


def test_nothing_written_by_refused_creates(api: Api) -> None:
    for body in (create_body(name=""), create_body(schedule="")):
        assert api.request("create", body=body).status == 422
    assert all_items() == []
    assert entries() == {}
    assert schedule_item("sch_00000000000000000000") is None


def test_unexpected_errors_are_500_in_the_error_shape(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobscheduler.logic import schedules as logic

    sid = api.create()["id"]

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(logic, "get", broken)
    _assert_error(api.request("get", path=f"/schedules/{sid}"), 500, "internal_error")

    # A route answering something that is not its response model is our bug too.
    monkeypatch.setattr(logic, "get", lambda *_: {"id": sid})
    result = api.request("get", path=f"/schedules/{sid}")
    error = _assert_error(result, 500, "internal_error")
    assert error["details"] is None


def test_delete_with_stale_if_match_and_resume_of_an_expired_one_off(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobscheduler.logic.schedules import common

    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    sid = api.create(schedule=when.strftime("%Y-%m-%dT%H:%M:%S"), timezone="UTC")["id"]
    assert api.request("pause", path=f"/schedules/{sid}/pause").status == 200
    before = _state()

    stale = api.request("delete", path=f"/schedules/{sid}", headers={"if-match": '"1"'})
    _assert_error(stale, 409, "version_conflict")

    monkeypatch.setattr(common, "now_utc", lambda: when + timedelta(days=1))
    expired = api.request("resume", path=f"/schedules/{sid}/resume")
    _assert_error(expired, 409, "schedule_expired")
    assert _state() == before
