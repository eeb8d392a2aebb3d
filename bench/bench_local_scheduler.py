"""The local stack's Scheduler emulator with 1,000 entries: how late do fires start?

1,000 Scheduler entries on moto's server (the local stack's endpoint): 500 one-offs
at() and 500 every-minute crons, all due at the same minute boundary (the worst case: a
burst of 1,000 fires in one second). The target is a 5 ms stand-in handler, so the
figures are the emulator's own dispatch lateness (what Scheduler's on-time promise is
about), not the executor's work. Also: the cost of one index refresh with 1,000 entries
and the time from `python -m local` to a 200 from /health.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from bench.common import ROOT, Figures, fake_aws_environ, log, quick

ENTRIES = 1_000
HANDLER_S = 0.005


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 1)


def _startup_to_health() -> float:
    from local.moto_server import free_port

    ports = {"MOTO_PORT": free_port(), "API_PORT": free_port(), "LAMBDA_PORT": free_port()}
    env = fake_aws_environ()
    env.update({k: str(v) for k, v in ports.items()})
    env["PYTHONPATH"] = os.pathsep.join(
        os.path.join(ROOT, p) for p in ("layers/common", "functions/api", "functions/executor", ".")
    )
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "local", "--no-events"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    elapsed = float("nan")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                url = f"http://127.0.0.1:{ports['API_PORT']}/health"
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        elapsed = time.perf_counter() - began
                        break
            except OSError:
                time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    return round(elapsed, 2)


def _lateness(figures: Figures) -> None:
    from local.app import ensure_resources
    from local.moto_server import MotoServer, free_port, point_boto3_at
    from local.resources import plan
    from local.scheduler_emulator import SchedulerEmulator

    moto = MotoServer(free_port())
    moto.start()
    try:
        point_boto3_at(moto.url, None)
        stack = plan()
        ensure_resources(stack)
        scheduler = boto3.client("scheduler")
        group = stack.ref("ScheduleGroup")
        now = datetime.now(UTC)
        # The first minute boundary with room to create the entries and index them
        # (~15 s on a laptop); the crons may also fire at earlier boundaries: only the
        # fires at `boundary` count, when all 1,000 are due together.
        boundary = (now + timedelta(seconds=60 + 30)).replace(second=0, microsecond=0)
        if boundary - now > timedelta(seconds=60 + 30):
            boundary -= timedelta(minutes=1)
        if quick():
            # A few one-offs due in seconds: no waiting for a minute boundary.
            boundary = (now + timedelta(seconds=4)).replace(microsecond=0)
        target = {
            "Arn": stack.att("ExecutorFunction", "Arn"),
            "RoleArn": stack.att("SchedulerRole", "Arn"),
            "Input": json.dumps(
                {"n": "<aws.scheduler.execution-id>", "t": "<aws.scheduler.scheduled-time>"}
            ),
            "RetryPolicy": {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60},
        }
        created = time.perf_counter()
        for i in range(ENTRIES):
            one_off = quick() or i % 2 == 0
            scheduler.create_schedule(
                GroupName=group,
                Name=f"bench-{i:04d}",
                ScheduleExpression=(
                    f"at({boundary.strftime('%Y-%m-%dT%H:%M:%S')})"
                    if one_off
                    else "cron(* * * * ? *)"
                ),
                FlexibleTimeWindow={"Mode": "OFF"},
                Target=target,  # type: ignore[arg-type]
            )
        figures["local_scheduler.create_1000_entries_s"] = round(time.perf_counter() - created, 2)

        starts: dict[str, float] = {}
        lock = threading.Lock()

        def invoker(arn: str, event: Any) -> None:
            started = time.time()
            with lock:
                starts[event["n"]] = (
                    started - datetime.fromisoformat(event["t"].replace("Z", "+00:00")).timestamp()
                )
            time.sleep(HANDLER_S)

        emulator = SchedulerEmulator(
            scheduler_client=scheduler,
            sqs_client=boto3.client("sqs"),
            group=group,
            invoker=invoker,
        )
        began = time.perf_counter()
        emulator.start()  # the first refresh reads every entry (1,000 GetSchedule)
        figures["local_scheduler.first_index_1000_s"] = round(time.perf_counter() - began, 2)
        began = time.perf_counter()
        emulator.refresh()
        figures["local_scheduler.refresh_1000_ms"] = round((time.perf_counter() - began) * 1000, 1)
        log(f"local_scheduler: {ENTRIES} entries due at {boundary:%H:%M:%S}; waiting")
        deadline = boundary.timestamp() + 20
        while len(starts) < ENTRIES and time.time() < deadline:
            time.sleep(0.2)
        emulator.stop()
        late_ms = [v * 1000 for v in starts.values()]
        figures["local_scheduler.entries"] = ENTRIES
        figures["local_scheduler.fired"] = len(late_ms)
        if late_ms:
            figures["local_scheduler.lateness_p50_ms"] = _percentile(late_ms, 0.5)
            figures["local_scheduler.lateness_p99_ms"] = _percentile(late_ms, 0.99)
            figures["local_scheduler.lateness_max_ms"] = round(max(late_ms), 1)
    finally:
        moto.stop()


def main() -> Figures:
    global ENTRIES
    if quick():
        ENTRIES = 10
    saved = dict(os.environ)
    os.environ.update(fake_aws_environ())
    figures: Figures = {}
    try:
        figures["local_scheduler.startup_to_health_s"] = _startup_to_health()
        _lateness(figures)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        from jobscheduler.aws import reset_clients
        from jobscheduler.settings import reset_settings

        reset_clients()
        reset_settings()
    return figures


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
