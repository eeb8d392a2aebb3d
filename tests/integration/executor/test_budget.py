"""The executor's bill, pinned: calls and DynamoDB capacity units per run, per duplicate,
per crash-and-takeover, and exact counters under concurrent duplicates.

Calls are counted with botocore's ``before-call``/``after-call`` event hooks on the
clients the executor uses. Capacity units follow DynamoDB's on-demand arithmetic from
the item sizes in moto's backend (moto itself answers 1.0 for everything): a write costs
ceil(max(size before, size after) / 1 KB) units, also when its condition fails; a
consistent read ceil(size / 4 KB).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.common import index_write_units, moto_item_attrs, moto_item_size, typed_item_size
from jobscheduler.dal import codec, keys, reconcile_index, run_finish, runs
from jobscheduler.dal import executions as records
from jobscheduler.models.executions import Execution, ExecutionStatus, Trigger
from jobscheduler.models.schedules import Schedule
from jobscheduler.settings import get_settings

from .conftest import TENANT, fire, make_schedule

_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
_READS = {"GetItem"}
_KB = 1024


@dataclass
class Metered:
    service: str
    operation: str
    units: float = 0.0
    index_units: float = 0.0
    failed: bool = False


@dataclass
class Meter:
    """AWS calls and DynamoDB capacity units, per call, through botocore's event hooks."""

    calls: list[Metered] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    topic_arn: str = ""

    def before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if model.service_model.service_name != "dynamodb" or model.name not in _WRITES:
            return
        body = json.loads(params.get("body") or b"{}")
        target = (body["TableName"], body.get("Key") or body.get("Item") or {})
        context["meter_target"] = target
        context["meter_before"] = moto_item_attrs(*target)

    def after(
        self,
        http_response: Any,
        parsed: dict[str, Any],
        model: Any,
        context: dict[str, Any],
        **_: Any,
    ) -> None:
        service, operation = model.service_model.service_name, model.name
        call = Metered(service, operation, failed=http_response.status_code >= 300)
        if service == "dynamodb" and operation in _WRITES:
            before, after = context["meter_before"], moto_item_attrs(*context["meter_target"])
            size = max(typed_item_size(i) for i in (before, after, {}) if i is not None)
            call.units = max(1, math.ceil(size / _KB))
            # The table's global secondary indexes bill their own writes.
            call.index_units = index_write_units(context["meter_target"][0], before, after)
        elif service == "dynamodb" and operation in _READS:
            item = parsed.get("Item") or {}
            size = moto_item_size(get_settings().table_name, item) if item else 0
            call.units = max(1, math.ceil(size / (4 * _KB)))
        with self.lock:
            self.calls.append(call)

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self.before)
        client.meta.events.register("after-call.*.*", self.after)

    def mark(self) -> int:
        with self.lock:
            return len(self.calls)

    def since(self, mark: int) -> Budget:
        with self.lock:
            calls = self.calls[mark:]
        ddb = [c for c in calls if c.service == "dynamodb"]
        return Budget(
            reads=sum(1 for c in ddb if c.operation in _READS),
            writes=sum(1 for c in ddb if c.operation in _WRITES),
            read_units=sum(c.units for c in ddb if c.operation in _READS),
            write_units=sum(c.units for c in ddb if c.operation in _WRITES),
            index_write_units=sum(c.index_units for c in ddb),
            # Billed publishes: a publish SNS refuses (the probe of a tenant topic that does
            # not exist, at most once a minute per tenant and instance) is not billed.
            publishes=sum(
                1 for c in calls if c.service == "sns" and c.operation == "Publish" and not c.failed
            ),
            transactions=sum(1 for c in ddb if c.operation.startswith("Transact")),
        )


@dataclass(frozen=True)
class Budget:
    reads: int
    writes: int
    read_units: float
    write_units: float
    index_write_units: float
    publishes: int
    transactions: int


@pytest.fixture
def meter(aws: Any) -> Meter:
    from jobscheduler.aws import client, table

    counter = Meter()
    counter.attach(table(get_settings().table_name).meta.client)
    # The lifecycle topic's client (a task's own publish goes through another client).
    counter.attach(client("sns"))
    return counter


