"""/console: the static files through template.yaml's routes and the real handler: public,
only the console's own files, strict security headers, and nothing else made public."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local.http_api import build_event, map_response
from routes import console
from tests.integration.api.conftest import FakeContext

CONSOLE_DIR = Path(console.__file__).resolve().parent.parent / "console"


def get(path: str, headers: list[tuple[str, str]] | None = None) -> tuple[int, dict[str, str], str]:
    from api_handler import lambda_handler

    event = build_event(
        method="GET", target=path, headers=headers or [], body=b"", source_ip="127.0.0.1"
    )
    status, out, body = map_response(lambda_handler(event, FakeContext()))
    return status, {k.lower(): v for k, v in out}, body.decode()


@pytest.fixture(autouse=True)
def _settings(monkeypatch: pytest.MonkeyPatch) -> Any:
    from jobscheduler.settings import reset_settings

    reset_settings()
    yield
    reset_settings()


def test_the_page_and_every_file_are_public_with_strict_headers() -> None:
    files = sorted(p.name for p in CONSOLE_DIR.iterdir() if p.is_file())
    assert {"index.html", "app.js", "api.js", "dom.js", "console.css"} <= set(files)
    for path in ["/console", *(f"/console/{name}" for name in files)]:
        status, headers, body = get(path)  # no Authorization header at all
        assert status == 200, path
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert body, path
    assert get("/console")[1]["content-type"].startswith("text/html")
    assert get("/console/app.js")[1]["content-type"].startswith("text/javascript")
    assert get("/console/console.css")[1]["content-type"].startswith("text/css")


def test_the_files_load_nothing_from_elsewhere_and_never_parse_html() -> None:
    index = (CONSOLE_DIR / "index.html").read_text()
    # Every <script> has a src, and no element carries an inline handler.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", index) == []
    assert re.findall(r"\son[a-z]+\s*=", index) == []
    # Every resource is the console's own (relative), or the empty data: icon.
    for url in re.findall(r"\b(?:src|href)=\"([^\"]*)\"", index):
        assert not re.match(r"^(?:[a-z]+:)?//", url), url
    for path in CONSOLE_DIR.glob("*.js"):
        text = path.read_text()
        for module in re.findall(r"^import .* from \"([^\"]+)\";$", text, flags=re.MULTILINE):
            assert module.startswith("./"), (path.name, module)
        for sink in (
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ):
            assert sink not in text, (path.name, sink)


@pytest.mark.parametrize(
    "path",
    [
        "/console/nothing.js",
        "/console/..%2Fapi_handler.py",
        "/console/%2e%2e%2f%2e%2e%2ftemplate.yaml",
        "/console/../routes/console.py",
        "/console/requirements.txt",
        "/console/app.js/extra",
        "/console/.hidden.js",
    ],
)
def test_nothing_but_the_console_files_is_served(path: str) -> None:
    status, _, body = get(path)
    assert status == 404
    assert json.loads(body)["error"]["code"] == "route_not_found"
    assert "import " not in body


def test_the_console_routes_make_nothing_else_public() -> None:
    # /consoles and /console-x are not the console: they need the chosen auth like any route.
    for path in ("/consoles", "/console-x/app.js", "/schedules"):
        event = build_event(method="GET", target=path, headers=[], body=b"", source_ip="127.0.0.1")
        assert "authorizer" in event["requestContext"], path
    for path in ("/console", "/console/app.js"):
        event = build_event(method="GET", target=path, headers=[], body=b"", source_ip="127.0.0.1")
        assert "authorizer" not in event["requestContext"], path


def test_config_names_the_cognito_client_only_when_both_are_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jobscheduler.settings import reset_settings

    status, headers, body = get("/console/config.json")
    assert status == 200
    assert json.loads(body) == {"cognito": None}
    assert headers["cache-control"] == "no-store"
    assert "connect-src 'self';" in headers["content-security-policy"]

    monkeypatch.setenv("CONSOLE_COGNITO_DOMAIN", "myapp.auth.us-east-1.amazoncognito.com")
    reset_settings()
    assert json.loads(get("/console/config.json")[2]) == {"cognito": None}
    monkeypatch.setenv("CONSOLE_COGNITO_CLIENT_ID", "abc123")
    reset_settings()
    status, headers, body = get("/console/config.json")
    assert json.loads(body) == {
        "cognito": {"domain": "myapp.auth.us-east-1.amazoncognito.com", "client_id": "abc123"}
    }
    # The token exchange is the one call to another origin the policy allows.
    assert (
        "connect-src 'self' https://myapp.auth.us-east-1.amazoncognito.com;"
        in get("/console")[1]["content-security-policy"]
    )


def test_the_console_is_not_in_the_openapi_contract() -> None:
    status, _, body = get("/openapi.json")
    assert status == 200
    assert not [p for p in json.loads(body)["paths"] if p.startswith("/console")]


def _js_list(source: str, name: str) -> list[str]:
    found = re.search(rf"export const {name} = \[(.*?)\];", source, flags=re.DOTALL)
    assert found, name
    return re.findall(r"\"([^\"]+)\"", found.group(1))


def test_the_subscriptions_page_offers_exactly_the_apis_filter_values() -> None:
    # The page's checkboxes are the API's vocabulary: a new event type or status in the
    # models must appear there too (or the page could not ask for it).
    from jobscheduler.models.subscriptions import EVENT_STATUSES, EVENT_TYPES

    source = (CONSOLE_DIR / "subscriptions.js").read_text()
    assert _js_list(source, "EVENT_TYPES") == list(EVENT_TYPES)
    assert _js_list(source, "EVENT_STATUSES") == list(EVENT_STATUSES)


def test_every_page_is_in_the_navigation() -> None:
    index = (CONSOLE_DIR / "index.html").read_text()
    app = (CONSOLE_DIR / "app.js").read_text()
    for section in ("schedules", "new", "executions", "subscriptions", "signin"):
        assert f'href="#/{section}" data-nav="{section}"' in index, section
        assert f'parts[0] === "{section}"' in app, section
