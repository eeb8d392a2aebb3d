"""Cold start: importing each function's handler module in a fresh process, as a ratio to
a fresh process doing ``import boto3`` and creating the clients the function uses (the
floor no handler can go below). Median of RUNS fresh processes each, interleaved so
drift in the machine's load affects every variant alike.

Also reported: whether the handler imported Powertools' OpenAPI models (they must wait
for GET /docs), and the handler import plus creating its clients through
jobscheduler.aws (what a first request pays before its first AWS call), against the
same floor.

Run alone: python -m bench.bench_cold_start
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from bench.common import (
    ROOT,
    Figures,
    api_event,
    fake_aws_environ,
    function_environment,
    log,
    median,
    quick,
    run_probe,
    template_memory_mb,
)

RUNS = 9

# Clients each function creates at import or on its first requests (see jobscheduler's
# dal/ and gateways/): the DynamoDB table resource, plus these clients. The task
# targets' clients (sqs, events, ...) depend on the task and are left out of both sides.
FUNCTIONS: dict[str, dict[str, Any]] = {
    "api": {
        "logical_id": "ApiFunction",
        "module": "api_handler",
        "code_dir": "functions/api",
        "clients": ["scheduler", "sns", "lambda"],
    },
    "executor": {
        "logical_id": "ExecutorFunction",
        "module": "executor_handler",
        "code_dir": "functions/executor",
        "clients": ["sns", "ssm", "scheduler"],
    },
}

_PROBE = """
import json, sys, time
start = time.perf_counter()
{body}
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed,
                  "openapi_models": "{openapi}" in sys.modules,
                  "modules": len(sys.modules)}}))
"""
OPENAPI_MODELS = "aws_lambda_powertools.event_handler.openapi.models"

# A fresh process serving its first request, as a new Lambda container does; prints the
# process's peak resident memory (ru_maxrss, KB on Linux) and the answer.
_FIRST_REQUEST = """
import json, resource, sys
from {module} import lambda_handler

class Context:
    function_name = "bench"
    memory_limit_in_mb = {memory}
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench-first-request"
    def get_remaining_time_in_millis(self):
        return 60_000

