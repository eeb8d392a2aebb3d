"""No schedule form imports a general date parser: plain English is read by our own
grammar (a date parser guesses, e.g. "at 9" -> September), and the hot path (executor,
Scheduler emulator) stays cheap to import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

CODE = """
import sys
from datetime import datetime, timezone
from jobscheduler.expressions import compile_schedule, next_runs, preview
now = datetime(2026, 3, 4, tzinfo=timezone.utc)
for text in ["0 9 * * 1-5", "cron(0 9 ? * MON-FRI *)", "rate(5 minutes)",
             "at(2026-11-22T09:00:00)", "2026-11-22T09:00:00Z", "every monday at 8am",
             "in 5 minutes", "tomorrow at 9am", "dec 25 at 9am", "this evening at 7"]:
    preview(compile_schedule(text, "Europe/London", now=now), after=now)
next_runs(["cron(0 9 * * ? *)"], "UTC", after=now, count=3)
assert "dateparser" not in sys.modules, "dateparser imported"
print("ok")
"""


def test_no_schedule_form_imports_a_date_parser():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "common")}
    result = subprocess.run(
        [sys.executable, "-c", CODE],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