@pytest.fixture
def put_schedule(table: Any) -> Callable[..., Schedule]:
    """Schedules as the API leaves them between runs: in the reconciler's due index
    (``due_pk``) with a ``next_run_at`` that the run moves on (GSI4 is keyed on it)."""

    def put(**overrides: Any) -> Schedule:
        schedule = make_schedule(**overrides)
        item = codec.schedule_to_item(schedule)
        item.update(reconcile_index.due_attributes(schedule.id))
        item["next_run_at"] = "2000-01-01T00:00:00Z"
        table.put_item(Item=item)
        return schedule

    return put


def _stored(table: Any, schedule: Schedule) -> tuple[Schedule, dict[str, Any]]:
    item = table.get_item(Key=keys.schedule_key(TENANT, schedule.id))["Item"]
    return codec.schedule_from_item(item), item


def _executions(schedule: Schedule) -> list[Execution]:
    return records.list_executions(TENANT, schedule.id, limit=100)[0]


def _run_id(event: dict[str, Any]) -> str:
    return keys.scheduled_execution_id(datetime.fromisoformat(event["scheduled_time"]))


def _item_sizes(table: Any, schedule: Schedule) -> list[int]:
    name = get_settings().table_name
    sizes = [moto_item_size(name, keys.schedule_key(TENANT, schedule.id))]
    for execution in _executions(schedule):
        sizes.append(moto_item_size(name, keys.execution_key(TENANT, schedule.id, execution.id)))
    return sizes


@pytest.mark.parametrize("overlap", ["skip", "allow"])
def test_one_run_costs_one_read_unit_three_write_units_one_publish(
    handler, put_schedule, target_topic, table, meter, overlap
):
    schedule = put_schedule(overlap=overlap)
    mark = meter.mark()

    assert handler(fire(schedule, datetime.now(UTC) - timedelta(minutes=1)))["status"] == (
        "SUCCEEDED"
    )

    spent = meter.since(mark)
    assert all(size <= _KB for size in _item_sizes(table, schedule))  # the budget's premise
    # Index writes: the new record enters GSI2 (its RUNNING record's finish changes its
    # projected status too, overlap=allow); the finish moves next_run_at, GSI4's sort key
    # (a delete and a put). GSI1 holds nothing a run changes. See docs/benchmarks.md.
    assert spent == Budget(
        reads=1,
        writes=3,
        read_units=1,
        write_units=3,
        index_write_units=3 if overlap == "skip" else 4,
        publishes=1,
        transactions=0,
    )


def test_notify_started_adds_exactly_one_publish(handler, put_schedule, target_topic, meter):
    schedule = put_schedule(notify_started=True)
    mark = meter.mark()
    handler(fire(schedule, datetime.now(UTC) - timedelta(minutes=1)))
    spent = meter.since(mark)
    assert (spent.publishes, spent.write_units) == (2, 3)


@pytest.mark.parametrize(("overlap", "units"), [("skip", 0), ("allow", 1)])
def test_duplicate_delivery_costs_at_most_one_write_unit(
    handler, put_schedule, target_topic, meter, overlap, units
):
    schedule = put_schedule(overlap=overlap)
    event = fire(schedule, datetime.now(UTC) - timedelta(minutes=1))
    handler(event)
    mark = meter.mark()

    assert handler(event)["status"] == "DUPLICATE"

    spent = meter.since(mark)
    # skip: the consistent read already shows the fire finished (last_finished);
    # allow: the refused conditional PutItem of the record.
    assert (spent.reads, spent.read_units, spent.write_units, spent.publishes) == (1, 1, units, 0)
    assert spent.index_write_units == 0  # a refused write writes no index
    assert len(target_topic.messages()) == 1