result = lambda_handler(json.loads(sys.stdin.read()), Context())
print(json.dumps({{"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "openapi_models": "{openapi}" in sys.modules, "result": result}}))
"""


def _bodies(spec: dict[str, Any], table_name: str) -> dict[str, str]:
    clients = spec["clients"]
    floor = ["import boto3", f"boto3.resource('dynamodb').Table({table_name!r})"]
    floor += [f"boto3.client({name!r})" for name in clients]
    ready = [
        f"import {spec['module']}",
        "from jobscheduler.aws import client, table",
        f"table({table_name!r})",
    ]
    ready += [f"client({name!r})" for name in clients]
    return {
        "handler": f"import {spec['module']}",
        "floor": "\n".join(floor),
        "handler_ready": "\n".join(ready),
    }


def _environment(spec: dict[str, Any]) -> dict[str, str]:
    env = fake_aws_environ()
    # Tracing is Active in template.yaml: measure with the tracer as Lambda would load it.
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    env.update(function_environment(spec["logical_id"]))
    # As on Lambda: the function's code directory and the layer are on the path.
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(ROOT, spec["code_dir"]), os.path.join(ROOT, "layers", "common")]
    )
    # Nothing may reach a real endpoint, should an import ever make a call.
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _probe(body: str, env: dict[str, str]) -> dict[str, Any]:
    return run_probe(_PROBE.format(body=body, openapi=OPENAPI_MODELS), env, str(ROOT))


def _first_request(spec: dict[str, Any], env: dict[str, str], event: dict[str, Any]) -> Any:
    code = _FIRST_REQUEST.format(
        module=spec["module"],
        memory=template_memory_mb(spec["logical_id"]),
        openapi=OPENAPI_MODELS,
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(event),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"first request failed: {completed.stderr.strip()[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def peak_memory() -> Figures:
    """Each function's peak memory on a cold first request (a create for the API, a fire
    of that schedule for the executor), in fresh processes against a moto server, beside
    the template's MemorySize."""
    import boto3

    from local.app import ensure_resources
    from local.moto_server import MotoServer, free_port, point_boto3_at
    from local.resources import plan

    figures: Figures = {}
    saved = dict(os.environ)
    os.environ.update(fake_aws_environ())
    moto = MotoServer(free_port())
    moto.start()
    try:
        point_boto3_at(moto.url, None)
        stack = plan()
        ensure_resources(stack)
        topic = boto3.client("sns").create_topic(Name="bench-first-request")["TopicArn"]
        body = {
            "name": "first request",
            "schedule": "*/5 * * * *",
            "task": {"type": "sns", "topic_arn": topic, "message": {"hello": 1}},
        }
        outcomes: dict[str, Any] = {}
        for label, spec in FUNCTIONS.items():
            env = _environment(spec)
            env.update(stack.environments[spec["logical_id"]])
            env["AWS_ENDPOINT_URL"] = moto.url
            env["POWERTOOLS_TRACE_DISABLED"] = "true"  # no X-Ray daemon to talk to
            if label == "api":
                event = api_event("POST", "/schedules", body=json.dumps(body))
            else:
                created = json.loads(outcomes["api"]["result"]["body"])
                event = {
                    "tenant": "bench-tenant",
                    "schedule_id": created["id"],
                    "trigger": "schedule",
                    "scheduled_time": "2026-01-01T00:00:00Z",
                }
            outcome = _first_request(spec, env, event)
            outcomes[label] = outcome
            memory = template_memory_mb(spec["logical_id"])
            figures[f"cold_start.{label}.peak_memory_mb"] = round(outcome["peak_mb"], 1)
            figures[f"cold_start.{label}.memory_size_mb"] = memory
            figures[f"cold_start.{label}.memory_share"] = round(outcome["peak_mb"] / memory, 2)
            log(f"cold start {label}: first request answered {str(outcome['result'])[:120]}")
        figures["cold_start.api.first_request_loaded_openapi_models"] = bool(
            outcomes["api"]["openapi_models"]
        )
    finally:
        moto.stop()
        os.environ.clear()
        os.environ.update(saved)
        from jobscheduler.aws import reset_clients
        from jobscheduler.settings import reset_settings

        reset_clients()
        reset_settings()
    return figures


def top_imports(module: str, env: dict[str, str], count: int = 6) -> list[tuple[str, float]]:
    """The packages that cost the handler's import most (python -X importtime, self time
    summed per top-level package)."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    totals: dict[str, float] = {}
    for line in completed.stderr.splitlines():
        # "import time: self [us] | cumulative | <indent>package"
        parts = line.split("|")
        if len(parts) != 3 or not parts[0].startswith("import time:"):
            continue
        self_us = parts[0].removeprefix("import time:").strip()
        if not self_us.isdigit():
            continue
        package = parts[2].strip().split(".")[0]
        totals[package] = totals.get(package, 0.0) + int(self_us) / 1e6
    return sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:count]


def main() -> Figures:
    figures: Figures = {}
    table_name = function_environment("ApiFunction")["TABLE_NAME"]
    for label, spec in FUNCTIONS.items():
        module_path = os.path.join(ROOT, spec["code_dir"], f"{spec['module']}.py")
        if not os.path.exists(module_path):
            log(f"cold start: {module_path} does not exist yet, skipped")
            continue
        env = _environment(spec)
        bodies = _bodies(spec, table_name)
        samples: dict[str, list[float]] = {name: [] for name in bodies}
        openapi_models = False
        # One unmeasured round first: compiles .pyc files so every measured run is a
        # cold process with warm disk caches, as on a Lambda with a built package.
        for body in bodies.values():
            _probe(body, env)
        runs = 1 if quick() else RUNS
        for run in range(runs):
            for name, body in bodies.items():
                result = _probe(body, env)
                samples[name].append(result["seconds"])
                if name == "handler":
                    openapi_models = openapi_models or bool(result["openapi_models"])
            log(f"cold start {label}: run {run + 1}/{runs}")
        handler, floor, ready = (median(samples[n]) for n in ("handler", "floor", "handler_ready"))
        figures[f"cold_start.{label}.import_ms"] = round(handler * 1000, 1)
        figures[f"cold_start.{label}.floor_ms"] = round(floor * 1000, 1)
        figures[f"cold_start.{label}.ratio"] = round(handler / floor, 2)
        figures[f"cold_start.{label}.ready_ms"] = round(ready * 1000, 1)
        figures[f"cold_start.{label}.ready_ratio"] = round(ready / floor, 2)
        figures[f"cold_start.{label}.openapi_models_loaded"] = openapi_models
        top = top_imports(spec["module"], env, count=40)
        heavy = ", ".join(f"{n} {s * 1000:.0f} ms" for n, s in top[:6])
        log(f"cold start {label}: heaviest top-level imports: {heavy}")
        # Measured once with -X importtime (which adds its own overhead): for explanations.
        for package in ("aws_xray_sdk", "aws_lambda_powertools", "jobscheduler"):
            figures[f"cold_start.{label}.importtime.{package}_ms"] = round(
                dict(top).get(package, 0.0) * 1000, 1
            )
    figures.update(peak_memory())
    return figures


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(main())
