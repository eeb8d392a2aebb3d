"""No function of the Lambda code (layers/, functions/) is longer than 60 lines, unless
the line above its `def` says why with a `# long: <reason>` comment. A long function is
where steps hide without names; ruff's C901 bounds the branches, this bounds the length.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = (ROOT / "layers" / "common" / "jobscheduler", ROOT / "functions")
MAX_LINES = 60


def long_functions(source: str, name: str) -> list[str]:
    """`name:line function (N lines)` for each function over the bound without a reason."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        excused = first >= 2 and lines[first - 2].strip().startswith("# long:")
        if length > MAX_LINES and not excused:
            found.append(f"{name}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_is_longer_than_60_lines() -> None:
    found = [
        entry
        for folder in FOLDERS
        for path in sorted(folder.rglob("*.py"))
        for entry in long_functions(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert found == []


def test_the_check_catches_a_long_function_and_honours_a_reason() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    source = f"def long():\n{body}\n"
    assert long_functions(source, "m.py") == [f"m.py:1 long ({MAX_LINES + 1} lines)"]
    assert long_functions(f"# long: a table\n{source}", "m.py") == []
    short = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES - 1))
    assert long_functions(f"def short():\n{short}\n", "m.py") == []
