"""/console: the web console's static files (public: they hold no tenant data; every data
call the console makes goes through the authenticated API with the user's identity)."""

from __future__ import annotations

import json
from functools import cache
from http import HTTPStatus
from pathlib import Path

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from jobscheduler.errors import RouteNotFound
from jobscheduler.settings import get_settings

router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated

STATIC_DIR = Path(__file__).resolve().parent.parent / "console"
INDEX = "index.html"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


def content_security_policy(cognito_domain: str = "") -> str:
    """No inline script or style, nothing from elsewhere, never inside a frame. The
    Cognito domain is the one other origin the console talks to (the token exchange)."""
    connect = "'self'" + (f" https://{cognito_domain}" if cognito_domain else "")
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _headers(content_type: str) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "Content-Security-Policy": content_security_policy(get_settings().console_cognito_domain),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        # Short: a deploy must reach browsers quickly; no-cache would refetch every module.
        "Cache-Control": "public, max-age=300",
    }


@cache
def static_files() -> dict[str, str]:
    """The console's files by name, read once per process. Only these names are served,
    so no path from a request ever reaches the file system."""
    return {
        path.name: path.read_text(encoding="utf-8")
        for path in STATIC_DIR.iterdir()
        if path.is_file() and path.suffix in CONTENT_TYPES
    }


def _file(name: str) -> Response[str]:
    body = static_files().get(name)
    if body is None:
        # The same answer as any unknown path: the console's files are its only routes.
        path = f"/console/{name}"
        raise RouteNotFound(f"no route GET {path}", details={"path": path})
    return Response(
        status_code=HTTPStatus.OK,
        content_type=CONTENT_TYPES[Path(name).suffix],
        body=body,
        headers=_headers(CONTENT_TYPES[Path(name).suffix]),
        compress=False,
    )


@router.get("/console", include_in_schema=False)
def console_index() -> Response[str]:
    return _file(INDEX)


@router.get("/console/config.json", include_in_schema=False)
def console_config() -> Response[str]:
    """What the sign-in page needs to offer the Cognito hosted UI (nothing when the
    stack was not given a Cognito client)."""
    settings = get_settings()
    cognito = (
        {"domain": settings.console_cognito_domain, "client_id": settings.console_cognito_client_id}
        if settings.console_cognito_domain and settings.console_cognito_client_id
        else None
    )
    return Response(
        status_code=HTTPStatus.OK,
        content_type="application/json",
        body=json.dumps({"cognito": cognito}),
        headers={**_headers("application/json"), "Cache-Control": "no-store"},
    )


@router.get("/console/<name>", include_in_schema=False)
def console_file(name: str) -> Response[str]:
    return _file(name)
