"""template.yaml against the code: handlers and layer paths exist, and every environment
variable the code reads is set for the function that runs that code."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from jobscheduler.settings import ENV_VARS, Settings
from local.template import load_template, resources_of_type
from tests.unit.template import codescan

ROOT = codescan.ROOT
TEMPLATE = load_template()
FUNCTIONS = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
LAYERS = resources_of_type(TEMPLATE, "AWS::Serverless::LayerVersion")
GLOBAL_ENV: dict[str, Any] = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
SETTINGS_FIELD_TO_VAR = {field: var for var, field in ENV_VARS.items()}


def function_env(logical: str) -> dict[str, Any]:
    own = FUNCTIONS[logical]["Properties"].get("Environment", {}).get("Variables", {})
    return {**GLOBAL_ENV, **own}


def code_dir(logical: str) -> Path:
    return (ROOT / str(FUNCTIONS[logical]["Properties"]["CodeUri"])).resolve()


def handler_file(logical: str) -> Path:
    module, _, _ = FUNCTIONS[logical]["Properties"]["Handler"].rpartition(".")
    return code_dir(logical).joinpath(*module.split(".")).with_suffix(".py")


def test_the_functions_are_declared() -> None:
    assert set(FUNCTIONS) == {"ApiFunction", "ExecutorFunction", "ReconcilerFunction"}
    assert (
        FUNCTIONS["ReconcilerFunction"]["Properties"]["Handler"]
        == "reconciler_handler.lambda_handler"
    )
    assert FUNCTIONS["ApiFunction"]["Properties"]["Handler"] == "api_handler.lambda_handler"
    assert (
        FUNCTIONS["ExecutorFunction"]["Properties"]["Handler"] == "executor_handler.lambda_handler"
    )


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_code_uri_is_a_directory(logical: str) -> None:
    assert code_dir(logical).is_dir()
    assert code_dir(logical).is_relative_to(ROOT / "functions")


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_handler_module_and_function_exist(logical: str) -> None:
    path = handler_file(logical)
    assert path.is_file(), f"{logical}: handler module {path.relative_to(ROOT)} is missing"
    module_name, _, func_name = FUNCTIONS[logical]["Properties"]["Handler"].rpartition(".")
    module = importlib.import_module(module_name)
    # The module imported must be the one in CodeUri, not a namesake elsewhere on the path.
    assert Path(str(module.__file__)).resolve() == path
    assert callable(getattr(module, func_name, None)), f"{logical}: {func_name} missing"


def test_one_layer_with_the_shared_package_and_pinned_requirements() -> None:
    assert list(LAYERS) == ["CommonLayer"]
    layer = LAYERS["CommonLayer"]
    # makefile build: layers/common/Makefile installs the pins and prunes the runtime's
    # boto3/botocore that aws-xray-sdk would otherwise drag in.
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    makefile = (ROOT / layer["Properties"]["ContentUri"] / "Makefile").read_text(encoding="utf-8")
    assert "build-CommonLayer:" in makefile
    assert "botocore" in makefile
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"
    content = (ROOT / layer["Properties"]["ContentUri"]).resolve()
    assert (content / "jobscheduler" / "__init__.py").is_file()
    requirements = (content / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = [line.split("#")[0].strip() for line in requirements]
    pins = [pin for pin in pins if pin]
    assert pins, "the layer has no requirements"
    assert all("==" in pin for pin in pins), pins
    names = {pin.split("==")[0].split("[")[0].lower() for pin in pins}
    # The runtime provides boto3/botocore; bundling them would shadow the runtime's.
    assert not names & {"boto3", "botocore"}
    for logical in FUNCTIONS:
        assert TEMPLATE["Globals"]["Function"]["Layers"] == [{"Ref": "CommonLayer"}], logical


def test_every_settings_field_has_an_environment_variable() -> None:
    assert set(ENV_VARS.values()) == set(Settings.model_fields)


def test_every_settings_variable_is_set_on_some_function() -> None:
    declared = set().union(*(function_env(logical) for logical in FUNCTIONS))
    assert set(ENV_VARS) - declared == set()


def test_template_sets_no_variable_the_code_does_not_know() -> None:
    for logical in FUNCTIONS:
        unknown = {
            var
            for var in function_env(logical)
            if var not in ENV_VARS and not var.startswith(codescan.RUNTIME_PREFIXES)
        }
        assert unknown == set(), f"{logical} sets variables no code reads: {unknown}"


def test_direct_environment_reads_are_declared() -> None:
    """os.environ / getenv uses outside settings.py must name declared variables too."""
    files = codescan.python_files(codescan.LAYER_ROOT, codescan.FUNCTIONS_ROOT)
    reads = codescan.direct_env_reads(files)
    declared = set().union(*(function_env(logical) for logical in FUNCTIONS))
    missing = {
        var: sorted(str(path.relative_to(ROOT)) for path in paths)
        for var, paths in reads.items()
        if not var.startswith(codescan.RUNTIME_PREFIXES) and var not in declared
    }
    assert missing == {}


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_function_has_every_variable_its_code_reads(logical: str) -> None:
    entry = handler_file(logical)
    assert entry.is_file(), f"{logical}: handler module {entry.relative_to(ROOT)} is missing"
    modules = codescan.reachable_modules(entry, code_dir(logical))
    fields_read = codescan.settings_reads(modules) & set(SETTINGS_FIELD_TO_VAR)
    needed = {SETTINGS_FIELD_TO_VAR[field] for field in fields_read}
    env_reads = codescan.direct_env_reads(modules)
    needed |= {var for var in env_reads if not var.startswith(codescan.RUNTIME_PREFIXES)}
    missing = needed - set(function_env(logical))
    assert missing == set(), (
        f"{logical} reads {sorted(missing)} but template.yaml does not set them"
    )


# --- the scanner itself, so the tests above cannot pass by finding nothing ---------


def test_scanner_follows_imports_into_the_layer_and_sees_settings_reads() -> None:
    entry = codescan.LAYER_ROOT / "jobscheduler" / "gateways" / "events.py"
    modules = codescan.reachable_modules(entry, codescan.LAYER_ROOT / "jobscheduler")
    names = {str(path.relative_to(codescan.LAYER_ROOT)) for path in modules}
    assert "jobscheduler/aws.py" in names
    assert "jobscheduler/settings.py" in names
    assert "jobscheduler/models/events.py" in names
    assert "topic_arn" in codescan.settings_reads(modules)


def test_scanner_finds_direct_environment_reads(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "import os\nfrom os import environ, getenv\n"
        "a = os.environ['ONE']\nb = os.environ.get('TWO')\nc = os.getenv('THREE', 'x')\n"
        "d = environ['FOUR']\ne = getenv('FIVE')\nf = os.environ[name]\n",
        encoding="utf-8",
    )
    assert set(codescan.direct_env_reads([source])) == {"ONE", "TWO", "THREE", "FOUR", "FIVE"}


def test_scanner_resolves_relative_and_lazy_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (package / "sub" / "leaf.py").write_text(
        "cfg = get_settings()\nx = cfg.leaf_field\ny = get_settings().other\nz = policy.not_env\n",
        encoding="utf-8",
    )
    (package / "entry.py").write_text(
        "def f():\n    from .sub import leaf\n    return leaf\n", encoding="utf-8"
    )
    modules = codescan.reachable_modules(package / "entry.py", tmp_path)
    assert package / "sub" / "leaf.py" in modules
    assert codescan.settings_reads(modules) == {"leaf_field", "other"}
