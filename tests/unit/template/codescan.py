"""Static scan of the code a function loads: which modules a handler imports (its own
directory and the layer's ``jobscheduler`` package, transitively, lazy imports and the
adapters a ``wiring.preload`` names included, ``if TYPE_CHECKING:`` blocks left out) and
which settings fields and environment variables those modules read.

Hand-written with ``ast`` because the question is about our own source tree only; an
import tracer (modulefinder) would execute nothing but also follow every third-party
package, which we do not want.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LAYER_ROOT = ROOT / "layers" / "common"
FUNCTIONS_ROOT = ROOT / "functions"
# Provided by the Lambda runtime or read by Powertools itself, not by our code.
# Variables read by the runtime or by libraries rather than by our code (pydantic reads
# PYDANTIC_DISABLE_PLUGINS when it first builds a model).
RUNTIME_PREFIXES = ("AWS_", "POWERTOOLS_", "LAMBDA_", "_X_AMZN_", "_HANDLER", "PYDANTIC_")


def module_file(name: str, roots: Iterable[Path]) -> Path | None:
    parts = name.split(".")
    for root in roots:
        candidate = root.joinpath(*parts)
        if candidate.with_suffix(".py").is_file():
            return candidate.with_suffix(".py")
        if (candidate / "__init__.py").is_file():
            return candidate / "__init__.py"
    return None


def _module_name(path: Path, roots: Iterable[Path]) -> str:
    for root in roots:
        if path.is_relative_to(root):
            rel = path.relative_to(root).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            return ".".join(parts)
    raise ValueError(f"{path} is outside {list(roots)}")


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The nodes under ``if TYPE_CHECKING:``: read by mypy, never run."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(id(inner) for inner in ast.walk(child))
    return skipped


def _preloaded(node: ast.AST) -> set[str]:
    """The real adapters a ``preload("port", ...)`` call imports (jobscheduler.wiring
    imports them by name, which no import statement shows)."""
    from jobscheduler.wiring import REAL_MODULES

    if not isinstance(node, ast.Call):
        return set()
    func = node.func
    called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if called != "preload":
        return set()
    return {
        REAL_MODULES[arg.value]
        for arg in node.args
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    }


def _imported_names(tree: ast.AST, current: str, is_package: bool) -> set[str]:
    """Absolute module names an AST imports, plus ``module.name`` for from-imports
    (the name may be a submodule)."""
    names: set[str] = set()
    skipped = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        names.update(_preloaded(node))
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = current if is_package else current.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{node.module}" if node.module else package
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def reachable_modules(entry: Path, code_dir: Path) -> set[Path]:
    """Every module of code_dir and the layer that importing ``entry`` can load."""
    roots = (code_dir, LAYER_ROOT)
    seen: set[Path] = set()
    todo = [entry]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        name = _module_name(path, roots)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for imported in _imported_names(tree, name, path.name == "__init__.py"):
            parts = imported.split(".")
            # Importing a.b.c runs a/__init__ and a/b/__init__ too.
            for depth in range(1, len(parts) + 1):
                found = module_file(".".join(parts[:depth]), roots)
                if found is not None and found not in seen:
                    todo.append(found)
    return seen


def _is_settings_source(node: ast.AST, bound: set[str]) -> bool:
    """``get_settings()``, a name bound to it, or a name/attribute called *settings*."""
    if isinstance(node, ast.Call):
        func = node.func
        return (isinstance(func, ast.Name) and func.id == "get_settings") or (
            isinstance(func, ast.Attribute) and func.attr in ("get_settings", "from_env")
        )
    if isinstance(node, ast.Name):
        return node.id in bound or "settings" in node.id.lower()
    if isinstance(node, ast.Attribute):
        return "settings" in node.attr.lower()
    return False


def settings_reads(paths: Iterable[Path]) -> set[str]:
    """Attributes read from the settings object (``get_settings().x``, ``settings.x``,
    ``cfg = get_settings(); cfg.x``). Another object's same-named field (a policy's
    ``min_interval_seconds``, say) is not a read of the environment."""
    names: set[str] = set()
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        bound = {
            target.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and _is_settings_source(node.value, set())
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        names.update(
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and _is_settings_source(node.value, bound)
        )
    return names


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def direct_env_reads(paths: Iterable[Path]) -> dict[str, set[Path]]:
    """Literal names read through os.environ[...], os.environ.get(...) or os.getenv(...)."""
    reads: dict[str, set[Path]] = {}
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            key: ast.AST | None = None
            if isinstance(node, ast.Subscript) and _is_environ(node.value):
                key = node.slice
            elif isinstance(node, ast.Call) and node.args:
                func = node.func
                is_get = (
                    isinstance(func, ast.Attribute)
                    and func.attr in ("get", "pop", "setdefault")
                    and _is_environ(func.value)
                )
                is_getenv = (isinstance(func, ast.Attribute) and func.attr == "getenv") or (
                    isinstance(func, ast.Name) and func.id == "getenv"
                )
                if is_get or is_getenv:
                    key = node.args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                reads.setdefault(key.value, set()).add(path)
    return reads


def python_files(*roots: Path) -> list[Path]:
    return sorted(
        path
        for root in roots
        for path in root.rglob("*.py")
        if "__pycache__" not in path.parts and "tests" not in path.parts
    )
