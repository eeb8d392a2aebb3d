"""Cold start: importing each function's handler module in a fresh process, as a ratio to
a fresh process doing ``import boto3`` and creating the clients the function uses (the
floor no handler can go below). Median of RUNS fresh processes each, interleaved so
drift in the machine's load affects every variant alike.

Also reported: whether dateparser was imported by the handler (it must stay lazy), and
the handler import plus creating its clients through jobscheduler.aws (what a first
request pays before its first AWS call), against the same floor.

Run alone: python -m bench.bench_cold_start
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from bench.common import ROOT, Figures, fake_aws_environ, function_environment, log, median, quick

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
print(json.dumps({{"seconds": elapsed, "dateparser": "dateparser" in sys.modules,
                  "modules": len(sys.modules)}}))
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
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE.format(body=body)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"probe failed: {completed.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


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
        dateparser = False
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
                    dateparser = dateparser or bool(result["dateparser"])
            log(f"cold start {label}: run {run + 1}/{runs}")
        handler, floor, ready = (median(samples[n]) for n in ("handler", "floor", "handler_ready"))
        figures[f"cold_start.{label}.import_ms"] = round(handler * 1000, 1)
        figures[f"cold_start.{label}.floor_ms"] = round(floor * 1000, 1)
        figures[f"cold_start.{label}.ratio"] = round(handler / floor, 2)
        figures[f"cold_start.{label}.ready_ms"] = round(ready * 1000, 1)
        figures[f"cold_start.{label}.ready_ratio"] = round(ready / floor, 2)
        figures[f"cold_start.{label}.dateparser_loaded"] = dateparser
        top = top_imports(spec["module"], env, count=40)
        heavy = ", ".join(f"{n} {s * 1000:.0f} ms" for n, s in top[:6])
        log(f"cold start {label}: heaviest top-level imports: {heavy}")
        # Measured once with -X importtime (which adds its own overhead): for explanations.
        for package in ("aws_xray_sdk", "aws_lambda_powertools", "jobscheduler"):
            figures[f"cold_start.{label}.importtime.{package}_ms"] = round(
                dict(top).get(package, 0.0) * 1000, 1
            )
    return figures


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(main())
