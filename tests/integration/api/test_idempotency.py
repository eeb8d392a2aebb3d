"""Idempotency-Key on POST /schedules: a retried create replays the first one's schedule."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import boto3
import pytest

from tests.integration.api.conftest import (
    OTHER_TENANT,
    TENANT,
    Api,
    EventQueue,
    Result,
    all_items,
    assert_consistent,
    create_body,
    entries,
    quota,
    schedule_item,
    table_name,
)

KEY = "order-42:create.v1_a-b"
DAY = 24 * 3600


def _post(api: Api, key: str | None = KEY, tenant: str = TENANT, **changes: Any) -> Result:
    headers = {"idempotency-key": key} if key is not None else None
    return api.request("create", body=create_body(**changes), headers=headers, tenant=tenant)


def _record(key: str = KEY, tenant: str = TENANT) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        boto3.resource("dynamodb")
        .Table(table_name())
        .get_item(Key={"PK": f"TENANT#{tenant}", "SK": f"IDEMPOTENCY#{key}"})
        .get("Item")
    )
    return item


def _put_record(schedule_id: str, fingerprint: str, expires_at: int) -> None:
    boto3.resource("dynamodb").Table(table_name()).put_item(
        Item={
            "PK": f"TENANT#{TENANT}",
            "SK": f"IDEMPOTENCY#{KEY}",
            "schedule_id": schedule_id,
            "fingerprint": fingerprint,
            "expires_at": expires_at,
            "created_at": "2020-01-01T00:00:00+00:00",
        }
    )


def _fingerprint(**changes: Any) -> str:
    from jobscheduler.models.schedules import ScheduleCreate

    body = ScheduleCreate.model_validate(create_body(**changes))
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def _schedule_ids() -> list[str]:
    return sorted(str(i["id"]) for i in all_items() if str(i["SK"]).startswith("SCHEDULE#"))


def test_replay_returns_the_same_schedule_and_writes_nothing(
    api: Api, sns_events: EventQueue
) -> None:
    first = _post(api)
    assert first.status == 201, first.text
    assert "idempotent-replayed" not in first.headers
    sid = first.json["id"]
    entries_before = set(entries())
    assert sns_events.types() == ["schedule.created"]

    second = _post(api)

    assert second.status == 201, second.text
    assert second.json["id"] == sid
    assert second.json == first.json
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["location"] == first.headers["location"] == f"/schedules/{sid}"
    assert _schedule_ids() == [sid]
    assert set(entries()) == entries_before
    assert quota() == 1
    assert sns_events.types() == []
    assert_consistent(sid)


def test_no_header_keeps_creating(api: Api) -> None:
    assert _post(api, key=None).status == 201
    assert _post(api, key=None).status == 201
    assert len(_schedule_ids()) == 2
    assert not [i for i in all_items() if str(i["SK"]).startswith("IDEMPOTENCY#")]


def test_replay_returns_the_current_state_even_deleted(api: Api) -> None:
    sid = _post(api).json["id"]
    assert api.request("pause", path=f"/schedules/{sid}/pause").status == 200
    paused = _post(api)
    assert paused.status == 201
    assert (paused.json["id"], paused.json["status"]) == (sid, "PAUSED")

    assert api.request("delete", path=f"/schedules/{sid}").status == 204
    deleted = _post(api)
    assert deleted.status == 201, deleted.text
    assert (deleted.json["id"], deleted.json["status"]) == (sid, "DELETED")
    assert deleted.headers["idempotent-replayed"] == "true"
    assert _schedule_ids() == [sid]
    assert quota() == 0


def test_same_key_different_body_is_422_and_writes_nothing(
    api: Api, sns_events: EventQueue
) -> None:
    sid = _post(api).json["id"]
    sns_events.read()
    items_before = all_items()
    entries_before = set(entries())

    result = _post(api, name="another-name")

    assert result.status == 422, result.text
    assert result.error_code == "idempotency_key_reused"
    assert "different" in result.json["error"]["message"]
    assert all_items() == items_before
    assert set(entries()) == entries_before
    assert _schedule_ids() == [sid]
    assert quota() == 1
    assert sns_events.read() == []


@pytest.mark.parametrize("key", ["", "a" * 129, "has space", "slash/no", "ü-key", "k;1"])
def test_bad_key_is_400(api: Api, key: str) -> None:
    result = _post(api, key=key)
    assert result.status == 400, result.text
    assert result.error_code == "invalid_idempotency_key"
    assert all_items() == []
    assert entries() == {}


def test_longest_key_is_accepted(api: Api) -> None:
    key = "a" * 128
    assert _post(api, key=key).status == 201
    assert _record(key) is not None


def test_same_key_in_two_tenants_creates_two_schedules(api: Api) -> None:
    mine = _post(api)
    theirs = _post(api, tenant=OTHER_TENANT)
    assert mine.status == theirs.status == 201
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json["id"] != theirs.json["id"]
    assert quota() == quota(OTHER_TENANT) == 1
    assert _record()["schedule_id"] == mine.json["id"]  # type: ignore[index]
    assert _record(tenant=OTHER_TENANT)["schedule_id"] == theirs.json["id"]  # type: ignore[index]


def test_failed_create_frees_the_key_so_the_retry_creates(api: Api, inject: Any) -> None:
    fault = inject("scheduler", "CreateSchedule")
    failed = _post(api)
    assert failed.status == 503, failed.text
    assert fault.raised == 1
    assert _record() is None
    assert _schedule_ids() == []
    assert quota() == 0

    retry = _post(api)

    assert retry.status == 201, retry.text
    assert "idempotent-replayed" not in retry.headers
    assert _schedule_ids() == [retry.json["id"]]
    assert _record()["schedule_id"] == retry.json["id"]  # type: ignore[index]
    assert quota() == 1
    assert_consistent(retry.json["id"])


def test_failed_insert_writes_no_record(api: Api, inject: Any) -> None:
    inject("dynamodb", "TransactWriteItems")
    assert _post(api).status == 503
    assert all_items() == []
    assert _post(api).status == 201


def test_expired_record_is_ignored_and_replaced(api: Api) -> None:
    # Another body's record, expired but not yet removed by TTL (which is lazy).
    _put_record("sch_expired0000000000", "0" * 64, int(time.time()) - 60)

    result = _post(api)

    assert result.status == 201, result.text
    assert "idempotent-replayed" not in result.headers
    record = _record()
    assert record is not None
    assert record["schedule_id"] == result.json["id"]
    assert record["fingerprint"] == _fingerprint()
    assert int(record["expires_at"]) > time.time() + DAY - 120


def test_record_of_a_schedule_that_no_longer_exists_frees_the_key(api: Api) -> None:
    _put_record("sch_gone00000000000000", _fingerprint(), int(time.time()) + 3600)

    result = _post(api)

    assert result.status == 201, result.text
    assert "idempotent-replayed" not in result.headers
    assert _record()["schedule_id"] == result.json["id"]  # type: ignore[index]
    assert _schedule_ids() == [result.json["id"]]


def test_record_shape_and_ttl(api: Api) -> None:
    before = int(time.time())
    sid = _post(api).json["id"]
    after = int(time.time())
    record = _record()
    assert record is not None
    assert record["schedule_id"] == sid
    assert record["fingerprint"] == _fingerprint()
    assert before + DAY <= int(record["expires_at"]) <= after + DAY + 1
    assert str(record["created_at"]).startswith(str(schedule_item(sid)["created_at"])[:16])  # type: ignore[index]


def test_lost_race_replays_the_winner(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from jobscheduler.dal import schedules as store

    winner = _post(api).json["id"]
    real = store.get_idempotency
    reads: list[str] = []

    def stale_first_read(tenant: str, key: str) -> store.IdempotencyRecord | None:
        # The loser read before the winner wrote: its first read sees no record.
        reads.append(key)
        return None if len(reads) == 1 else real(tenant, key)

    monkeypatch.setattr(store, "get_idempotency", stale_first_read)
    result = _post(api)

    assert result.status == 201, result.text
    assert result.json["id"] == winner
    assert result.headers["idempotent-replayed"] == "true"
    assert len(reads) == 2
    assert _schedule_ids() == [winner]
    assert quota() == 1
    assert {n.rsplit("-", 1)[0] for n in entries()} == {winner}


def test_openapi_documents_the_header(api: Api) -> None:
    spec = api.request("health", path="/openapi.json", method="GET").json
    params = spec["paths"]["/schedules"]["post"]["parameters"]
    header = next(p for p in params if p["in"] == "header")
    # Powertools lowercases header aliases (header names are case-insensitive).
    assert header["name"].lower() == "idempotency-key"
    assert header["required"] is False
    assert "24 h" in header["description"]
