"""Headless Chromium (Debian's `chromium`, driven by Playwright for Python) against the
local stack. One stack and one browser per module; every page records its console, and a
test fails on any script error or console error it did not expect."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Stack, Webhooks, start_stack

playwright_api = pytest.importorskip("playwright.sync_api")
# The suite shares two cores with the rest of `make test`: give every expectation the
# same patience as every action.
playwright_api.expect.set_options(timeout=15_000)

SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 360, "height": 740}
# A zone other than UTC, so the pages show both the browser's and the schedule's time.
BROWSER_ZONE = "Europe/Paris"
# Chromium reports every non-2xx fetch on the console; a test names the ones it provokes.
HTTP_ERROR = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@dataclass
class ConsoleLog:
    """What a page printed: script errors always fail the test; console errors fail it
    unless they are HTTP statuses the test said it provokes."""

    errors: list[str] = field(default_factory=list)
    allowed_statuses: set[int] = field(default_factory=set)
    dialogs: list[str] = field(default_factory=list)

    def allow(self, *statuses: int) -> None:
        self.allowed_statuses.update(statuses)

    def unexpected(self) -> list[str]:
        out = []
        for error in self.errors:
            match = HTTP_ERROR.search(error)
            if match and int(match.group(1)) in self.allowed_statuses:
                continue
            out.append(error)
        return out


@pytest.fixture(scope="module")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        message = "chromium is not installed (make browser-deps installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    local = start_stack()
    try:
        yield local
    finally:
        assert local.stop() == 0, local.output()


@pytest.fixture(scope="module")
def hooks() -> Iterator[Webhooks]:
    server = Webhooks()
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    with playwright_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield instance
        instance.close()


@dataclass
class Console:
    """A page of the console and what it logged."""

    page: Any
    log: ConsoleLog
    base: str

    def open(self, route: str = "#/schedules") -> Any:
        """Load the console afresh at `route` (a hash change alone would not reload) and
        wait until the page has rendered its data."""
        self.page.goto("about:blank")
        self.page.goto(f"{self.base}/console{route}")
        self.page.wait_for_selector("#main[data-ready]")
        return self.page

    def shot(self, name: str) -> Path:
        """Screenshot of the whole page at the current width, named by page and width."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        width = self.page.viewport_size["width"]
        path = SCREENSHOTS / f"{name}-{width}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def _new_console(browser: Any, stack: Stack, viewport: dict[str, int]) -> Iterator[Console]:
    context = browser.new_context(viewport=viewport, timezone_id=BROWSER_ZONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log = ConsoleLog()
    page.on("console", lambda msg: log.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: log.errors.append(f"script error: {exc}"))

    def on_dialog(dialog: Any) -> None:
        # A native alert/confirm would be script the console never runs (an injected
        # onerror=alert(1) among them): record and dismiss it.
        log.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    console = Console(page, log, stack.api_url)
    yield console
    context.close()
    assert log.unexpected() == [], (
        f"console errors: {log.unexpected()}\nstack log (tail):\n{stack.output()[-4000:]}"
    )
    assert log.dialogs == [], f"native dialogs opened: {log.dialogs}"


@pytest.fixture
def console(browser: Any, stack: Stack) -> Iterator[Console]:
    yield from _new_console(browser, stack, DESKTOP)


@pytest.fixture
def phone(browser: Any, stack: Stack) -> Iterator[Console]:
    yield from _new_console(browser, stack, PHONE)


@pytest.fixture
def make_schedule(stack: Stack, hooks: Webhooks) -> Callable[..., dict[str, Any]]:
    """A schedule created through the API (the UI flows create theirs through the form)."""

    def make(name: str, path: str = "/ok", schedule: str = "every day at 9am", **extra: Any) -> Any:
        body = {
            "name": name,
            "schedule": schedule,
            "timezone": "America/New_York",
            "task": {"type": "http", "url": f"{hooks.url}{path}", "method": "POST"},
            "retry": {"max_attempts": 1},
            **extra,
        }
        status, created = stack.request("POST", "/schedules", body, token=None)
        assert status == 201, created
        return created

    return make
