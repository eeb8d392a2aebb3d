"""Calendars (exclusions): what the holiday data costs.

* The layer's size on disk (its runtime packages as installed) and the part of it that
  is the ``holidays`` package.
* The executor's cold import in a fresh process: the handler alone (what every run
  pays; ``holidays`` must not be imported), the handler plus deciding one fire of a
  schedule with a date rule (the calendar module, no holiday data), and the handler
  plus deciding one fire of a schedule with a ``holidays`` rule (the holiday data
  loaded and one year computed). Medians of RUNS interleaved fresh processes.

Run alone: python -m bench.bench_calendar
"""

from __future__ import annotations

import json
import os
import re
from importlib import metadata
from typing import Any

from bench.bench_cold_start import FUNCTIONS, _environment
from bench.common import ROOT, Figures, log, median, quick, run_probe

RUNS = 9

_PROBE = """
import json, sys, time
start = time.perf_counter()
import executor_handler
{decide}
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "holidays": "holidays" in sys.modules}}))
"""
_DECIDE = """
from datetime import datetime, timezone
from jobscheduler.logic.timing import skip_reason
from jobscheduler.models.schedules import Schedule
schedule = Schedule.model_validate({{
    "id": "sch_bench", "tenant": "t", "name": "n", "status": "ACTIVE",
    "kind": "recurring", "schedule": "0 9 * * *", "expressions": ["cron(0 9 * * ? *)"],
    "timezone": "America/New_York", "task": {{"type": "sns",
    "topic_arn": "arn:aws:sns:us-east-1:123456789012:t", "message": "m"}},
    "created_at": "2030-01-01T00:00:00Z", "updated_at": "2030-01-01T00:00:00Z",
    "exclusions": [{rule}],
}})
skip_reason(schedule, datetime(2030, 11, 28, 14, tzinfo=timezone.utc))
"""
VARIANTS = {
    "plain": "",
    "dates": _DECIDE.format(rule='{"dates": ["12-24"]}'),
    "holidays": _DECIDE.format(rule='{"holidays": "US"}'),
}


def _requirement_names() -> list[str]:
    path = os.path.join(ROOT, "layers", "common", "requirements.txt")
    names = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==", line.strip())
            if match:
                names.append(match.group(1))
    return names


def _installed_bytes(name: str) -> int:
    files = metadata.distribution(name).files or []
    total = 0
    for file in files:
        path = file.locate()
        if os.path.isfile(path) and "__pycache__" not in str(file):
            total += os.path.getsize(path)
    return total


def _probe(decide: str, env: dict[str, str]) -> dict[str, Any]:
    return run_probe(_PROBE.format(decide=decide), env, str(ROOT))


def main() -> Figures:
    figures: Figures = {}
    sizes = {name: _installed_bytes(name) for name in _requirement_names()}
    own = sum(
        os.path.getsize(os.path.join(folder, file))
        for folder, _, files in os.walk(os.path.join(ROOT, "layers", "common", "jobscheduler"))
        for file in files
        if file.endswith(".py")
    )
    figures["layer_size_mb"] = round((sum(sizes.values()) + own) / 1e6, 1)
    figures["layer_holidays_mb"] = round(sizes.get("holidays", 0) / 1e6, 1)

    env = _environment(FUNCTIONS["executor"])
    runs = 2 if quick() else RUNS
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    loaded: dict[str, bool] = {}
    for _ in range(runs):
        for name, decide in VARIANTS.items():
            result = _probe(decide, env)
            seconds[name].append(result["seconds"])
            loaded[name] = result["holidays"]
    for name, values in seconds.items():
        figures[f"executor_cold_import_{name}_ms"] = round(median(values) * 1000, 1)
    figures["executor_plain_imports_holidays"] = loaded["plain"] or loaded["dates"]
    log(f"calendar: {figures}")
    return figures


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