def test_duplicate_racing_the_claim_costs_one_refused_write(
    handler, put_schedule, target_topic, meter, monkeypatch
):
    """The duplicate read before the first delivery claimed: its own claim is refused."""
    schedule = put_schedule()
    event = fire(schedule, datetime.now(UTC) - timedelta(minutes=1))
    stale = runs.read_schedule(TENANT, schedule.id)
    handler(event)
    monkeypatch.setattr(runs, "read_schedule", lambda tenant, schedule_id: stale)
    mark = meter.mark()

    assert handler(event)["status"] == "DUPLICATE"

    spent = meter.since(mark)
    assert (spent.writes, spent.write_units, spent.publishes) == (1, 1, 0)
    assert len(target_topic.messages()) == 1


def _crash_after(monkeypatch: pytest.MonkeyPatch, name: str, module: Any = runs) -> None:
    """Make <module>.<name> kill the delivery once (the Lambda dies at that point)."""
    real = getattr(module, name)
    state = {"armed": True}

    def crash(*args: Any, **kwargs: Any) -> Any:
        if state["armed"]:
            state["armed"] = False
            raise SystemExit("the container died here")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, crash)


def _expire_leases(table: Any, schedule: Schedule, execution_id: str) -> None:
    """Time passes: the crashed attempt's lease (hold or record) runs out."""
    if schedule.overlap == "skip":
        table.update_item(
            Key=keys.schedule_key(TENANT, schedule.id),
            UpdateExpression="SET running_lease_until = :past",
            ExpressionAttributeValues={":past": 1},
        )
    else:
        table.update_item(
            Key=keys.execution_key(TENANT, schedule.id, execution_id),
            UpdateExpression="SET lease_until = :past",
            ExpressionAttributeValues={":past": 1},
        )


@pytest.mark.parametrize("overlap", ["skip", "allow"])
def test_crash_before_the_finish_is_taken_over_once(
    handler, put_schedule, target_topic, table, meter, monkeypatch, overlap
):
    schedule = put_schedule(overlap=overlap)
    event = fire(schedule, datetime.now(UTC) - timedelta(minutes=1))
    _crash_after(monkeypatch, "finish")
    with pytest.raises(SystemExit):
        handler(event)  # the task ran, the bookkeeping died with it
    _expire_leases(table, schedule, _run_id(event))
    mark = meter.mark()

    summary = handler(event)

    assert summary["status"] == "SUCCEEDED"
    assert summary["attempts"] == 2  # the crashed attempt's and ours
    spent = meter.since(mark)
    if overlap == "skip":
        # Read, take-over of the hold, a read of the record the crash may have left,
        # the final record (enters GSI2), the schedule (moves its GSI4 entry).
        expected = Budget(
            reads=2,
            writes=3,
            read_units=2,
            write_units=3,
            index_write_units=1 + 2,
            publishes=1,
            transactions=0,
        )
    else:
        # Read, the refused claim, the take-over put, the schedule, the final record.
        # Index writes: the final record changes the status GSI2 holds (the take-over
        # put changes only the lease and attempts, which it does not hold); the
        # schedule moves its GSI4 entry.
        expected = Budget(
            reads=1,
            writes=4,
            read_units=1,
            write_units=4,
            index_write_units=1 + 2,
            publishes=1,
            transactions=0,
        )
    assert spent == expected
    stored, item = _stored(table, schedule)
    assert (stored.total_runs, stored.failed_runs) == (1, 0)
    assert "running_execution" not in item
    assert [e.status for e in _executions(schedule)] == ["SUCCEEDED"]
    # At least once under a crash: the task ran in both attempts (documented).
    assert len(target_topic.messages()) == 2
    assert handler(event)["status"] == "DUPLICATE"


def test_crash_between_record_and_schedule_does_not_rerun_the_task(
    handler, put_schedule, target_topic, table, meter, monkeypatch
):
    """overlap=skip writes the record first; a take-over finds it and only counts."""
    schedule = put_schedule()
    event = fire(schedule, datetime.now(UTC) - timedelta(minutes=1))
    _crash_after(monkeypatch, "_finish_schedule", run_finish)
    with pytest.raises(SystemExit):
        handler(event)
    _expire_leases(table, schedule, _run_id(event))
    mark = meter.mark()

    assert handler(event)["status"] == "SUCCEEDED"

    spent = meter.since(mark)
    assert (spent.reads, spent.writes, spent.write_units, spent.publishes) == (2, 2, 2, 1)
    assert len(target_topic.messages()) == 1  # not run again
    stored, item = _stored(table, schedule)
    assert stored.total_runs == 1
    assert item["last_finished"] == _run_id(event)
    assert "running_execution" not in item


