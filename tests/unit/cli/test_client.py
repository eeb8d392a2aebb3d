"""jobsched's error parsing, connection precedence and time options (no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer

from jobsched import config
from jobsched.client import ApiError, Client, Connection
from jobsched.executions import _moment


def test_api_errors_keep_code_message_and_suggestion() -> None:
    body = {
        "error": {
            "code": "invalid_schedule",
            "message": "no",
            "details": {"suggestion": "every day"},
        }
    }
    error = ApiError.from_response(422, json.dumps(body).encode())
    assert (error.code, error.message, error.suggestion, error.status) == (
        "invalid_schedule",
        "no",
        "every day",
        422,
    )
    top = {"error": {"code": "x", "message": "m", "suggestion": "s", "details": None}}
    assert ApiError.from_response(400, json.dumps(top).encode()).suggestion == "s"


@pytest.mark.parametrize(
    ("status", "raw", "code", "message"),
    [
        (403, b'{"message": "Forbidden"}', "http_403", "Forbidden"),
        (502, b"<html>bad gateway</html>", "http_502", "<html>bad gateway</html>"),
        (500, b"", "http_500", "HTTP 500"),
        (404, b'{"error": "x"}', "http_404", '{"error": "x"}'),
    ],
)
def test_answers_that_are_not_the_api_error_shape(
    status: int, raw: bytes, code: str, message: str
) -> None:
    error = ApiError.from_response(status, raw)
    assert (error.code, error.message) == (code, message)
    if status in (403, 404):
        assert error.suggestion


def test_unreachable_api_is_a_connection_error() -> None:
    client = Client(Connection(api_url="http://127.0.0.1:9", timeout=2))
    with pytest.raises(ApiError) as caught:
        client.request("GET", "/schedules")
    assert caught.value.code == "connection_failed"
    assert "make run" in str(caught.value.suggestion)


def test_connection_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBSCHED_CONFIG", str(tmp_path / "c.yaml"))
    default = config.resolve(
        api_url=None, token=None, iam=None, profile=None, region=None, timeout=5
    )
    assert default.api_url == config.LOCAL_API_URL
    assert (default.token, default.iam) == (None, False)
    config.save_profile("default", {"api_url": "https://a", "token": "t", "iam": None})
    config.save_profile("prod", {"api_url": "https://p", "iam": True, "region": "eu-west-1"})
    saved = config.resolve(api_url=None, token=None, iam=None, profile=None, region=None, timeout=5)
    assert (saved.api_url, saved.token) == ("https://a", "t")
    prod = config.resolve(
        api_url=None, token=None, iam=None, profile="prod", region=None, timeout=5
    )
    assert (prod.api_url, prod.iam, prod.region) == ("https://p", True, "eu-west-1")
    flags = config.resolve(
        api_url="https://f", token="x", iam=False, profile="prod", region=None, timeout=5
    )
    assert (flags.api_url, flags.token, flags.iam) == ("https://f", "x", False)
    with pytest.raises(ApiError) as caught:
        config.resolve(api_url=None, token=None, iam=None, profile="nope", region=None, timeout=5)
    assert caught.value.code == "unknown_profile"
    (tmp_path / "c.yaml").write_text("profiles: [unclosed")
    with pytest.raises(ApiError) as broken:
        config.load_profiles()
    assert broken.value.code == "bad_config"


def test_since_and_until_accept_iso_and_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    assert _moment(None, "--since") is None
    assert _moment("2026-11-01T09:00:00Z", "--since") == "2026-11-01T09:00:00+00:00"
    assert _moment("2026-11-01T09:00:00+01:00", "--since") == "2026-11-01T09:00:00+01:00"
    twelve = datetime.fromisoformat(str(_moment("12h", "--since")))
    assert abs(twelve - (datetime.now(UTC) - timedelta(hours=12))) < timedelta(seconds=5)
    naive = datetime.fromisoformat(str(_moment("2026-11-01T09:00", "--since")))
    assert naive.tzinfo is not None
    with pytest.raises(typer.Exit):
        _moment("last tuesday", "--since")
