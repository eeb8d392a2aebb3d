"""The hot path (executor, Scheduler emulator) must never import dateparser."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from datetime import datetime, timezone
from jobscheduler.expressions import compile_schedule, next_runs, preview
now = datetime(2026, 3, 4, tzinfo=timezone.utc)
for text in ["0 9 * * 1-5", "cron(0 9 ? * MON-FRI *)", "rate(5 minutes)",
             "at(2026-11-22T09:00:00)", "2026-11-22T09:00:00Z", "every monday at 8am",
             "in 5 minutes"]:
    preview(compile_schedule(text, "Europe/London", now=now), after=now)
next_runs(["cron(0 9 * * ? *)"], "UTC", after=now, count=3)
assert "dateparser" not in sys.modules, "dateparser imported"
compile_schedule("tomorrow at 9am", "UTC", now=now)
assert "dateparser" in sys.modules
print("ok")
"""


def test_engine_does_not_import_dateparser_until_english_one_off():
    result = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
