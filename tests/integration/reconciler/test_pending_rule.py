"""One clock for a schedule left PENDING, read by POST /resume and by the reconciler
alike (logic/pending.py): while its create may still be running both leave it alone;
once it is abandoned the first to act settles it and the other honours the result."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from jobscheduler.logic import pending
from jobscheduler.logic.reconcile import run_pass
from tests.integration.api.conftest import all_items, assert_consistent, quota
from tests.integration.reconciler.conftest import (
    Api,
    entries,
    parse,
    schedule_item,
)

pytestmark = pytest.mark.usefixtures("aws")
# Shorter than the PENDING rule's 60 s, so the reconciler's check of a fresh create
# comes while that create may still be running (the default, 180 s, never does).
SHORT_SETTLE_SECONDS = 10


@pytest.fixture
def short_settle(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from jobscheduler.settings import reset_settings

    monkeypatch.setenv("RECONCILE_SETTLE_SECONDS", str(SHORT_SETTLE_SECONDS))
    reset_settings()
    yield
    monkeypatch.delenv("RECONCILE_SETTLE_SECONDS")
    reset_settings()


def _stuck_pending(api: Api, inject: Any) -> tuple[str, datetime]:
    inject("dynamodb", "UpdateItem")  # activation fails
    inject("scheduler", "DeleteSchedule")  # and so does the undo of the entry
    assert api.request("create").status == 503
    [item] = [i for i in all_items() if str(i["SK"]).startswith("SCHEDULE#")]
    assert item["status"] == "PENDING"
    assert entries()  # the entry the undo could not delete
    return str(item["id"]), parse(str(item["created_at"]))


def _resume_at(api: Api, monkeypatch: pytest.MonkeyPatch, sid: str, when: datetime) -> Any:
    from jobscheduler.logic.schedules import common

    monkeypatch.setattr(common, "now_utc", lambda: when)
    return api.request("resume", path=f"/schedules/{sid}/resume")


@pytest.mark.usefixtures("short_settle")
def test_both_leave_a_create_that_may_still_be_running(
    api: Api, inject: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid, created_at = _stuck_pending(api, inject)
    young = created_at + pending.PENDING_ABANDONED_AFTER - timedelta(seconds=1)

    report = run_pass(young)
    assert report.checked == 1
    assert not report.repairs
    item = schedule_item(sid) or {}
    assert item["status"] == "PENDING"
    # Looked at again exactly when the rule says the create is over, not a pass later.
    assert parse(str(item["check_at"])) == created_at + pending.PENDING_ABANDONED_AFTER

    answer = _resume_at(api, monkeypatch, sid, young)
    assert answer.status == 409
    assert answer.json["error"]["code"] == "schedule_pending"
    assert (schedule_item(sid) or {})["status"] == "PENDING"


@pytest.mark.usefixtures("short_settle")
def test_resume_first_finishes_it_and_the_reconciler_keeps_it(
    api: Api, inject: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid, created_at = _stuck_pending(api, inject)
    abandoned = created_at + pending.PENDING_ABANDONED_AFTER

    assert _resume_at(api, monkeypatch, sid, abandoned).status == 200
    report = run_pass(abandoned + timedelta(seconds=SHORT_SETTLE_SECONDS + 1))

    assert report.checked == 1
    assert not report.repairs  # the finished create is not rolled back
    assert (schedule_item(sid) or {})["status"] == "ACTIVE"
    assert_consistent(sid)
    assert quota() == 1


@pytest.mark.usefixtures("short_settle")
def test_reconciler_first_rolls_it_back_and_resume_finds_nothing(
    api: Api, inject: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid, created_at = _stuck_pending(api, inject)
    abandoned = created_at + pending.PENDING_ABANDONED_AFTER

    assert run_pass(abandoned).repairs == {"pending_rolled_back": 1}
    answer = _resume_at(api, monkeypatch, sid, abandoned)

    assert answer.status == 404
    assert schedule_item(sid) is None
    assert entries() == {}
    assert quota() == 0
