"""Expression engine: import cost, and throughput of compile+preview for crons and of
plain-English phrases.

* import time of ``jobscheduler.expressions`` in a fresh interpreter (median of runs,
  minus the bare interpreter start, so it is the engine's own cost);
* compile + preview (5 runs) of 10,000 distinct Unix crons, per second;
* plain-English phrases (one-off and recurring) per second, and the latency of the
  first one (its modules load lazily).

Run alone: python -m bench.bench_expressions
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import log, median, quick

CRONS = 10_000
IMPORT_RUNS = 5
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
PHRASES = [
    "in 5 minutes",
    "in 2 hours",
    "tomorrow at 9am",
    "next monday at 8am",
    "tonight at 11pm",
    "noon tomorrow",
    "friday at 5pm",
    "dec 25 at 9am",
    "every 5 minutes",
    "every day at 2pm",
    "every monday and friday at 9am and 5pm",
    "every weekday at 9am",
    "every month on the 1st at noon",
    "every 30 minutes between 9am and 5pm on weekdays",
]

_IMPORT_CODE = """
import json, sys, time
from datetime import datetime, timezone
start = time.perf_counter()
import jobscheduler.expressions as e
imported = time.perf_counter() - start
now = datetime(2026, 3, 4, tzinfo=timezone.utc)
for text in ["0 9 * * 1-5", "*/15 * * * *", "0 9 1 * MON", "cron(0 9 ? * MON-FRI *)",
             "rate(5 minutes)", "at(2026-11-22T09:00:00)", "2026-11-22T09:00:00+01:00"]:
    e.preview(e.compile_schedule(text, "America/New_York", now=now), after=now)
e.next_runs(["cron(0 9 * * ? *)"], "UTC", after=now, count=5)
print(json.dumps({"import_s": imported}))
"""


def _fresh_import() -> float:
    """Median engine import time in fresh interpreters."""
    times: list[float] = []
    for _ in range(IMPORT_RUNS):
        out = subprocess.run(
            [sys.executable, "-c", _IMPORT_CODE],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        data: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        times.append(float(data["import_s"]))
    return median(times)


def _random_crons(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    crons: list[str] = []
    for _ in range(count):
        minute = rng.choice([str(rng.randrange(60)), f"*/{rng.choice([5, 10, 15, 30])}", "0,30"])
        hour = rng.choice(
            [str(rng.randrange(24)), "*", f"{rng.randrange(12)}-{rng.randrange(12, 24)}"]
        )
        dom = rng.choice(["*", "*", str(rng.randrange(1, 29)), "1,15"])
        month = rng.choice(["*", "*", "*", str(rng.randrange(1, 13)), "JAN,JUL"])
        dow = rng.choice(["*", "*", "1-5", "MON", "0,6"])
        crons.append(f"{minute} {hour} {dom} {month} {dow}")
    return crons


def _crons_per_second() -> float:
    from jobscheduler.expressions import compile_schedule, preview

    crons = _random_crons(CRONS)
    zones = ["UTC", "America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata"]
    start = time.perf_counter()
    for index, text in enumerate(crons):
        compiled = compile_schedule(text, zones[index % len(zones)], now=NOW)
        preview(compiled, after=NOW, count=5)
    return CRONS / (time.perf_counter() - start)


def _phrases() -> tuple[float, float]:
    """(phrases/s warm, first-phrase latency in seconds)."""
    from jobscheduler.expressions import compile_schedule

    first = time.perf_counter()
    compile_schedule("tomorrow at 9am", "UTC", now=NOW)  # lazy grammar import + first parse
    first_latency = time.perf_counter() - first
    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        for phrase in PHRASES:
            compile_schedule(phrase, "Europe/London", now=NOW)
    elapsed = time.perf_counter() - start
    return rounds * len(PHRASES) / elapsed, first_latency


def main() -> dict[str, float]:
    global CRONS, IMPORT_RUNS
    if quick():
        CRONS, IMPORT_RUNS = 200, 1
    import_s = _fresh_import()
    log(f"expressions: import {import_s * 1000:.1f} ms")
    crons = _crons_per_second()
    log(f"expressions: {crons:,.0f} crons compiled+previewed per second")
    phrases, first = _phrases()
    log(f"expressions: {phrases:,.0f} phrases/s")
    return {
        "expressions.import_ms": round(import_s * 1000, 2),
        "expressions.crons_compile_preview_per_s": round(crons, 1),
        "expressions.crons_10k_seconds": round(CRONS / crons, 3),
        "expressions.phrases_per_s": round(phrases, 1),
        "expressions.first_english_one_off_ms": round(first * 1000, 1),
    }


if __name__ == "__main__":
    for name, value in main().items():
        print(f"{name}: {value}")
