"""The terminal walk-through of docs/cli.md, run against a local stack: every `$ ...`
line of its ```console blocks runs in order, in one shell, and must exit as the page
shows (1 after an `error:` line, 3 after `invalid_file`, 6 after a plan that changes
something, 0 otherwise) and print the page's plan and error lines."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Stack, subprocess_env

pytestmark = pytest.mark.e2e

PAGE = ROOT / "docs" / "cli.md"
CONSOLE = re.compile(r"```console\n(.*?)```", flags=re.DOTALL)
# Lines of the page's output that do not depend on ids or the clock.
STABLE = re.compile(r"^(Plan: |Applied: |No changes|Dry run|[+-] [a-z]|error: [a-z_]+: )")


def _steps(text: str) -> list[tuple[str, list[str]]]:
    """(command, the output lines the page shows under it), in page order."""
    steps: list[tuple[str, list[str]]] = []
    for block in CONSOLE.findall(text):
        lines = block.splitlines()
        index = 0
        while index < len(lines):
            line = lines[index].strip()
            index += 1
            if not line.startswith("$ "):
                if steps:
                    steps[-1][1].append(line)
                continue
            command = line[2:]
            while command.endswith("\\"):
                command = command[:-1] + " " + lines[index].strip()
                index += 1
            steps.append((command, []))
    return steps


def _expected_exit(shown: list[str]) -> int:
    text = "\n".join(shown)
    if "error: invalid_file" in text:
        return 3
    if text.startswith("error: ") or "\nerror: " in text:
        return 1
    if "Applied: " in text or "Dry run" in text:
        return 6
    return 0


def test_the_walk_through_runs_as_shown(local_stack: Stack, tmp_path: Path) -> None:
    steps = _steps(PAGE.read_text(encoding="utf-8"))
    commands = [c for c, _ in steps]
    assert any(c.startswith("jobsched create") for c in commands)
    assert any(c.startswith("jobsched apply") for c in commands)
    port = str(local_stack.api_port)
    env = subprocess_env(
        JOBSCHED_API_URL=local_stack.api_url,
        JOBSCHED_TOKEN=f"docs-{uuid.uuid4().hex[:8]}",
        JOBSCHED_CONFIG=str(tmp_path / "config.yaml"),
        PYTHONPATH=str(ROOT / "cli"),
        PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin",
        TZ="Europe/Paris",
        COLUMNS="200",
    )
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "schedules.yaml").write_text(
        (ROOT / "examples" / "schedules.yaml").read_text()
    )
    ran = 0
    for command, shown in steps:
        if "| jq" in command:
            continue  # jq may be missing; the same command runs without it below
        command = command.replace("127.0.0.1:3000", f"127.0.0.1:{port}")
        if re.match(r"^ID=sch_\w+$", command):
            # The page's id was made by its own create: use the one made here.
            command = (
                "ID=$(jobsched list --name-prefix 'morning ping' -o json | "
                'python -c \'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])\')'
            )
        script = tmp_path / "state.sh"
        state = script.read_text() if script.exists() else ""
        proc = subprocess.run(
            # Each line in its own shell, keeping only $ID (what the page's commands share).
            ["bash", "-c", f'{state}\n{command}\nrc=$?\necho "ID=$ID" > {script}\nexit $rc'],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        want = _expected_exit(shown)
        assert proc.returncode == want, (command, proc.stdout, proc.stderr)
        printed = (proc.stdout + proc.stderr).splitlines()
        for line in shown:
            if STABLE.match(line.strip()):
                prefix = line.strip()
                if prefix.startswith("error: "):
                    prefix = prefix.split(": ")[0] + ": " + prefix.split(": ")[1]
                elif prefix.startswith("~ "):
                    prefix = prefix.split("  ")[0]
                assert any(p.strip().startswith(prefix) for p in printed), (command, line, printed)
        ran += 1
    assert ran >= 8
