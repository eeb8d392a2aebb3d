"""Fires the calendar excludes: the executor records them SKIPPED with their reason,
publishes execution.skipped and moves next_run_at on, and agrees with the preview on
every fire of a year."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobscheduler.dal import codec, keys
from jobscheduler.dal import executions as records
from jobscheduler.expressions import next_runs
from jobscheduler.logic.preview import preview
from jobscheduler.models.api import PreviewRequest

from .conftest import NOW, TENANT, fire

# Sparse crons (a handler call per fire costs moto time) that still meet the moving
# holidays: Monday holidays and Thanksgiving (US), Good Friday / Easter and Whit Monday
# (Bavaria), and London's 01:00 on both clock-change Sundays.
SAMPLES = [
    pytest.param(
        "cron(0 9 ? * MON,THU *)",
        "America/New_York",
        [{"holidays": "US"}],
        id="mon-thu-us-holidays",
    ),
    pytest.param(
        "cron(30 7 ? * MON,FRI *)",
        "Europe/Berlin",
        [
            {"holidays": "DE", "subdivision": "BY"},
            {"dates": ["12-24", "12-31", "08-14"], "name": "office closed"},
        ],
        id="mon-fri-bavaria-dates",
    ),
    pytest.param(
        "cron(0 1 ? * SUN,MON *)",
        "Europe/London",
        [
            {"days": ["SAT", "SUN"]},
            # Windows across the autumn and the spring clock changes.
            {"from": f"{NOW.year}-10-20T00:00:00", "to": f"{NOW.year}-11-10T00:00:00"},
            {"from": f"{NOW.year + 1}-03-20T00:00:00", "to": f"{NOW.year + 1}-04-05T00:00:00"},
        ],
        id="sun-mon-london-weekends-windows",
    ),
]


def _stored(table: Any, schedule_id: str) -> Any:
    return codec.schedule_from_item(
        table.get_item(Key=keys.schedule_key(TENANT, schedule_id), ConsistentRead=True)["Item"]
    )


def _preview_year(
    expression: str, timezone: str, exclude: list[Any], start: datetime, end: datetime
) -> tuple[list[datetime], dict[datetime, str]]:
    """Every real run and every skipped fire, as the preview shows them, page by page."""
    runs: list[datetime] = []
    skipped: dict[datetime, str] = {}
    cursor = start
    while cursor < end:
        page = preview(
            PreviewRequest.model_validate(
                {
                    "schedule": expression,
                    "timezone": timezone,
                    "start_at": cursor,
                    "count": 50,
                    "exclude": exclude,
                    "include_skipped": True,
                }
            ),
            now=start,
        )
        runs += [r.astimezone(UTC) for r in page.next_runs]
        skipped |= {s.at.astimezone(UTC): s.reason for s in page.skipped_runs or []}
        if not page.next_runs:
            break
        cursor = page.next_runs[-1].astimezone(UTC) + timedelta(microseconds=1)
    return runs, skipped


@pytest.mark.parametrize(("expression", "timezone", "exclude"), SAMPLES)
def test_executor_and_preview_agree_on_every_fire_of_a_year(
    handler, put_schedule, table, target_topic, expression, timezone, exclude
) -> None:
    from pydantic import TypeAdapter

    from jobscheduler.logic.calendars import effective_exclusions
    from jobscheduler.models.calendars import Exclusions

    rules = TypeAdapter(Exclusions).validate_python(exclude)
    start = NOW + timedelta(minutes=1)
    end = start + timedelta(days=365)
    runs, skipped = _preview_year(expression, timezone, exclude, start, end)
    fires = next_runs([expression], timezone, after=start, count=2000, end_at=end)
    assert skipped
    assert runs
    assert set(runs) | set(skipped) >= set(fires)
    real = [r for r in runs if r <= end]
    schedule = put_schedule(
        schedule=expression,
        expressions=[expression],
        timezone=timezone,
        exclude=exclude,
        exclusions=effective_exclusions(rules, []),
        next_run_at=real[0],
    )
    upcoming = iter(real[1:] + runs[len(real) :])
    next_real = real[0]
    for at in fires:
        result = handler(fire(schedule, at))
        if at in skipped:
            assert result["status"] == "SKIPPED", (at, result)
            assert result["detail"] == skipped[at]
        else:
            assert at == next_real
            assert result["status"] == "SUCCEEDED", (at, result)
            next_real = next(upcoming)
        stored = _stored(table, schedule.id)
        assert stored.next_run_at == next_real, at
    stored = _stored(table, schedule.id)
    assert stored.total_runs == len([f for f in fires if f not in skipped])
    assert stored.skipped_runs == len([f for f in fires if f in skipped])
    history = records.list_executions(TENANT, schedule.id, limit=100)[0]
    assert {e.skip_reason for e in history if e.status == "SKIPPED"} <= set(skipped.values())


def _thanksgiving_schedule(put_schedule: Any) -> Any:
    from jobscheduler.models.calendars import HolidayRule

    return put_schedule(
        schedule="cron(0 9 * * ? *)",
        expressions=["cron(0 9 * * ? *)"],
        timezone="America/New_York",
        exclude=[{"holidays": "US"}],
        exclusions=[HolidayRule(holidays="US")],
        created_at=datetime(2030, 11, 1, tzinfo=UTC),
    )


THANKSGIVING_9AM = datetime(2030, 11, 28, 14, 0, tzinfo=UTC)


def test_a_skipped_fire_is_recorded_published_and_counted_once(
    handler, put_schedule, table, target_topic, lifecycle
) -> None:
    schedule = _thanksgiving_schedule(put_schedule)
    event = fire(schedule, THANKSGIVING_9AM)
    results = [handler(event) for _ in range(3)]
    assert [r["status"] for r in results] == ["SKIPPED", "DUPLICATE", "DUPLICATE"]
    assert results[0]["detail"] == "holiday: Thanksgiving Day"
    assert target_topic.messages() == []  # the task did not run
    [published] = lifecycle.events()
    data = published["cloudevent"]["data"]
    assert data["event_type"] == "execution.skipped"
    assert data["skip_reason"] == "holiday: Thanksgiving Day"
    assert data["next_run_at"] == "2030-11-29T14:00:00Z"
    stored = _stored(table, schedule.id)
    assert stored.skipped_runs == 1
    assert stored.total_runs == 0
    assert stored.next_run_at == datetime(2030, 11, 29, 14, 0, tzinfo=UTC)
    [record] = records.list_executions(TENANT, schedule.id, limit=10)[0]
    assert record.status == "SKIPPED"
    assert record.skip_reason == "holiday: Thanksgiving Day"


def test_concurrent_deliveries_of_a_skipped_fire_count_once(
    handler, put_schedule, table, target_topic, serialized_moto
) -> None:
    schedule = _thanksgiving_schedule(put_schedule)
    event = fire(schedule, THANKSGIVING_9AM)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(handler(event)["status"])) for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["DUPLICATE"] * 5 + ["SKIPPED"]
    assert _stored(table, schedule.id).skipped_runs == 1


def test_a_late_skipped_fire_does_not_move_next_run_at_back(
    handler, put_schedule, table, target_topic
) -> None:
    schedule = _thanksgiving_schedule(put_schedule)
    later = datetime(2030, 12, 10, 14, 0, tzinfo=UTC)
    table.update_item(
        Key=keys.schedule_key(TENANT, schedule.id),
        UpdateExpression="SET next_run_at = :n",
        ExpressionAttributeValues={":n": "2030-12-10T14:00:00Z"},
    )
    assert handler(fire(schedule, THANKSGIVING_9AM))["status"] == "SKIPPED"
    stored = _stored(table, schedule.id)
    assert stored.next_run_at == later
    assert stored.skipped_runs == 1


def test_the_last_fire_excluded_completes_the_schedule(
    handler, put_schedule, table, target_topic, lifecycle
) -> None:
    from jobscheduler.models.calendars import HolidayRule

    schedule = put_schedule(
        schedule="cron(0 9 * * ? *)",
        expressions=["cron(0 9 * * ? *)"],
        timezone="America/New_York",
        exclusions=[HolidayRule(holidays="US")],
        end_at=THANKSGIVING_9AM + timedelta(hours=1),
    )
    assert handler(fire(schedule, THANKSGIVING_9AM))["status"] == "SKIPPED"
    stored = _stored(table, schedule.id)
    assert stored.status == "COMPLETED"
    assert stored.next_run_at is None
    assert lifecycle.types() == ["execution.skipped", "schedule.completed"]


def test_run_now_ignores_the_calendar(handler, put_schedule, table, target_topic) -> None:
    schedule = _thanksgiving_schedule(put_schedule)
    event = fire(schedule, THANKSGIVING_9AM, trigger="manual")
    event.pop("scheduler_execution_id", None)
    assert handler(event)["status"] == "SUCCEEDED"


def test_a_retry_after_the_schedule_write_failed_finishes_the_bookkeeping_once(
    handler, put_schedule, table, target_topic, monkeypatch
) -> None:
    from jobscheduler.dal import runs
    from jobscheduler.errors import DependencyUnavailable

    schedule = _thanksgiving_schedule(put_schedule)
    real = runs.pass_excluded_fire
    failures = iter([True])

    def flaky(*args: Any, **kwargs: Any) -> bool:
        if next(failures, False):
            raise DependencyUnavailable("dynamodb is unavailable (count skipped fire); retry")
        return real(*args, **kwargs)

    monkeypatch.setattr(runs, "pass_excluded_fire", flaky)
    event = fire(schedule, THANKSGIVING_9AM)
    with pytest.raises(DependencyUnavailable):
        handler(event)
    assert _stored(table, schedule.id).skipped_runs == 0
    # Scheduler retries the delivery: the record exists, the schedule catches up, once.
    assert handler(event)["status"] == "DUPLICATE"
    assert handler(event)["status"] == "DUPLICATE"
    stored = _stored(table, schedule.id)
    assert stored.skipped_runs == 1
    assert stored.next_run_at == datetime(2030, 11, 29, 14, 0, tzinfo=UTC)
    [record] = records.list_executions(TENANT, schedule.id, limit=10)[0]
    assert record.status == "SKIPPED"
