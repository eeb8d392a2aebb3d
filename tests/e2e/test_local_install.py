"""`pip install -e .` alone makes the code importable: `python -m local` and
`python -m local.invoke` run in a fresh venv, from another folder, without PYTHONPATH."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv that gets the project from `pip install -e .` and, since installing every
    pinned package again would take minutes, its dependencies from the test's own
    environment (a .pth line: .pth files found there are not run, so no other
    checkout's install can leak in)."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-e",
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return python


def _plain_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "AWS_PROFILE", "STATE_FILE")
        and not k.startswith("AWS_ENDPOINT_URL")
    }
    env.update(extra)
    return env


def test_the_install_puts_the_code_folders_on_the_path(venv: Path, tmp_path: Path) -> None:
    code = (
        "import json, api_handler, executor_handler, routes, jobscheduler, local.app; "
        "print(json.dumps([m.__file__ for m in "
        "(api_handler, executor_handler, routes, jobscheduler, local.app)]))"
    )
    result = subprocess.run(
        [str(venv), "-c", code],
        cwd=tmp_path,
        env=_plain_env(AWS_DEFAULT_REGION="us-east-1"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    files = [Path(f) for f in json.loads(result.stdout)]
    assert all(f.is_relative_to(ROOT) for f in files), files


def test_python_m_local_and_invoke_run_without_pythonpath(venv: Path, tmp_path: Path) -> None:
    helped = subprocess.run(
        [str(venv), "-m", "local", "--help"],
        cwd=tmp_path,
        env=_plain_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert helped.returncode == 0, helped.stderr
    assert "--state-file" in helped.stdout
    invoked = subprocess.run(
        [str(venv), "-m", "local.invoke", "ApiFunction", str(ROOT / "events/api-health.json")],
        cwd=tmp_path,
        env=_plain_env(MOTO_PORT=str(free_port())),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert invoked.returncode == 0, invoked.stderr
    assert json.loads(json.loads(invoked.stdout)["body"])["status"] == "ok"
