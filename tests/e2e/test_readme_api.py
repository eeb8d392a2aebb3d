"""Runs the API page of the manual (docs/api.md) against a local stack, so its examples
cannot go stale.

Every ```bash block between `<!-- api:begin -->` and `<!-- api:end -->` is joined, in
order, into ONE bash script (`set -euo pipefail`) that runs with the port 3000 replaced
by the test stack's and `https://hooks.example.com` by a loopback webhook server (no
network, and the manual run really succeeds). Each `curl` call of the page ends with
the status it answers, `# -> 200`, and a deliberate mistake with its error code too,
`# -> 409 version_conflict`. A `curl` shell function records, for every call, the
script line it ran from (so calls in a polling loop are checked too), its status and
its body; each call must answer the status (and error code) its marker states.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Stack, Webhooks, subprocess_env

pytestmark = pytest.mark.e2e

API_PAGE = ROOT / "docs" / "api.md"
BEGIN, END = "<!-- api:begin -->", "<!-- api:end -->"
EXAMPLE_HOST = "https://hooks.example.com"
PRELUDE = "set -euo pipefail\n"
# Records each call as c.N: the caller's line, then the headers (status line included);
# the body goes to b.N and to stdout. BASH_LINENO[0] is the line the function was called
# from, also inside $(...) and loops; a counter file because $(...) is a subshell.
CURL_SHIM = """
curl() {
  local n=$(( $(cat "$API_DIR/n" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$API_DIR/n"
  echo "${BASH_LINENO[0]}" > "$API_DIR/c.$n"
  command curl -sS -D "$API_DIR/h.$n" "$@" | tee "$API_DIR/b.$n"
}
"""
# A curl command word: at the start of a line, after `$(`, `|`, `;`, `&&` or `||`.
CURL_WORD = re.compile(r"(?:^|\$\(|[|;&]\s*)\s*curl\s", flags=re.MULTILINE)
MARKER = re.compile(r"#\s*->\s*(\d{3})(?:\s+([a-z][a-z_]*))?\s*$")


@dataclass(frozen=True)
class Expectation:
    """One curl call of the script: its lines (first..last, 1-based) and its marker."""

    first: int
    last: int
    status: int
    code: str | None
    command: str


@dataclass(frozen=True)
class Call:
    line: int
    status: int
    body: str


def api_section() -> str:
    page = API_PAGE.read_text(encoding="utf-8")
    assert page.count(BEGIN) == 1, BEGIN
    assert page.count(END) == 1, END
    return page.split(BEGIN, 1)[1].split(END, 1)[0]


def api_script(section: str, api_port: int, hooks_url: str) -> str:
    """The bash blocks in order, as one script, pointed at the test's stack and hooks."""
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    script = "\n".join(block.rstrip("\n") for block in blocks) + "\n"
    script = re.sub(r"(127\.0\.0\.1|localhost):3000\b", f"127.0.0.1:{api_port}", script)
    return script.replace(EXAMPLE_HOST, hooks_url)


def expectations(script: str) -> list[Expectation]:
    """Each curl call and the marker that ends it (on its last line). A curl without a
    marker, or two calls sharing one, is an error of the page."""
    found: list[Expectation] = []
    lines = script.splitlines()
    start: int | None = None
    for number, line in enumerate(lines, start=1):
        code_part = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
        calls = len(CURL_WORD.findall(code_part))
        assert calls <= 1, f"line {number}: one curl call per line, please: {line}"
        if calls:
            assert start is None, f"line {number}: the curl of line {start} has no marker"
            start = number
        marker = MARKER.search(line)
        if marker:
            assert start is not None, f"line {number}: a marker without a curl: {line}"
            status, code = int(marker[1]), marker[2]
            assert status < 400 or code, f"line {number}: an error example needs its code"
            command = "\n".join(lines[start - 1 : number])
            found.append(Expectation(start, number, status, code, command))
            start = None
    assert start is None, f"line {start}: the curl has no `# -> status` marker"
    return found


def recorded_calls(record_dir: Path) -> list[Call]:
    calls: list[Call] = []
    for caller in sorted(record_dir.glob("c.*"), key=lambda p: int(p.suffix[1:])):
        headers = (record_dir / f"h{caller.suffix}").read_text(errors="replace")
        status_lines = [line for line in headers.splitlines() if line.startswith("HTTP/")]
        assert status_lines, f"call {caller.suffix[1:]} got no response"
        body = (record_dir / f"b{caller.suffix}").read_text(errors="replace")
        calls.append(Call(int(caller.read_text()), int(status_lines[-1].split()[1]), body))
    return calls


def owner(found: list[Expectation], call: Call) -> Expectation | None:
    """The documented curl a recorded call ran from."""
    return next((e for e in found if e.first <= call.line <= e.last), None)


def error_code(body: str) -> object:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    error = document.get("error") if isinstance(document, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def test_every_curl_of_the_api_section_states_its_status() -> None:
    section = api_section()
    script = api_script(section, 3000, "http://127.0.0.1:1")
    found = expectations(script)
    assert len(found) == len(re.findall(r"\bcurl -", script)) > 0
    routes = " ".join(e.command for e in found)
    for route in ("/schedules", "/preview", "/pause", "/resume", "/run", "/executions"):
        assert route in routes, route
    for route in ("/signing-secret", "/health", "/openapi.json", "/docs"):
        assert route in routes, route
    # The deliberate mistakes the page promises to show.
    codes = {e.code for e in found}
    assert {"version_conflict", "invalid_schedule", "not_found"} <= codes, codes


def test_expectations_catch_a_curl_without_a_marker() -> None:
    with pytest.raises(AssertionError, match="no `# -> status` marker"):
        expectations('curl -s "$API/health"\n')
    with pytest.raises(AssertionError, match="has no marker"):
        expectations("curl -s $API/a\ncurl -s $API/b   # -> 200\n")
    with pytest.raises(AssertionError, match="needs its code"):
        expectations("curl -s $API/x   # -> 404\n")
    (only,) = expectations("X=$(curl -s -X POST $API/s -d '{\n  \"a\": 1\n}')   # -> 201\n")
    assert (only.first, only.last, only.status, only.code) == (1, 3, 201, None)


@pytest.fixture
def record_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="readme-api-") as name:
        yield Path(name)


def test_api_section_runs_against_the_local_stack(
    local_stack: Stack, webhooks: Webhooks, record_dir: Path
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed: docs/api.md could not be executed")
    script = PRELUDE + CURL_SHIM + api_script(api_section(), local_stack.api_port, webhooks.url)
    found = expectations(script)
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=record_dir,
        env=subprocess_env(API_DIR=str(record_dir)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"

    calls = recorded_calls(record_dir)
    checked: set[int] = set()
    for number, call in enumerate(calls, start=1):
        expected = owner(found, call)
        assert expected, f"call {number} ran from line {call.line}, not a documented curl"
        where = f"{expected.command}\n-> {call.status} {call.body}"
        assert call.status == expected.status, where
        if expected.code is not None:
            assert error_code(call.body) == expected.code, where
        checked.add(expected.first)
    missed = [e.command for e in found if e.first not in checked]
    assert not missed, f"these documented calls never ran: {missed}"

    # The manual run of the section really ran: a signed POST reached the webhook, and
    # the history shows it SUCCEEDED (the poll loop waited for it to finish).
    reports = [r for r in webhooks.requests if r[0] == "/reports"]
    assert len(reports) == 1, webhooks.requests
    _, headers, body = reports[0]
    assert json.loads(body) == {"report": "sales"}
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= {k.lower() for k in headers}
    (run,) = [
        json.loads(call.body)
        for call in calls
        if "/executions/$EXECUTION" in getattr(owner(found, call), "command", "")
    ]
    assert run["status"] == "SUCCEEDED", run
    assert run["trigger"] == "manual", run