@pytest.mark.parametrize("overlap", ["skip", "allow"])
def test_retried_finish_counts_once(put_schedule, table, aws, overlap):
    """A finish applied twice (botocore retry after a lost answer, a late attempt) changes
    nothing the second time: each write is conditional on the claim it finishes."""
    schedule = put_schedule(overlap=overlap)
    now = datetime.now(UTC)
    base = Execution(
        id=keys.scheduled_execution_id(now - timedelta(minutes=1)),
        schedule_id=schedule.id,
        status=ExecutionStatus.RUNNING,
        trigger=Trigger.SCHEDULE,
        scheduled_time=now - timedelta(minutes=1),
        started_at=now,
        attempts=1,
        task_type="sns",
    )
    snapshot = runs.read_schedule(TENANT, schedule.id)
    assert snapshot is not None
    lock = runs.claim(
        TENANT, base, snapshot, now=now, lease_until=now + timedelta(minutes=1), scheduled=True
    )
    assert lock.result == runs.ClaimResult.CLAIMED
    final = base.model_copy(
        update={"status": ExecutionStatus.FAILED, "finished_at": now, "error": "boom"}
    )
    changes = runs.ScheduleChanges(
        last_run_at=now,
        last_status=ExecutionStatus.FAILED,
        failed=True,
        set_next_run_at=True,
        next_run_at=now + timedelta(minutes=5),
        complete=False,
    )
    for _ in range(3):
        runs.finish(TENANT, final, changes, lock, now=now)
    stored, _ = _stored(table, schedule)
    assert (stored.total_runs, stored.failed_runs) == (1, 1)
    [record] = _executions(schedule)
    assert record.status == ExecutionStatus.FAILED


def _deliver_concurrently(
    handler: Callable[..., dict[str, Any]], events: list[dict[str, Any]]
) -> list[str]:
    barrier = threading.Barrier(len(events))
    results: list[str] = []
    errors: list[BaseException] = []

    def deliver(event: dict[str, Any]) -> None:
        try:
            barrier.wait()
            results.append(handler(event)["status"])
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=deliver, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.parametrize("overlap", ["skip", "allow"])
def test_counters_exact_under_concurrent_duplicates(
    handler, put_schedule, target_topic, table, meter, serialized_moto, overlap
):
    """Four fires (two failing), each delivered four times at once: every counter is
    exactly what the records say, and each duplicate spent at most one write unit."""
    schedule = put_schedule(overlap=overlap, retry={"max_attempts": 1})
    working = codec.to_dynamo(schedule.task)
    failing = {**working, "topic_arn": "arn:aws:sns:us-east-1:123456789012:absent"}
    base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    deliveries = 4
    for index in range(4):
        if index % 2:
            table.update_item(
                Key=keys.schedule_key(TENANT, schedule.id),
                UpdateExpression="SET task = :task",
                ExpressionAttributeValues={":task": failing},
            )
        else:
            table.update_item(
                Key=keys.schedule_key(TENANT, schedule.id),
                UpdateExpression="SET task = :task",
                ExpressionAttributeValues={":task": working},
            )
        event = fire(schedule, base + timedelta(minutes=5 * index))
        mark = meter.mark()
        results = _deliver_concurrently(handler, [event] * deliveries)
        assert sorted(results).count("DUPLICATE") == deliveries - 1
        spent = meter.since(mark)
        # One run's 3 write units, plus at most one per duplicate.
        assert spent.write_units <= 3 + (deliveries - 1)
        assert spent.publishes == 1

    records_ = _executions(schedule)
    stored, item = _stored(table, schedule)
    assert len(records_) == 4
    assert stored.total_runs == 4
    assert stored.failed_runs == sum(1 for r in records_ if r.status != "SUCCEEDED") == 2
    assert stored.last_run_at == max(r.started_at for r in records_ if r.started_at)
    assert stored.next_run_at is not None
    assert stored.next_run_at > datetime.now(UTC)
    assert "running_execution" not in item
    assert len(target_topic.messages()) == 2


