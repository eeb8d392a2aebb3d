"""Runs the README's quickstart against a local stack, so the README cannot go stale.

The shell block between `<!-- quickstart:begin -->` and `<!-- quickstart:end -->` in
README.md runs in bash with the port
3000 replaced by the test stack's port; a `curl` shell function records each call's
status line and body, and each must be a 2xx with a JSON body. curl is on every
developer machine and CI image; where it is missing the test is skipped, loudly.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Stack, subprocess_env, wait_for

pytestmark = pytest.mark.e2e

BEGIN, END = "<!-- quickstart:begin -->", "<!-- quickstart:end -->"
# Records each call: headers to h.N (status line included), body to b.N and to stdout.
CURL_SHIM = """
curl() {
  # A counter file, not a variable: $(curl ...) runs in a subshell.
  local n=$(( $(cat "$QS_DIR/n" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$QS_DIR/n"
  command curl -sS -D "$QS_DIR/h.$n" "$@" | tee "$QS_DIR/b.$n"
}
"""


def quickstart_text() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert BEGIN in readme, "README.md lost its quickstart markers"
    assert END in readme, "README.md lost its quickstart markers"
    return readme.split(BEGIN, 1)[1].split(END, 1)[0]


def shell_commands(text: str, api_port: int) -> str:
    """The bash blocks, minus `make run` (the test already started the stack)."""
    blocks = re.findall(r"```(?:bash|sh|shell)\n(.*?)```", text, flags=re.DOTALL)
    lines = [
        line
        for block in blocks
        for line in block.splitlines()
        if not re.match(r"\s*make run\b", line)
    ]
    script = "\n".join(lines)
    return re.sub(r"(127\.0\.0\.1|localhost):3000\b", f"127.0.0.1:{api_port}", script)


def test_quickstart_text_has_the_steps() -> None:
    text = quickstart_text()
    assert "make run" in text
    script = shell_commands(text, 3000)
    for step in ("/schedules", "/schedules/preview", "/run", "/executions"):
        assert step in script, step
    # It waits by asking, not by a fixed sleep that a busy machine outruns.
    assert re.search(r"for _ in \$\(seq \d+\); do", script), script
    assert not re.search(r"^\s*sleep \d+\s*$", script, flags=re.MULTILINE), script


def test_quickstart_runs_against_the_local_stack(local_stack: Stack) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed: the README quickstart could not be executed")
    script = shell_commands(quickstart_text(), local_stack.api_port)
    with tempfile.TemporaryDirectory() as qs_dir:
        result = subprocess.run(
            ["bash", "-c", "set -euo pipefail\n" + CURL_SHIM + script],
            cwd=ROOT,
            env=subprocess_env(QS_DIR=qs_dir),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
        calls = sorted(Path(qs_dir).glob("h.*"), key=lambda p: int(p.suffix[1:]))
        # At least one call per curl of the text; the history is polled, so maybe more.
        assert len(calls) >= len(re.findall(r"\bcurl -", script)), script
        bodies: list[object] = []
        for headers in calls:
            status_line = [
                line for line in headers.read_text().splitlines() if line.startswith("HTTP/")
            ][-1]
            status = int(status_line.split()[1])
            body = (Path(qs_dir) / f"b{headers.suffix}").read_text()
            assert 200 <= status < 300, f"{status_line}: {body}"
            bodies.append(json.loads(body))
    created, run = bodies[0], next(b for b in bodies if isinstance(b, dict) and "execution_id" in b)
    assert isinstance(created, dict)
    assert isinstance(run, dict)
    # The manual run of the quickstart completes and is in the history.

    def finished() -> object:
        _, item = local_stack.request(
            "GET", f"/schedules/{created['id']}/executions/{run['execution_id']}", token=None
        )
        return item if item and item.get("status") not in (None, "RUNNING") else None

    execution = wait_for(finished, timeout=15)
    assert execution, local_stack.output()
    assert execution["status"] == "SUCCEEDED", execution
