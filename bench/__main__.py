"""`make bench`: runs every benchmark module that exists, prints one table (figure,
value, goal, pass/miss) to stdout and writes bench/results.json.

The modules run in this process one after the other, each inside its own moto
instance; the cold-start module spawns the fresh processes it measures.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any

from bench.common import GOALS, MISS_NOTES, PRICES, PRICES_AS_OF, ROOT, Figures, log, quick

# Order matters only for readability of the table.
MODULES = (
    "bench.bench_cold_start",
    "bench.bench_cost",
    "bench.bench_warm",
    "bench.bench_scale",
    "bench.bench_expressions",
    "bench.bench_local_scheduler",
    "bench.bench_calendar",
    "bench.bench_reconcile",
)
RESULTS_PATH = os.path.join(ROOT, "bench", "results.json")


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def goal_strings() -> dict[str, str]:
    return {name: str(goal) for name, goal in GOALS.items()}


def evaluate(figures: Figures) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for name, value in figures.items():
        goal = GOALS.get(name)
        if goal is None:
            rows.append((name, _format(value), "-", ""))
            continue
        met = goal.met(value)
        verdict = "?" if met is None else ("pass" if met else "MISS")
        if quick():
            verdict = "not judged (quick)"
        elif verdict == "MISS" and name in MISS_NOTES:
            verdict = "MISS, explained: " + MISS_NOTES[name](figures)
        rows.append((name, _format(value), str(goal), verdict))
    return rows


def print_table(figures: Figures) -> None:
    rows = [("figure", "value", "goal", "result"), *evaluate(figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.rjust(widths[i]) if i == 1 else cell.ljust(widths[i])
                for i, cell in enumerate(row)
            ).rstrip()
        )
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    print("\n".join(lines), flush=True)


def run_all(modules: tuple[str, ...] = MODULES) -> tuple[Figures, dict[str, float], list[str]]:
    figures: Figures = {}
    timings: dict[str, float] = {}
    failures: list[str] = []
    for name in modules:
        if importlib.util.find_spec(name) is None:
            log(f"{name}: not present, skipped")
            continue
        log(f"{name}: running")
        start = time.perf_counter()
        try:
            module = importlib.import_module(name)
            result = module.main()
        except Exception:
            # One broken benchmark must not hide the others' figures.
            failures.append(name)
            log(f"{name}: FAILED\n{traceback.format_exc()}")
            continue
        finally:
            timings[name] = round(time.perf_counter() - start, 1)
        figures.update(result)
        log(f"{name}: {len(result)} figures in {timings[name]} s")
    return figures, timings, failures


def main() -> int:
    started = time.perf_counter()
    figures, timings, failures = run_all()
    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
        },
        "figures": figures,
        "goals": goal_strings(),
        "prices": {"as_of": PRICES_AS_OF, "region": "us-east-1", **PRICES},
        "module_seconds": timings,
        "failed_modules": failures,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    if not quick():  # quick figures are not worth keeping
        with open(RESULTS_PATH, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2, sort_keys=False)
            handle.write("\n")
    print_table(figures)
    rows = evaluate(figures)
    misses = [row[0] for row in rows if row[3].startswith("MISS")]
    unexplained = [row[0] for row in rows if row[3] == "MISS"]
    print(
        f"\n{len(figures)} figures, {len(misses)} missing their goal "
        f"({len(unexplained)} unexplained), "
        f"{len(failures)} module(s) failed; {results['total_seconds']} s; "
        f"written to {os.path.relpath(RESULTS_PATH, ROOT)}",
        flush=True,
    )
    # A module that fails fails `make bench`; a miss is a finding, printed (with its
    # explanation when its cause is known), not a crash.
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
