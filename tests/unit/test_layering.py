"""The import rules between layers, checked on the source (no import is executed).

- models/ and expressions/ are pure: no I/O library, no AWS, no adapter, no use case.
- logic/ speaks domain terms: no boto3/botocore, no AWS module, no dal internals (keys,
  cursors, codecs, failure translation), no API Gateway event handling.
- dal/ and gateways/ never reach up into logic/.
- the Lambda handlers and the API's routes only wire: they call logic, never an adapter.
- one helper reads botocore's error shape: jobscheduler/aws.py.
- the schedule use cases (logic/schedules/) keep one module per operation: an operation
  imports the shared modules (common, idempotency), never another operation.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "common" / "jobscheduler"
FUNCTIONS = ROOT / "functions"

# urllib.parse is string work, not I/O (models percent-encode the CloudEvents source).
IO = (
    "boto3",
    "botocore",
    "urllib.request",
    "urllib.error",
    "socket",
    "http",
    "ssl",
    "requests",
    "aiohttp",
)
AWS = ("boto3", "botocore", "jobscheduler.aws")
ADAPTERS = ("jobscheduler.dal", "jobscheduler.gateways")
DAL_INTERNALS = (
    "jobscheduler.dal.keys",
    "jobscheduler.dal.cursor",
    "jobscheduler.dal.codec",
    "jobscheduler.dal.failures",
)


@dataclass(frozen=True)
class Rule:
    layer: str  # a folder of the package, or a glob under functions/
    forbidden: tuple[str, ...]
    why: str


RULES = (
    Rule("models", (*IO, *ADAPTERS, "jobscheduler.aws", "jobscheduler.logic"), "pure values"),
    Rule(
        "expressions",
        (*IO, *ADAPTERS, "jobscheduler.aws", "jobscheduler.logic"),
        "pure functions",
    ),
    Rule(
        "logic",
        (*AWS, *DAL_INTERNALS, "aws_lambda_powertools.event_handler"),
        "use cases see ports and domain errors, not AWS or API Gateway",
    ),
    Rule("dal", ("jobscheduler.logic",), "adapters do not call use cases"),
    Rule("gateways", ("jobscheduler.logic",), "adapters do not call use cases"),
)
HANDLER_FORBIDDEN = (*AWS, *ADAPTERS)


def imported_modules(source: str, module: str) -> list[tuple[int, str]]:
    """Every module ``source`` imports (absolute names; relative ones resolved against
    ``module``), with its line, function-level imports included."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.rsplit(".", node.level)[0]
                base = f"{parent}.{base}" if base else parent
            # `from jobscheduler.dal import keys` imports jobscheduler.dal.keys.
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
            found.append((node.lineno, base))
    return found


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(source: str, module: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        {
            f"{module}:{line} imports {name}"
            for line, name in imported_modules(source, module)
            for prefix in forbidden
            if _matches(name, prefix)
        }
    )


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(relative.parts).removesuffix(".__init__")


def _layer_files(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def _handler_files() -> list[Path]:
    return sorted(
        [*FUNCTIONS.glob("*/*_handler.py"), *FUNCTIONS.glob("*/routes/*.py")],
    )


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.layer)
def test_layer_imports(rule: Rule) -> None:
    files = _layer_files(rule.layer)
    assert files, f"no module under {rule.layer}/"
    found = [
        violation
        for path in files
        for violation in violations(path.read_text(), _module_name(path), rule.forbidden)
    ]
    assert not found, f"{rule.layer}/ must not import these ({rule.why}): {found}"


def test_handlers_only_wire() -> None:
    files = _handler_files()
    assert any(path.name == "api_handler.py" for path in files)
    found = [
        violation
        for path in files
        for violation in violations(
            path.read_text(), str(path.relative_to(ROOT)), HANDLER_FORBIDDEN
        )
    ]
    assert not found, f"handlers and routes call logic, not adapters: {found}"


# botocore's error shape: `exc.response["Error"]` / `.get("Error", ...)`.
_ERROR_SHAPE = re.compile(r"""\.response(?:\.get\(|\[)\s*["']Error["']""")


def test_one_error_code_helper() -> None:
    readers = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "aws.py" or path.parent != PACKAGE
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if _ERROR_SHAPE.search(line)
    ]
    assert not readers, f"use jobscheduler.aws.error_code / error_message: {readers}"


def test_logic_does_not_catch_botocore_by_name() -> None:
    # Imports are checked above; this catches `except ClientError` smuggled in by another
    # route (a re-export), which would mean an adapter let botocore's errors through.
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _layer_files("logic")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\b(ClientError|BotoCoreError)\b", line)
    ]
    assert not found, found


# One module per operation; what two of them need lives in a shared module.
USE_CASES = PACKAGE / "logic" / "schedules"
SHARED_USE_CASE_MODULES = ("common", "idempotency")


def _operation_modules() -> list[Path]:
    return sorted(
        path
        for path in USE_CASES.glob("*.py")
        if path.stem not in ("__init__", *SHARED_USE_CASE_MODULES)
    )


def test_schedule_operations_do_not_import_each_other() -> None:
    operations = _operation_modules()
    names = {f"jobscheduler.logic.schedules.{path.stem}" for path in operations}
    assert {"creation", "updates", "transitions", "deletion"} <= {p.stem for p in operations}
    found = [
        violation
        for path in operations
        for violation in violations(
            path.read_text(),
            _module_name(path),
            tuple(sorted(names - {_module_name(path)})),
        )
    ]
    assert not found, f"an operation imports another one (move the shared part): {found}"


# --- the checker itself can fail ------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "module", "forbidden", "expected"),
    [
        ("import boto3\n", "jobscheduler.logic.x", AWS, "boto3"),
        ("from botocore.exceptions import ClientError\n", "jobscheduler.logic.x", AWS, "botocore"),
        ("from jobscheduler.dal import keys\n", "jobscheduler.logic.x", DAL_INTERNALS, "keys"),
        ("from ..dal.cursor import decode\n", "jobscheduler.logic.x", DAL_INTERNALS, "cursor"),
        ("def f():\n    import socket\n", "jobscheduler.models.x", IO, "socket"),
        ("from http import HTTPStatus\n", "jobscheduler.expressions.x", IO, "http"),
        (
            "from jobscheduler.logic import schedules\n",
            "jobscheduler.dal.x",
            ("jobscheduler.logic",),
            "logic",
        ),
        (
            "from jobscheduler.logic.schedules import updates\n",
            "jobscheduler.logic.schedules.transitions",
            ("jobscheduler.logic.schedules.updates",),
            "updates",
        ),
    ],
)
def test_checker_catches(
    source: str, module: str, forbidden: tuple[str, ...], expected: str
) -> None:
    found = violations(source, module, forbidden)
    assert found
    assert expected in found[0]


@pytest.mark.parametrize(
    ("source", "module", "forbidden"),
    [
        ("from jobscheduler.dal import schedules\n", "jobscheduler.logic.x", DAL_INTERNALS),
        ("import httpx_like\n", "jobscheduler.models.x", IO),
        ("from jobscheduler.models.ids import keys_of\n", "jobscheduler.logic.x", DAL_INTERNALS),
    ],
)
def test_checker_allows(source: str, module: str, forbidden: tuple[str, ...]) -> None:
    assert violations(source, module, forbidden) == []


def test_error_shape_pattern() -> None:
    assert _ERROR_SHAPE.search('code = error.response["Error"]["Code"]')
    assert _ERROR_SHAPE.search('exc.response.get("Error", {}).get("Code")')
    assert not _ERROR_SHAPE.search("code = error_code(exc)")