def test_fire_older_than_a_claimed_one_is_recorded_superseded(
    handler, put_schedule, target_topic, table, lifecycle
):
    """overlap=skip: a late retry arriving after a newer fire ran is not run."""
    schedule = put_schedule()
    newer = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    older = newer - timedelta(minutes=5)
    assert handler(fire(schedule, newer))["status"] == "SUCCEEDED"

    summary = handler(fire(schedule, older))

    assert summary["status"] == "SKIPPED"
    assert summary["detail"] == "superseded"
    assert len(target_topic.messages()) == 1
    stored, _ = _stored(table, schedule)
    assert stored.total_runs == 1
    assert handler(fire(schedule, older))["status"] == "DUPLICATE"


def test_schedule_from_before_the_high_water_mark_is_checked_by_its_record(
    handler, put_schedule, target_topic, table
):
    """A schedule item written before claimed_through existed: a duplicate of a run the
    previous code recorded is recognised by the record, once, and not run again."""
    schedule = put_schedule()
    scheduled = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    table.update_item(
        Key=keys.schedule_key(TENANT, schedule.id), UpdateExpression="REMOVE claimed_through"
    )
    done = Execution(
        id=keys.scheduled_execution_id(scheduled),
        schedule_id=schedule.id,
        status=ExecutionStatus.SUCCEEDED,
        trigger=Trigger.SCHEDULE,
        scheduled_time=scheduled,
        attempts=1,
    )
    assert records.put_skipped(TENANT, done, now=datetime.now(UTC))  # any final record

    assert handler(fire(schedule, scheduled))["status"] == "DUPLICATE"
    assert target_topic.messages() == []
    _, item = _stored(table, schedule)
    assert "running_execution" not in item
    # The next fire runs and sets the mark.
    assert handler(fire(schedule, scheduled + timedelta(seconds=30)))["status"] == "SUCCEEDED"
    _, item = _stored(table, schedule)
    assert item["claimed_through"] == keys.scheduled_execution_id(scheduled + timedelta(seconds=30))


def test_late_finish_after_a_take_over_leaves_the_run_to_the_taker(put_schedule, table, aws):
    """The first attempt outlived its lease; another took over and recorded the run.
    The first attempt's finish then changes nothing and keeps the taker's hold."""
    schedule = put_schedule()
    now = datetime.now(UTC)
    run = Execution(
        id=keys.scheduled_execution_id(now - timedelta(minutes=1)),
        schedule_id=schedule.id,
        status=ExecutionStatus.RUNNING,
        trigger=Trigger.SCHEDULE,
        scheduled_time=now - timedelta(minutes=1),
        started_at=now,
        attempts=1,
    )
    snapshot = runs.read_schedule(TENANT, schedule.id)
    assert snapshot is not None
    first = runs.claim(
        TENANT,
        run,
        snapshot,
        now=now - timedelta(minutes=10),
        lease_until=now - timedelta(seconds=1),
        scheduled=True,
    )
    later = runs.read_schedule(TENANT, schedule.id)
    assert later is not None
    taker = runs.claim(
        TENANT, run, later, now=now, lease_until=now + timedelta(minutes=5), scheduled=True
    )
    assert taker.result == runs.ClaimResult.TAKEN_OVER
    final = run.model_copy(update={"status": ExecutionStatus.SUCCEEDED, "finished_at": now})
    changes = runs.ScheduleChanges(
        last_run_at=now,
        last_status=ExecutionStatus.SUCCEEDED,
        failed=False,
        set_next_run_at=False,
        next_run_at=None,
        complete=False,
    )
    runs.finish(TENANT, final, changes, taker, now=now)
    runs.finish(TENANT, final, changes, first, now=now)  # the late one
    stored, item = _stored(table, schedule)
    assert stored.total_runs == 1
    assert "running_execution" not in item
