"""Scale: a page of 50 schedules (GET /schedules?limit=50) and a page of 50 executions
(GET /schedules/{id}/executions?limit=50) through the API handler, with 1,000 and with
100,000 schedules in the table; the ratio of the two page times. Plus creates per
second (POST /schedules through the handler) against moto.

moto's in-process Query walks every item of the table (moto/dynamodb/models/table.py:
``for item in self.all_items()``), for the base table and the GSI alike, so under moto
a page's time grows with the table whatever the key design. Real DynamoDB reads only
the items of the queried partition up to Limit, so the benchmark also reports, per
page, the items DynamoDB reads (ScannedCount of the Query responses, which is what
DynamoDB bills as read units) and the handler's own time (the page time minus the same
Query made bare with boto3 against the same moto table).

Run alone: python -m bench.bench_scale
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from bench.common import (
    TENANT,
    CallCounter,
    Figures,
    LambdaContext,
    api_event,
    log,
    median,
    moto_stack,
    quick,
    quiet_stdout,
    seed_items,
    timed,
    to_typed,
)

PAGE = 50
CREATES = 200
SIZES = {"1k": 1_000, "100k": 100_000}
# Per size: the bench tenant's schedules and the executions of the listed schedule;
# the rest of the schedules belong to other tenants, at most 1,000 each (the quota).
OWN_SCHEDULES = {"1k": 100, "100k": 1_000}
OWN_EXECUTIONS = {"1k": 100, "100k": 1_000}
OTHER_EXECUTIONS = {"1k": 0, "100k": 9_000}
REPEATS = {"1k": 7, "100k": 3}


def _schedule_template() -> dict[str, Any]:
    from jobscheduler.dal import codec
    from jobscheduler.models.schedules import Schedule

    now = datetime.now(UTC)
    schedule = Schedule(
        id="sch_00000000000000000000",
        tenant=TENANT,
        name="template",
        status="ACTIVE",
        kind="recurring",
        schedule="0 9 * * 1-5",
        expressions=["cron(0 9 ? * MON-FRI *)"],
        timezone="Europe/Paris",
        schedule_description="At 09:00, Monday through Friday",
        task={
            "type": "http",
            "url": "https://example.com/hooks/nightly-report",
            "method": "POST",
            "body": {"report": "daily", "format": "pdf"},
        },
        tags={"team": "reports", "env": "prod"},
        next_run_at=now + timedelta(days=1),
        last_run_at=now - timedelta(days=1),
        total_runs=42,
        created_at=now,
        updated_at=now,
    )
    return to_typed(codec.schedule_to_item(schedule))


def _execution_template() -> dict[str, Any]:
    from jobscheduler.dal import codec
    from jobscheduler.models.executions import Execution

    now = datetime.now(UTC)
    execution = Execution(
        id="20260101T090000Z",
        schedule_id="sch_00000000000000000000",
        status="SUCCEEDED",
        trigger="schedule",
        scheduled_time=now,
        started_at=now,
        finished_at=now,
        duration_ms=182,
        lateness_ms=412,
        attempts=1,
        result={"status_code": 200, "body": '{"ok": true}'},
        task_type="http",
    )
    item = codec.to_dynamo(execution)
    item["tenant"] = TENANT
    item["expires_at"] = int((now + timedelta(days=30)).timestamp())
    return to_typed(item)


def _schedules(template: dict[str, Any], tenant: str, start: int, count: int) -> list[Any]:
    from jobscheduler.dal import keys
    from jobscheduler.models.ids import new_schedule_id

    out = []
    for number in range(start, start + count):
        schedule_id = new_schedule_id()
        name = f"job-{number:07d}"
        item = dict(template)
        item.update(
            {
                "id": {"S": schedule_id},
                "tenant": {"S": tenant},
                "name": {"S": name},
                keys.PK: {"S": keys.tenant_pk(tenant)},
                keys.SK: {"S": keys.schedule_sk(schedule_id)},
                keys.GSI1PK: {"S": keys.schedule_gsi1pk(tenant, False)},
                keys.GSI1SK: {"S": keys.schedule_gsi1sk(name, schedule_id)},
            }
        )
        out.append(item)
    return out


def _executions(
    template: dict[str, Any], tenant: str, schedule_id: str, start: int, count: int
) -> list[Any]:
    from jobscheduler.dal import keys

    base = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for number in range(start, start + count):
        moment = base + timedelta(minutes=number)
        execution_id = keys.scheduled_execution_id(moment)
        item = dict(template)
        item.update(
            {
                "id": {"S": execution_id},
                "schedule_id": {"S": schedule_id},
                "tenant": {"S": tenant},
                "scheduled_time": {"S": moment.isoformat()},
                **{
                    k: {"S": v}
                    for k, v in keys.execution_key(tenant, schedule_id, execution_id).items()
                },
            }
        )
        out.append(item)
    return out


class _Seeder:
    """Grows the table from one size to the next (the 100k table contains the 1k one)."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.schedule_template = _schedule_template()
        self.execution_template = _execution_template()
        self.own = 0
        self.others = 0
        self.own_executions = 0
        self.other_executions = 0
        self.target_id = ""
        self.own_ids: list[str] = []

    def grow(self, size: str) -> float:
        items: list[Any] = []
        own = _schedules(self.schedule_template, TENANT, self.own, OWN_SCHEDULES[size] - self.own)
        self.own_ids += [item["id"]["S"] for item in own]
        self.target_id = self.target_id or self.own_ids[0]
        items += own
        self.own = OWN_SCHEDULES[size]
        wanted_others = SIZES[size] - self.own
        while self.others < wanted_others:
            tenant = f"other-tenant-{self.others // 1000:04d}"
            count = min(1000 - self.others % 1000, wanted_others - self.others)
            items += _schedules(self.schedule_template, tenant, self.others, count)
            self.others += count
        items += _executions(
            self.execution_template,
            TENANT,
            self.target_id,
            self.own_executions,
            OWN_EXECUTIONS[size] - self.own_executions,
        )
        self.own_executions = OWN_EXECUTIONS[size]
        # Other executions of the same tenant's other schedules, 100 each.
        while self.other_executions < OTHER_EXECUTIONS[size]:
            schedule_id = self.own_ids[1 + (self.other_executions // 100) % (len(self.own_ids) - 1)]
            items += _executions(
                self.execution_template, TENANT, schedule_id, self.other_executions, 100
            )
            self.other_executions += 100
        seconds = timed(lambda: seed_items(self.table_name, items))
        log(f"scale: seeded {len(items):,} items in {seconds:.1f} s ({size} table)")
        return seconds


def _call(handler: Any, event: dict[str, Any]) -> dict[str, Any]:
    with quiet_stdout():
        response: dict[str, Any] = handler(event, LambdaContext())
    return response


def _page(handler: Any, path: str) -> int:
    response = _call(handler, api_event("GET", path, query={"limit": str(PAGE)}))
    if response["statusCode"] != 200:
        raise RuntimeError(f"GET {path} answered {response['statusCode']}: {response['body']}")
    return len(json.loads(response["body"])["items"])


def measure_creates(count: int = CREATES) -> tuple[float, float]:
    """Creates per second through the API handler (each writes DynamoDB, creates its
    Scheduler entry and publishes schedule.created), and the handler's own time per
    create (its time minus the time inside its AWS calls), in milliseconds."""
    with moto_stack() as stack:
        handler = stack.load_handler("ApiFunction")
        # A topic of the user's own: tasks may not target the stack's events topic.
        topic = boto3.client("sns").create_topic(Name="bench-task-topic")["TopicArn"]
        bodies = [
            json.dumps(
                {
                    "name": f"create-{number:04d}",
                    "schedule": "*/5 * * * *",
                    "timezone": "UTC",
                    "task": {"type": "sns", "topic_arn": topic, "message": {"n": number}},
                }
            )
            for number in range(count + 1)
        ]
        # The first create pays the lazy imports and client creation: not counted.
        _call(handler, api_event("POST", "/schedules", tenant="creator", body=bodies[-1]))
        own: list[float] = []
        start = time.perf_counter()
        for body in bodies[:count]:
            with CallCounter(measure_units=False) as counter:
                began = time.perf_counter()
                response = _call(
                    handler, api_event("POST", "/schedules", tenant="creator", body=body)
                )
                own.append(time.perf_counter() - began - counter.aws_seconds())
            if response["statusCode"] != 201:
                raise RuntimeError(f"create answered {response['statusCode']}: {response['body']}")
        seconds = time.perf_counter() - start
    return count / seconds, median(own) * 1000


def _measure_page(handler: Any, path: str, repeats: int) -> dict[str, float]:
    """Median page time, the median time spent inside AWS calls (moto), and what
    DynamoDB would read (ScannedCount and read units of the Query responses)."""
    with CallCounter() as counter:
        returned = _page(handler, path)  # also the warm-up
    if returned != PAGE:
        raise RuntimeError(f"GET {path} returned {returned} items, expected {PAGE}")
    queries = [c for c in counter.calls if c.operation == "Query"]
    measured = {
        "scanned": float(sum(c.scanned_count or 0 for c in queries)),
        "read_units": sum(c.read_units for c in counter.calls),
        "calls": float(len(counter.calls)),
    }
    operations = counter.by_operation()
    totals: list[float] = []
    inside: list[float] = []
    for _ in range(repeats):
        with CallCounter(measure_units=False) as counter:
            totals.append(timed(lambda: _page(handler, path)))
        inside.append(counter.aws_seconds())
    measured["ms"] = median(totals) * 1000
    measured["aws_ms"] = median(inside) * 1000
    # The handler's own work: each run's total minus its time inside AWS calls.
    measured["overhead_ms"] = median([t - a for t, a in zip(totals, inside, strict=True)]) * 1000
    log(
        f"scale {path}: {measured['ms']:.0f} ms, of which AWS calls (moto) "
        f"{measured['aws_ms']:.0f} ms; items read {measured['scanned']:.0f}; {dict(operations)}"
    )
    return measured


def _go_quick() -> None:
    """Quick mode: the same steps on tables of 200 and 2,000 schedules."""
    global CREATES
    CREATES = 10
    SIZES.update({"1k": 200, "100k": 2_000})
    OWN_SCHEDULES.update({"1k": 60, "100k": 100})
    OWN_EXECUTIONS.update({"1k": 60, "100k": 100})
    OTHER_EXECUTIONS.update({"1k": 0, "100k": 0})
    REPEATS.update({"1k": 1, "100k": 1})


def main() -> Figures:
    if quick():
        _go_quick()
    figures: Figures = {}
    creates, create_own_ms = measure_creates(CREATES)
    figures["scale.creates_per_second"] = round(creates, 1)
    figures["scale.create_handler_own_ms"] = round(create_own_ms, 2)
    log(f"scale: {creates:.1f} creates/s through the handler, own time {create_own_ms:.1f} ms each")
    results: dict[str, dict[str, float]] = {}
    with moto_stack() as stack:
        handler = stack.load_handler("ApiFunction")
        seeder = _Seeder(stack.ref("Table"))
        seed_total = 0.0
        for size in SIZES:
            seed_total += seeder.grow(size)
            results[f"schedules_page.{size}"] = _measure_page(handler, "/schedules", REPEATS[size])
            results[f"executions_page.{size}"] = _measure_page(
                handler, f"/schedules/{seeder.target_id}/executions", REPEATS[size]
            )
        figures["scale.seed_seconds"] = round(seed_total, 1)
    for kind in ("schedules_page", "executions_page"):
        small, large = results[f"{kind}.1k"], results[f"{kind}.100k"]
        figures[f"scale.{kind}.ms_1k"] = round(small["ms"], 1)
        figures[f"scale.{kind}.ms_100k"] = round(large["ms"], 1)
        figures[f"scale.{kind}.ratio"] = round(large["ms"] / small["ms"], 2)
        figures[f"scale.{kind}.moto_call_ms_1k"] = round(small["aws_ms"], 1)
        figures[f"scale.{kind}.moto_call_ms_100k"] = round(large["aws_ms"], 1)
        figures[f"scale.{kind}.handler_overhead_ms_1k"] = round(small["overhead_ms"], 1)
        figures[f"scale.{kind}.handler_overhead_ms_100k"] = round(large["overhead_ms"], 1)
        figures[f"scale.{kind}.handler_overhead_ratio"] = round(
            large["overhead_ms"] / small["overhead_ms"], 2
        )
        figures[f"scale.{kind}.items_read_1k"] = int(small["scanned"])
        figures[f"scale.{kind}.items_read_100k"] = int(large["scanned"])
        figures[f"scale.{kind}.scanned_ratio"] = round(large["scanned"] / small["scanned"], 2)
        figures[f"scale.{kind}.read_units_100k"] = large["read_units"]
        figures[f"scale.{kind}.aws_calls_100k"] = int(large["calls"])
    return figures


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(main())
