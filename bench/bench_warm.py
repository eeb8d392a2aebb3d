"""Warm executor overhead: time per run of an SNS task through the executor handler,
in-process against moto, as a ratio to the same AWS calls made bare with boto3 in a
loop (the floor: the very operations the executor made, with the same parameters and so
the same item sizes, replayed on the same moto instance against a copy of the starting table).

One pass on distinct fires (each run needs its own scheduled_time, or it would be a
duplicate) records the calls with their parameters (deep copies, which cost time, so
that pass is not timed). Then, interleaved so load on the machine drifts alike on both
sides, a new run of the handler is timed, and one recorded run's calls are replayed bare
against a copy of the table (same schema, same starting items) next to the live one.

Run alone: python -m bench.bench_warm
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import boto3

from bench.bench_cost import rig
from bench.common import (
    CallCounter,
    Figures,
    LambdaContext,
    log,
    median,
    original_api_call,
    quick,
    quiet_stdout,
    set_api_call,
)

RUNS = 100
WARMUP = 5


def _record_run(run: Callable[[], Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The (service, operation, parameters) of every AWS call one run makes."""
    calls: list[tuple[str, str, dict[str, Any]]] = []
    original = original_api_call()

    def recording(client: Any, operation: str, params: dict[str, Any]) -> Any:
        # Deep copy before the call: botocore's parameter build mutates nested values.
        calls.append((client.meta.service_model.service_name, operation, copy.deepcopy(params)))
        return original(client, operation, params)

    set_api_call(recording)
    try:
        run()
    finally:
        set_api_call(original)
    return calls


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def _replay_table(ddb: Any, source: str) -> str:
    """An empty copy of the table's schema, for the bare replay next to the live one."""
    described = ddb.describe_table(TableName=source)["Table"]
    name = f"{source}-replay"
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": described["AttributeDefinitions"],
        "KeySchema": described["KeySchema"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if described.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = [
            {
                "IndexName": g["IndexName"],
                "KeySchema": g["KeySchema"],
                "Projection": g["Projection"],
            }
            for g in described["GlobalSecondaryIndexes"]
        ]
    ddb.create_table(**kwargs)
    for item in ddb.scan(TableName=source)["Items"]:
        ddb.put_item(TableName=name, Item=item)
    return name


def _pad(ddb: Any, live: str, replay: str) -> None:
    """Give the replay table as many items as the live one, under keys no call touches.

    moto's TransactWriteItems deep-copies each table it writes to (its rollback copy), so
    its time grows with the table; the recording pass added RUNS executions to the live
    table only, and without padding the bare side would run on a smaller table.
    """
    replay_keys = {(i["PK"]["S"], i["SK"]["S"]) for i in ddb.scan(TableName=replay)["Items"]}
    for item in ddb.scan(TableName=live)["Items"]:
        if (item["PK"]["S"], item["SK"]["S"]) not in replay_keys:
            ddb.put_item(TableName=replay, Item={**item, "PK": {"S": "PAD#" + item["PK"]["S"]}})


def _retarget(params: dict[str, Any], table: str) -> dict[str, Any]:
    """The same call aimed at the replay table."""
    params = copy.deepcopy(params)
    if "TableName" in params:
        params["TableName"] = table
    for entry in params.get("TransactItems", []):
        for body in entry.values():
            body["TableName"] = table
    return params


def main() -> Figures:
    global RUNS, WARMUP
    if quick():
        RUNS, WARMUP = 5, 1
    figures: Figures = {}
    with rig(http=False) as r:
        schedule_id = r.schedules["sns"]
        for _ in range(WARMUP):
            r.run(r.event(schedule_id))
        ddb = boto3.client("dynamodb")
        # The replay starts from the table as the recorded runs found it.
        replay_table = _replay_table(ddb, r.stack.ref("Table"))
        recorded = [_record_run(lambda: r.run(r.event(schedule_id))) for _ in range(RUNS)]
        _pad(ddb, r.stack.ref("Table"), replay_table)
        # The resource's client (de)serializes plain Python values, as the executor's does.
        clients: dict[str, Any] = {"dynamodb": boto3.resource("dynamodb").meta.client}
        for calls in recorded:
            for service, _, _ in calls:
                clients.setdefault(service, boto3.client(service))  # type: ignore[call-overload]
        # Interleaved (one run, then one replay) so the machine's load drifts alike on both.
        handler_times: list[float] = []
        own_times: list[float] = []
        replay_times: list[float] = []
        mismatches = 0
        for calls in recorded:
            event = r.event(schedule_id)
            context = LambdaContext()
            with CallCounter(measure_units=False) as counter, quiet_stdout():
                start = time.perf_counter()
                r.executor(dict(event), context)
                handler_times.append(time.perf_counter() - start)
            own_times.append(handler_times[-1] - counter.aws_seconds())
            prepared = [
                (getattr(clients[s], _snake(op)), _retarget(p, replay_table)) for s, op, p in calls
            ]
            start = time.perf_counter()
            for method, params in prepared:
                try:
                    method(**params)
                except Exception:
                    mismatches += 1
            replay_times.append(time.perf_counter() - start)

    handler_ms = median(handler_times) * 1000
    bare_ms = median(replay_times) * 1000
    calls_per_run = median([float(len(c)) for c in recorded])
    log(
        f"warm: executor {handler_ms:.1f} ms/run, bare boto3 {bare_ms:.1f} ms/run, "
        f"{calls_per_run:g} AWS calls/run, {mismatches} replayed calls failed"
    )
    own_ms = median(own_times) * 1000
    log(f"warm: the executor's own time (run minus its AWS calls) {own_ms:.2f} ms/run")
    figures["warm.executor.run_ms"] = round(handler_ms, 2)
    figures["warm.executor.own_ms"] = round(own_ms, 2)
    figures["warm.executor.bare_boto3_ms"] = round(bare_ms, 2)
    figures["warm.executor.ratio"] = round(handler_ms / bare_ms, 2)
    figures["warm.executor.aws_calls_per_run"] = calls_per_run
    figures["warm.executor.replay_failures"] = mismatches
    return figures


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(main())
