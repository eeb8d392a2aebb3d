"""Named profiles (`jobsched configure`) and how a connection is chosen.

Order, most specific first: the command line, the environment (JOBSCHED_API_URL,
JOBSCHED_TOKEN), the profile (--profile / JOBSCHED_PROFILE, else "default"), the local
stack's address.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from jobsched.client import ApiError, Connection

LOCAL_API_URL = "http://127.0.0.1:3000"
DEFAULT_PROFILE = "default"


def config_path() -> Path:
    explicit = os.environ.get("JOBSCHED_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "jobsched" / "config.yaml"


def load_profiles() -> dict[str, dict[str, Any]]:
    path = config_path()
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ApiError(
            "bad_config",
            f"{path} is not valid YAML: {error}",
            suggestion="fix it or run `jobsched configure` again",
        ) from None
    profiles = data.get("profiles") if isinstance(data, dict) else None
    return {str(k): dict(v) for k, v in (profiles or {}).items() if isinstance(v, dict)}


def save_profile(name: str, values: dict[str, Any]) -> Path:
    path = config_path()
    profiles = load_profiles()
    profiles[name] = {k: v for k, v in values.items() if v is not None}
    path.parent.mkdir(parents=True, exist_ok=True)
    # The file may hold a token: readable by its owner only, from its first byte.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        yaml.safe_dump({"profiles": profiles}, handle, sort_keys=True)
    path.chmod(0o600)
    return path


def resolve(
    *,
    api_url: str | None,
    token: str | None,
    iam: bool | None,
    profile: str | None,
    region: str | None,
    timeout: float,
) -> Connection:
    """Typer has already merged the command line with the JOBSCHED_* variables."""
    profiles = load_profiles()
    name = profile or DEFAULT_PROFILE
    if profile and profile not in profiles:
        raise ApiError(
            "unknown_profile",
            f"no profile named {profile!r} in {config_path()}",
            suggestion=f"create it with `jobsched configure --profile {profile} --api-url URL`",
        )
    saved = profiles.get(name, {})
    return Connection(
        api_url=str(api_url or saved.get("api_url") or LOCAL_API_URL),
        token=token or saved.get("token"),
        iam=bool(iam if iam is not None else saved.get("iam", False)),
        region=region or saved.get("region"),
        timeout=timeout,
    )
