"""Cost per execution: the AWS calls of one scheduled run, by service and operation,
counted at botocore (bench.common.CallCounter), for an SNS task, an HTTP task (to a
loopback test server; ALLOW_LOOPBACK_TARGETS=true) and a duplicate delivery (the same
event twice; the second is counted). Budget per run: at most 1 DynamoDB read, 3
DynamoDB writes and 2 SNS publishes besides the task's own call.

The counts become dollars per million executions with the prices in bench.common
(us-east-1, dated), for 128 MB arm64 and the warm duration measured here in-process
against moto (an upper bound of the real duration's compute part: it includes moto's
own emulation time; on AWS the run waits on network round trips instead).

Each figure is for a warm container's run (the steady state that a million executions
cost). What a fresh container's first run adds (e.g. the tenant's webhook secret read
from SSM, then cached) is reported separately.

Run alone: python -m bench.bench_cost
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3

from bench.common import (
    COMPARISON,
    PRICES,
    TENANT,
    CallCounter,
    CallSummary,
    Figures,
    LambdaContext,
    api_event,
    classify,
    dollars_per_million,
    log,
    median,
    moto_stack,
    quick,
    quiet_stdout,
    template_memory_mb,
    timed,
)

DURATION_RUNS = 30


class _Hook(BaseHTTPRequestHandler):
    """The HTTP task's target: answers 200 to anything."""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET = do_PUT = _answer

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def loopback_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Rig:
    """A moto stack with the handlers loaded and one schedule per task type."""

    stack: Any
    executor: Any
    api: Any
    lifecycle_topic: str
    task_topic: str
    schedules: dict[str, str]  # task type -> schedule id
    minute: int = 0

    def event(self, schedule_id: str) -> dict[str, Any]:
        """A Scheduler fire of the next distinct minute (so it is not a duplicate)."""
        base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=30)
        self.minute += 1
        moment = base + timedelta(minutes=self.minute)
        return {
            "tenant": TENANT,
            "schedule_id": schedule_id,
            "trigger": "schedule",
            "scheduled_time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "scheduler_execution_id": f"bench-{self.minute}",
            "attempt_number": "1",
            "part": 0,
        }

    def as_previous_run_left_it(self, event: dict[str, Any]) -> None:
        """Set the schedule's next_run_at to this fire's time, as the previous run of a
        live schedule leaves it (the bench's fires are a month old and come seconds
        apart, so without this successive runs would find next_run_at already at the
        value they write, and the due index (GSI4, keyed on it) would look free)."""
        from jobscheduler.dal import keys

        boto3.resource("dynamodb").Table(self.stack.ref("Table")).update_item(
            Key=keys.schedule_key(TENANT, event["schedule_id"]),
            UpdateExpression="SET next_run_at = :at",
            ExpressionAttributeValues={":at": event["scheduled_time"]},
        )

    def run(self, event: dict[str, Any]) -> dict[str, Any]:
        with quiet_stdout():
            result: dict[str, Any] = self.executor(dict(event), LambdaContext())
        return result


def create_schedule(api: Any, body: dict[str, Any]) -> str:
    with quiet_stdout():
        response = api(api_event("POST", "/schedules", body=json.dumps(body)), LambdaContext())
    if response["statusCode"] != 201:
        raise RuntimeError(f"create answered {response['statusCode']}: {response['body']}")
    return str(json.loads(response["body"])["id"])


@contextmanager
def rig(*, http: bool = True) -> Iterator[Rig]:
    with (
        moto_stack(extra_env={"ALLOW_LOOPBACK_TARGETS": "true"}) as stack,
        loopback_server() as url,
    ):
        task_topic = boto3.client("sns").create_topic(Name="bench-task-topic")["TopicArn"]
        api = stack.load_handler("ApiFunction")
        executor = stack.load_handler("ExecutorFunction")
        schedules = {
            "sns": create_schedule(
                api,
                {
                    "name": "bench-sns",
                    "schedule": "* * * * *",
                    "task": {"type": "sns", "topic_arn": task_topic, "message": {"hello": 1}},
                },
            )
        }
        if http:
            schedules["http"] = create_schedule(
                api,
                {
                    "name": "bench-http",
                    "schedule": "* * * * *",
                    "task": {"type": "http", "url": url, "body": {"hello": 1}},
                },
            )
        settle()
        yield Rig(stack, executor, api, stack.ref("EventsTopic"), task_topic, schedules)


