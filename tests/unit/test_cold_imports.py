"""What each handler's import leaves out (measured by `make bench`, pinned here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_PROBE = "import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"


def _loaded(module: str, code_dir: str) -> set[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / code_dir), str(ROOT / "layers" / "common")])
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(json.loads(completed.stdout))


@pytest.mark.parametrize(
    ("module", "code_dir", "absent"),
    [
        # The Swagger UI and its OpenAPI models wait for GET /docs.
        ("api_handler", "functions/api", {"aws_lambda_powertools.event_handler.openapi.models"}),
        # Holiday data waits for a schedule that excludes holidays.
        ("api_handler", "functions/api", {"holidays", "jobscheduler.expressions.calendar"}),
        # The executor needs next_runs only: no parsers, no describer.
        (
            "executor_handler",
            "functions/executor",
            {
                "jobscheduler.expressions.compiler",
                "jobscheduler.expressions.natural",
                "jobscheduler.expressions.recurring",
                "jobscheduler.expressions.describe",
                # The calendar and its holiday data: only runs of schedules with exclusions.
                "holidays",
                "jobscheduler.expressions.calendar",
            },
        ),
    ],
)
def test_handler_import_leaves_out(module: str, code_dir: str, absent: set[str]) -> None:
    assert _loaded(module, code_dir) & absent == set()
