"""dal/executions.py queries the API uses: get, list (filters, order, cursor), delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobscheduler.dal import executions as dal
from jobscheduler.dal import keys
from jobscheduler.models.executions import Execution, ExecutionStatus, Trigger

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def _record(schedule_id: str, minute: int, status: ExecutionStatus, *, manual: bool = False):
    when = T0 + timedelta(minutes=minute)
    execution_id = (
        f"{keys.scheduled_execution_id(when)}-manual-{minute:08x}"
        if manual
        else keys.scheduled_execution_id(when)
    )
    return Execution(
        id=execution_id,
        schedule_id=schedule_id,
        status=status,
        trigger=Trigger.MANUAL if manual else Trigger.SCHEDULE,
        scheduled_time=when,
        attempts=1,
    )


@pytest.fixture
def history(aws):
    records = []
    for minute in range(12):
        status = ExecutionStatus.FAILED if minute % 3 == 0 else ExecutionStatus.SUCCEEDED
        record = _record("sch_a", minute, status, manual=minute == 5)
        assert dal.put_skipped("t1", record, now=T0)  # a plain conditional put
        records.append(record)
    # Another schedule and another tenant must never leak in.
    assert dal.put_skipped("t1", _record("sch_b", 1, ExecutionStatus.SUCCEEDED), now=T0)
    assert dal.put_skipped("t2", _record("sch_a", 1, ExecutionStatus.SUCCEEDED), now=T0)
    return records


def test_get_execution(history):
    found = dal.get_execution("t1", "sch_a", history[3].id)
    assert found == history[3]
    assert dal.get_execution("t1", "sch_a", "nope") is None
    assert dal.get_execution("t2", "sch_a", history[3].id) is None


def test_put_is_once_and_has_ttl(history, aws):
    assert not dal.put_skipped("t1", history[0], now=T0)
    from jobscheduler.aws import table
    from jobscheduler.settings import get_settings

    item = table(get_settings().table_name).get_item(
        Key=keys.execution_key("t1", "sch_a", history[0].id)
    )["Item"]
    assert int(item["expires_at"]) == int((T0 + timedelta(days=30)).timestamp())


def test_list_newest_first_with_cursor(history):
    seen = []
    cursor = None
    pages = 0
    while True:
        page, cursor = dal.list_executions("t1", "sch_a", limit=5, cursor=cursor)
        pages += 1
        seen += page
        assert len(page) <= 5
        if cursor is None:
            break
    assert [e.id for e in seen] == [e.id for e in reversed(history)]
    assert pages == 3


def test_list_status_filter_fills_pages(history):
    page, cursor = dal.list_executions("t1", "sch_a", status=ExecutionStatus.FAILED, limit=3)
    assert [e.scheduled_time.minute for e in page] == [9, 6, 3]
    assert cursor is not None
    rest, cursor = dal.list_executions(
        "t1", "sch_a", status=ExecutionStatus.FAILED, limit=3, cursor=cursor
    )
    assert [e.scheduled_time.minute for e in rest] == [0]
    assert cursor is None


def test_list_since_until_inclusive(history):
    page, cursor = dal.list_executions(
        "t1",
        "sch_a",
        since=T0 + timedelta(minutes=4),
        until=T0 + timedelta(minutes=6),
    )
    assert [e.scheduled_time.minute for e in page] == [6, 5, 4]  # 5 is the manual run
    assert page[1].trigger == Trigger.MANUAL
    assert cursor is None
    only_since, _ = dal.list_executions("t1", "sch_a", since=T0 + timedelta(minutes=10))
    assert [e.scheduled_time.minute for e in only_since] == [11, 10]
    only_until, _ = dal.list_executions("t1", "sch_a", until=T0 + timedelta(minutes=1))
    assert [e.scheduled_time.minute for e in only_until] == [1, 0]


def test_delete_executions(history):
    assert dal.delete_executions("t1", "sch_a") == 12
    assert dal.list_executions("t1", "sch_a") == ([], None)
    assert dal.get_execution("t1", "sch_b", history[1].id) is not None
    assert dal.get_execution("t2", "sch_a", history[1].id) is not None
    assert dal.delete_executions("t1", "sch_a") == 0