def settle() -> None:
    """The steady state a million runs meet: every API write leaves a check marker for
    the reconciler (two attributes, GSI3), which its next pass after the settle delay
    removes. One real pass, run as if that delay had passed."""
    from jobscheduler.dal.reconcile_index import settle_delay
    from jobscheduler.logic.reconcile import run_pass

    with quiet_stdout():
        report = run_pass(datetime.now(UTC) + settle_delay() + timedelta(seconds=1))
    if report.failed:
        raise RuntimeError(f"the reconciler's pass failed: {report}")


def _check(result: dict[str, Any], what: str) -> None:
    status = str(result.get("status", "")).upper()
    if status != "SUCCEEDED":
        raise RuntimeError(f"{what}: the run did not succeed: {result}")


def table_index_names() -> list[str]:
    """Every global secondary index template.yaml gives the table (so an index that a
    run does not write still shows, as 0)."""
    from local.template import load_template

    table = load_template()["Resources"]["Table"]["Properties"]
    return [str(index["IndexName"]) for index in table.get("GlobalSecondaryIndexes", [])]


def _figures(name: str, summary: CallSummary) -> Figures:
    by_index: Figures = {
        f"cost.{name}.index_write_units.{index}": summary.index_units_by_name.get(index, 0)
        for index in table_index_names()
    }
    return by_index | {
        f"cost.{name}.ddb_reads": summary.ddb_reads,
        f"cost.{name}.ddb_writes": summary.ddb_writes,
        f"cost.{name}.sns_publishes": summary.sns_lifecycle_publishes,
        f"cost.{name}.task_calls": summary.task_calls,
        f"cost.{name}.ddb_read_units": summary.ddb_read_units,
        f"cost.{name}.ddb_write_units": summary.ddb_write_units,
        f"cost.{name}.ddb_index_write_units": summary.ddb_index_write_units,
    }


def _describe(name: str, counter: CallCounter) -> None:
    calls = ", ".join(
        f"{c.service}:{c.operation}{'!' + c.error if c.error else ''}"
        f"{f' ({c.write_units or c.read_units:g} units)' if c.service == 'dynamodb' else ''}"
        f"{''.join(f' +{n}:{u:g}' for n, u in sorted(c.index_units_by_name.items()))}"
        for c in counter.calls
    )
    log(f"cost {name}: {calls}")


def _timed_run(r: Rig, schedule_id: str) -> float:
    return timed(lambda: _check(r.run(r.event(schedule_id)), "timed run"))


LIST_PAGE = 50


def _page_read_units(r: Rig, path: str, counter: CallCounter) -> float:
    """Read units of one page of ``LIST_PAGE`` through the API handler."""
    counter.reset()
    with quiet_stdout():
        response = r.api(api_event("GET", path, query={"limit": str(LIST_PAGE)}), LambdaContext())
    items = json.loads(response["body"]).get("items", [])
    if response["statusCode"] != 200 or len(items) != LIST_PAGE:
        raise RuntimeError(f"GET {path} answered {response['statusCode']}, {len(items)} items")
    return sum(c.read_units for c in counter.calls if c.service == "dynamodb")


def list_pages(r: Rig, counter: CallCounter) -> Figures:
    """What a page of schedules and a page of the tenant's executions cost to read: the
    other side of narrow list indexes (a Query for keys, then a BatchGetItem that reads
    each item as its own 4 KB unit)."""
    with counter.paused():
        for index in range(LIST_PAGE):
            create_schedule(
                r.api,
                {
                    "name": f"bench-list-{index:03d}",
                    "schedule": "rate(1 day)",
                    "task": {"type": "http", "url": "https://hooks.example.com/x", "body": {}},
                },
            )
        schedule_id = r.schedules["sns"]
        for _ in range(LIST_PAGE):
            _check(r.run(r.event(schedule_id)), "list seeding run")
    return {
        f"cost.list.schedules_page_{LIST_PAGE}.read_units": _page_read_units(
            r, "/schedules", counter
        ),
        f"cost.list.executions_page_{LIST_PAGE}.read_units": _page_read_units(
            r, "/executions", counter
        ),
    }


