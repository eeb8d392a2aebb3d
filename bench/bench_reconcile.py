"""Reconciler: one pass's DynamoDB reads and Scheduler calls with 1,000 and with
100,000 schedules in the table and the same handful of changes (issue 15).

The handful: five schedules written through the API logic (so each carries the check
marker an API write leaves), of which one lost its Scheduler entry, one has its entry
disabled, and two have an expected run that never happened (missed). The rest are
healthy ACTIVE schedules, seeded straight into moto: indexed as due at some time in the
future, with no check pending. A pass must read the same whatever their number.

Counted per pass: DynamoDB read calls (GetItem, Query), the items those calls return
(what DynamoDB bills for a keys-only index Query is the items it reads; ScannedCount
equals Count here: there is no filter), and every Scheduler call.

Run alone: python -m bench.bench_reconcile
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import CallCounter, Figures, log, moto_stack, quick, quiet_stdout, seed_items

SIZES = {"1k": 1_000, "100k": 100_000}
QUICK_SIZES = {"1k": 1_000, "100k": 5_000}
HANDFUL = 5


def _create_handful() -> list[Any]:
    from jobscheduler.logic import schedules
    from jobscheduler.models.schedules import ScheduleCreate

    created = []
    for number in range(HANDFUL):
        body = ScheduleCreate.model_validate(
            {
                "name": f"changed-{number}",
                "schedule": "rate(1 hour)",
                "task": {"type": "http", "url": "https://example.com/hook"},
            }
        )
        created.append(schedules.create("bench-tenant", body).schedule)
    return created


def _inject_drift(created: list[Any], table_name: str, group: str) -> None:
    import boto3

    scheduler = boto3.client("scheduler")
    scheduler.delete_schedule(Name=f"{created[0].id}-0", GroupName=group)
    entry = scheduler.get_schedule(Name=f"{created[1].id}-0", GroupName=group)
    keep = ("ScheduleExpression", "ScheduleExpressionTimezone", "FlexibleTimeWindow", "Target")
    kept: dict[str, Any] = {k: entry[k] for k in keep}  # type: ignore[literal-required]
    scheduler.update_schedule(Name=entry["Name"], GroupName=group, State="DISABLED", **kept)
    table = boto3.resource("dynamodb").Table(table_name)
    past = (datetime.now(UTC) - timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    for schedule in created[2:4]:
        table.update_item(
            Key={"PK": "TENANT#bench-tenant", "SK": f"SCHEDULE#{schedule.id}"},
            UpdateExpression="SET next_run_at = :past",
            ExpressionAttributeValues={":past": past},
        )


def _healthy(start: int, count: int) -> list[dict[str, Any]]:
    from jobscheduler.dal import reconcile_index

    rng = random.Random(start)
    now = datetime.now(UTC)
    items = []
    for number in range(start, start + count):
        schedule_id = f"sch_{number:020d}"
        upcoming = now + timedelta(seconds=rng.randint(600, 86_400))
        items.append(
            {
                "PK": {"S": f"TENANT#t{number // 1000}"},
                "SK": {"S": f"SCHEDULE#{schedule_id}"},
                "id": {"S": schedule_id},
                "status": {"S": "ACTIVE"},
                "next_run_at": {"S": reconcile_index.iso(upcoming)},
                "due_pk": {"S": reconcile_index.due_attributes(schedule_id)["due_pk"]},
            }
        )
    return items


def _measure(size: int) -> dict[str, int]:
    from jobscheduler.logic.reconcile import run_pass

    with moto_stack() as stack, quiet_stdout():
        created = _create_handful()
        _inject_drift(created, stack.ref("Table"), stack.ref("ScheduleGroup"))
        seed_items(stack.ref("Table"), _healthy(0, size - HANDFUL))
        with CallCounter() as counter:
            report = run_pass(datetime.now(UTC) + timedelta(seconds=200))
    reads = [
        c for c in counter.calls if c.service == "dynamodb" and c.operation in ("GetItem", "Query")
    ]
    return {
        "ddb_reads": len(reads),
        "ddb_items_read": sum(int(c.scanned_count or 0) for c in reads if c.operation == "Query")
        + sum(1 for c in reads if c.operation == "GetItem"),
        "ddb_writes": sum(1 for c in counter.calls if c.service == "dynamodb" and c not in reads),
        "scheduler_calls": sum(1 for c in counter.calls if c.service == "scheduler"),
        "checked": report.checked,
        "missed": report.missed,
        "repairs": sum(report.repairs.values()),
    }


def main() -> Figures:
    figures: Figures = {}
    sizes = QUICK_SIZES if quick() else SIZES
    results = {}
    for label, size in sizes.items():
        results[label] = _measure(size)
        log(f"reconcile: {size:,} schedules -> {results[label]}")
        for name, value in results[label].items():
            figures[f"reconcile.{name}_{label}"] = value
    small, large = results["1k"], results["100k"]
    figures["reconcile.ddb_reads.ratio"] = round(large["ddb_reads"] / small["ddb_reads"], 2)
    figures["reconcile.ddb_items_read.ratio"] = round(
        large["ddb_items_read"] / small["ddb_items_read"], 2
    )
    figures["reconcile.scheduler_calls.ratio"] = round(
        large["scheduler_calls"] / small["scheduler_calls"], 2
    )
    return figures


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