def main() -> Figures:
    figures: Figures = {}
    with rig() as r:
        with CallCounter() as counter:
            summaries: dict[str, CallSummary] = {}
            first_run_extra: dict[str, int] = {}
            for task_type, schedule_id in r.schedules.items():
                # First run: a fresh container's lazy imports, client creation and caches.
                counter.reset()
                _check(r.run(r.event(schedule_id)), f"{task_type} first run")
                first = classify(counter.calls, lifecycle_topic_arn=r.lifecycle_topic)
                event = r.event(schedule_id)
                r.as_previous_run_left_it(event)
                counter.reset()
                _check(r.run(event), f"{task_type} run")
                _describe(task_type, counter)
                summaries[task_type] = classify(
                    counter.calls, lifecycle_topic_arn=r.lifecycle_topic
                )
                extra = first.operations - summaries[task_type].operations
                first_run_extra.update({f"{task_type}:{op}": n for op, n in extra.items()})
                # What a fresh container's first run adds (e.g. the webhook secret in SSM).
                figures[f"cost.{task_type}.first_run_extra_calls"] = sum(extra.values())
                if task_type == "sns":
                    counter.reset()
                    r.run(event)  # the same fire delivered again
                    _describe("duplicate", counter)
                    summaries["duplicate"] = classify(
                        counter.calls, lifecycle_topic_arn=r.lifecycle_topic
                    )
            if first_run_extra:
                log(f"cost: a fresh container's first run also made {first_run_extra}")
            list_figures = list_pages(r, counter)
        for name, summary in summaries.items():
            figures.update(_figures(name, summary))
        figures.update(list_figures)
        # The warm duration that Lambda would bill, per task type (the HTTP task's includes
        # its request to the loopback server).
        durations: dict[str, float] = {}
        for task_type, schedule_id in r.schedules.items():
            samples = [_timed_run(r, schedule_id) for _ in range(3 if quick() else DURATION_RUNS)]
            durations[task_type] = median(samples) * 1000
            figures[f"cost.{task_type}.warm_duration_ms"] = round(durations[task_type], 1)
    template_gb = template_memory_mb("ExecutorFunction") / 1024
    for name, task_publishes in (("sns", 1), ("http", 0)):
        if name not in summaries:
            continue
        parts = dollars_per_million(
            summaries[name], duration_ms=durations[name], task_publishes=task_publishes
        )
        for part, dollars in parts.items():
            figures[f"cost.{name}.usd_per_million.{part}"] = round(dollars, 3)
        # Everything but Lambda's duration: what the counted calls cost by themselves.
        duration_part = parts["lambda"] - PRICES["lambda_per_million_requests"]
        figures[f"cost.{name}.usd_per_million.without_duration"] = round(
            parts["total"] - duration_part, 4
        )
        # The same run at the template's MemorySize (the figure above is at 128 MB).
        at_template = dollars_per_million(
            summaries[name],
            duration_ms=durations[name],
            task_publishes=task_publishes,
            memory_gb=template_gb,
        )
        figures[f"cost.{name}.usd_per_million.total_at_template_memory"] = round(
            at_template["total"], 3
        )
    for label, dollars in COMPARISON.items():
        figures[f"cost.compare.{label}"] = dollars
    if "http" in summaries:
        figures["cost.compare.http_share_of_qstash"] = round(
            figures["cost.http.usd_per_million.total"] / COMPARISON["qstash_usd_per_million"], 3
        )
        figures["cost.compare.http_over_scheduler_floor"] = round(
            figures["cost.http.usd_per_million.total"]
            / COMPARISON["scheduler_floor_usd_per_million"],
            2,
        )
    return figures


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(main())
