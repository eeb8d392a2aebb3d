"""The web console in headless Chromium against the local stack: the flows a person
goes through, the hostile name, stale versions, phone width and keyboard use."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import Console
from tests.e2e.conftest import Stack, Webhooks, wait_for

pytestmark = pytest.mark.e2e

HOSTILE = "<img src=x onerror=alert(1)>"
FINAL = re.compile(r"SUCCEEDED|FAILED|TIMED_OUT|SKIPPED")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


def finished(stack: Stack, schedule_id: str) -> int:
    _, page = stack.request("GET", f"/schedules/{schedule_id}/executions", token=None)
    return sum(1 for e in page["items"] if FINAL.fullmatch(e["status"]))


def api_schedule(stack: Stack, schedule_id: str) -> tuple[int, Any]:
    return stack.request("GET", f"/schedules/{schedule_id}", token=None)


def test_create_through_the_form_preview_first_then_find_it_in_the_list(
    console: Console, stack: Stack, hooks: Webhooks
) -> None:
    name = unique("nightly report")
    page = console.open("#/new")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Schedule", exact=True).fill("every monday at 8am")
    page.get_by_label("Time zone (IANA)").fill("Europe/Berlin")
    # The preview answers before anything is saved.
    preview = page.locator("#preview")
    expect(preview).to_have_attribute("data-state", "ok")
    expect(preview).to_contain_text("At 08:00, only on Monday")
    expect(preview.locator("ol.runs li")).to_have_count(5)
    expect(preview.locator("ol.runs li").first).to_contain_text("Europe/Berlin")
    _, listed = stack.request("GET", f"/schedules?name_prefix={name.split()[0]}", token=None)
    assert all(item["name"] != name for item in listed["items"]), "saved before Create"
    page.get_by_label("URL").fill(f"{hooks.url}/ok")
    page.get_by_role("button", name="Create schedule").click()
    expect(page.locator("#schedule-name")).to_have_text(name)
    expect(page.locator("#next-runs li")).to_have_count(10)
    console.shot("schedule")

    page.get_by_role("link", name="Schedules", exact=True).click()
    page.get_by_label("Search by name").fill(name[:-2])
    row = page.locator("#schedules tbody tr").filter(has_text=name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("At 08:00, only on Monday")
    expect(row).to_contain_text("Europe/Berlin")  # next run in the schedule's zone too
    expect(row).to_contain_text("ACTIVE")


def test_a_suggestion_is_a_one_click_fix(console: Console) -> None:
    console.log.allow(422)  # the preview's refusal of the mistyped schedule
    page = console.open("#/new")
    page.get_by_label("Schedule", exact=True).fill("rate(5 minute)")
    preview = page.locator("#preview")
    expect(preview).to_have_attribute("data-state", "error")
    expect(preview).to_contain_text("plural")
    console.shot("form-error")
    page.get_by_role("button", name="Use “rate(5 minutes)”").click()
    expect(page.get_by_label("Schedule", exact=True)).to_have_value("rate(5 minutes)")
    expect(preview).to_have_attribute("data-state", "ok")
    expect(preview).to_contain_text("5 minutes")


def test_an_error_without_a_working_suggestion_offers_no_fix(console: Console) -> None:
    console.log.allow(422)
    page = console.open("#/new")
    page.get_by_label("Schedule", exact=True).fill("every tuesday at noon-ish")
    preview = page.locator("#preview")
    expect(preview).to_have_attribute("data-state", "error")
    expect(preview).to_contain_text("noon-ish")
    expect(page.locator("#apply-suggestion")).to_have_count(0)
    assert "null" not in preview.inner_text()


def test_run_now_and_watch_it_succeed(
    console: Console, make_schedule: Callable[..., Any], hooks: Webhooks
) -> None:
    schedule = make_schedule(unique("run-now"))
    page = console.open(f"#/schedules/{schedule['id']}")
    expect(page.locator("#history + div, #history").first).to_be_visible()
    before = hooks.hits("/ok")
    page.get_by_role("button", name="Run now").click()
    expect(page.locator("#run-status .run-line")).to_have_attribute(
        "data-status", "SUCCEEDED", timeout=30_000
    )
    assert hooks.hits("/ok") == before + 1
    row = page.locator("#history tbody tr").first
    expect(row).to_have_attribute("data-status", "SUCCEEDED")
    expect(row).to_contain_text("run now")
    expect(page.locator("#chart svg rect[data-status=SUCCEEDED]")).to_have_count(1)


def test_a_failing_task_shows_its_error(
    console: Console, make_schedule: Callable[..., Any]
) -> None:
    schedule = make_schedule(unique("failing"), path="/fail")
    page = console.open(f"#/schedules/{schedule['id']}")
    page.get_by_role("button", name="Run now").click()
    expect(page.locator("#run-status .run-line")).to_have_attribute(
        "data-status", "FAILED", timeout=30_000
    )
    row = page.locator("#history tbody tr").first
    expect(row).to_have_attribute("data-status", "FAILED")
    expect(row.locator(".error-text")).to_contain_text("500")
    expect(page.locator("#chart svg rect[data-status=FAILED]")).to_have_count(1)
    console.shot("schedule-failed")
    page = console.open(f"#/schedules?q={schedule['name']}")
    list_row = page.locator("#schedules tbody tr").filter(has_text=schedule["name"])
    expect(list_row).to_contain_text("FAILED")
    expect(list_row).to_contain_text("✗ 1")


def test_pause_with_a_note_then_resume(
    console: Console, stack: Stack, make_schedule: Callable[..., Any]
) -> None:
    schedule = make_schedule(unique("pausable"))
    page = console.open(f"#/schedules/{schedule['id']}")
    page.get_by_role("button", name="Pause").click()
    dialog = page.locator("dialog")
    dialog.get_by_label("Note (optional, shown in the list)").fill("waiting for <b>vendor</b>")
    dialog.get_by_role("button", name="Pause").click()
    expect(page.locator(".definition")).to_contain_text("PAUSED")
    expect(page.locator(".definition")).to_contain_text("Note: waiting for <b>vendor</b>")
    assert api_schedule(stack, schedule["id"])[1]["status"] == "PAUSED"
    page = console.open("#/schedules?status=PAUSED")
    row = page.locator("#schedules tbody tr").filter(has_text=schedule["name"])
    expect(row).to_contain_text("Note: waiting for <b>vendor</b>")
    row.get_by_role("link").click()
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    assert api_schedule(stack, schedule["id"])[1]["status"] == "ACTIVE"


def test_cancelled_pause_changes_nothing(
    console: Console, stack: Stack, make_schedule: Callable[..., Any]
) -> None:
    schedule = make_schedule(unique("cancel"))
    page = console.open(f"#/schedules/{schedule['id']}")
    page.get_by_role("button", name="Pause").click()
    page.locator("dialog").get_by_role("button", name="Cancel").click()
    expect(page.locator("dialog")).to_have_count(0)
    assert api_schedule(stack, schedule["id"])[1]["version"] == schedule["version"]


def test_edit_changes_the_schedule(
    console: Console, stack: Stack, make_schedule: Callable[..., Any]
) -> None:
    schedule = make_schedule(unique("editable"))
    page = console.open(f"#/schedules/{schedule['id']}")
    page.get_by_role("link", name="Edit").click()
    field = page.get_by_label("Schedule", exact=True)
    expect(field).to_have_value("every day at 9am")
    expect(page.locator("#preview")).to_have_attribute("data-state", "ok")
    field.fill("0 18 * * 1-5")
    expect(page.locator("#preview")).to_contain_text("18:00")
    console.shot("edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".definition")).to_contain_text("0 18 * * 1-5")
    saved = api_schedule(stack, schedule["id"])[1]
    assert saved["schedule"] == "0 18 * * 1-5"
    assert saved["version"] == schedule["version"] + 1
    assert saved["timezone"] == "America/New_York"


def test_a_stale_page_cannot_overwrite_a_newer_version(
    console: Console, stack: Stack, make_schedule: Callable[..., Any]
) -> None:
    console.log.allow(409)
    schedule = make_schedule(unique("stale"))
    page = console.open(f"#/schedules/{schedule['id']}")
    status, _ = stack.request(
        "PATCH",
        f"/schedules/{schedule['id']}",
        {"description": "changed elsewhere", "version": schedule["version"]},
        token=None,
    )
    assert status == 200
    page.get_by_role("button", name="Delete").click()
    page.locator("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("#action-status")).to_contain_text("changed this schedule meanwhile")
    assert api_schedule(stack, schedule["id"])[0] == 200
    # Reloaded, the page holds the new version and the delete goes through.
    page.get_by_role("button", name="Reload the schedule").click()
    expect(page.locator(".definition")).to_contain_text("changed elsewhere")
    page.get_by_role("button", name="Delete").click()
    page.locator("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("h1")).to_have_text("Schedules")
    assert api_schedule(stack, schedule["id"])[0] == 404


def test_delete_asks_first(
    console: Console, stack: Stack, make_schedule: Callable[..., Any]
) -> None:
    schedule = make_schedule(unique("deletable"))
    page = console.open(f"#/schedules/{schedule['id']}")
    page.get_by_role("button", name="Delete").click()
    page.locator("dialog").get_by_role("button", name="Cancel").click()
    assert api_schedule(stack, schedule["id"])[0] == 200
    page.get_by_role("button", name="Delete").click()
    page.locator("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("h1")).to_have_text("Schedules")
    expect(page.locator("#flash")).to_contain_text("Deleted")
    assert api_schedule(stack, schedule["id"])[0] == 404
    page.get_by_label("Search by name").fill(schedule["name"])
    expect(page.locator("#list-message")).to_contain_text("No schedule matches")


def test_the_hostile_name_is_only_text(console: Console, make_schedule: Callable[..., Any]) -> None:
    schedule = make_schedule(HOSTILE, description="<script>alert(2)</script>")
    page = console.open(f"#/schedules?q={HOSTILE[:4]}")
    link = page.locator("#schedules a.name").filter(has_text=HOSTILE)
    expect(link).to_have_text(HOSTILE)
    assert page.locator("main img").count() == 0
    link.first.click()
    expect(page.locator("#schedule-name")).to_have_text(HOSTILE)
    expect(page.locator(".definition")).to_contain_text("<script>alert(2)</script>")
    assert page.locator("main img, main script").count() == 0
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Name")).to_have_value(HOSTILE)
    assert page.locator("main img").count() == 0
    assert schedule["name"] == HOSTILE
    # The fixture fails the test on any alert() and on any console error.


def test_served_with_a_strict_content_security_policy(console: Console) -> None:
    page = console.page
    response = page.goto(f"{console.base}/console")
    assert response is not None
    assert response.status == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    # An inline script injected anyway is refused by the browser, not run.
    ran = page.evaluate(
        """() => { window.__ran = false; const s = document.createElement('script');
        s.textContent = 'window.__ran = true'; document.body.append(s); return window.__ran; }"""
    )
    assert ran is False
    refused = [e for e in console.log.errors if "Content Security Policy" in e]
    assert refused, "the browser did not report the refused inline script"
    console.log.errors[:] = [e for e in console.log.errors if e not in refused]


def test_sign_in_as_another_tenant_sees_only_its_schedules(
    console: Console, make_schedule: Callable[..., Any]
) -> None:
    mine = make_schedule(unique("default-tenant"))
    page = console.open("#/signin")
    expect(page.locator("main")).to_contain_text("without a token")
    page.get_by_label("Tenant name or access token").fill("other-team")
    page.get_by_role("button", name="Use this identity").click()
    expect(page.locator("h1")).to_have_text("Schedules")
    expect(page.locator("#identity")).to_have_text("Tenant: other-team")
    page.get_by_label("Search by name").fill(mine["name"])
    expect(page.locator("#list-message")).to_contain_text("No schedule matches")
    assert "other-team" not in page.url
    assert page.evaluate("sessionStorage.getItem('jobsched.token')") == "other-team"
    page = console.open(f"#/schedules/{mine['id']}")
    console.log.allow(404)
    expect(page.locator("main")).to_contain_text("No such schedule")


def test_every_field_has_a_label_and_the_form_works_from_the_keyboard(
    console: Console, hooks: Webhooks, stack: Stack
) -> None:
    page = console.open("#/new")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('main input, main select, main textarea')]
        .filter(el => !el.labels || el.labels.length === 0).map(el => el.id)"""
    )
    assert unlabelled == []
    name = unique("keyboard")
    page.keyboard.type(name)  # the name field has focus when the page opens
    page.keyboard.press("Tab")  # description
    page.keyboard.press("Tab")
    page.keyboard.type("every 15 minutes")
    expect(page.locator("#preview")).to_have_attribute("data-state", "ok")
    page.get_by_label("URL").focus()
    page.keyboard.type(f"{hooks.url}/ok")
    page.keyboard.press("Enter")
    expect(page.locator("#schedule-name")).to_have_text(name)
    _, listed = stack.request("GET", f"/schedules?name_prefix={name}", token=None)
    assert [item["name"] for item in listed["items"]] == [name]


def test_list_pages_load_as_you_scroll(console: Console, stack: Stack, hooks: Webhooks) -> None:
    prefix = unique("page")
    for n in range(30):
        status, body = stack.request(
            "POST",
            "/schedules",
            {
                "name": f"{prefix}-{n:02d}",
                "schedule": "every day at 9am",
                "task": {"type": "http", "url": f"{hooks.url}/ok"},
            },
            token=None,
        )
        assert status == 201, body
    page = console.open(f"#/schedules?q={prefix}")
    rows = page.locator("#schedules tbody tr")
    expect(rows).to_have_count(25)
    page.locator("#load-more").scroll_into_view_if_needed()
    expect(rows).to_have_count(30)
    expect(page.locator("#load-more")).to_be_hidden()
    names = [text.strip() for text in page.locator("#schedules a.name").all_inner_texts()]
    assert names == sorted(names)
    assert len(set(names)) == 30


def test_unknown_page_and_empty_states(console: Console) -> None:
    page = console.open("#/nowhere")
    expect(page.locator("h1")).to_have_text("Not found")
    page = console.open("#/schedules?q=zz-nothing-here")
    expect(page.locator("#list-message")).to_contain_text("No schedule matches these filters")


PAGES = {
    "signin": "#/signin",
    "schedules": "#/schedules",
    "schedule": "#/schedules/{id}",
    "new": "#/new",
    "edit": "#/schedules/{id}/edit",
    "executions": "#/executions",
}


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_screenshots_of_every_page_and_no_sideways_scrolling(
    request: pytest.FixtureRequest,
    width: str,
    stack: Stack,
    make_schedule: Callable[..., Any],
) -> None:
    target: Console = request.getfixturevalue("console" if width == "desktop" else "phone")
    schedule = make_schedule("Daily invoice export", description="Sends yesterday's invoices")
    failing = make_schedule("Partner sync", path="/fail", schedule="every 15 minutes")
    for runs, target_schedule in ((3, schedule), (1, failing)):
        for n in range(runs):
            stack.request("POST", f"/schedules/{target_schedule['id']}/run", token=None)
            wait_for(lambda n=n, s=target_schedule: finished(stack, s["id"]) > n, 30)
    for name, route in PAGES.items():
        page = target.open(route.format(id=schedule["id"]))
        if name == "new":
            page.get_by_label("Name").fill("Weekly digest")
            page.get_by_label("Schedule", exact=True).fill("every monday at 8am")
            expect(page.locator("#preview")).to_have_attribute("data-state", "ok")
        if name == "schedule":
            expect(page.locator("#chart svg")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}"
        assert target.shot(name).stat().st_size > 5_000


def test_executions_page_lists_every_schedule_newest_first_and_refreshes(
    console: Console, stack: Stack, make_schedule: Callable[..., Any]
) -> None:
    good = make_schedule(unique("exec-ok"))
    bad = make_schedule(unique("exec-bad"), path="/fail")
    gone = make_schedule(unique("exec-gone"))
    for n, schedule in enumerate((good, bad, gone)):
        stack.request("POST", f"/schedules/{schedule['id']}/run", token=None)
        assert wait_for(lambda s=schedule: finished(stack, s["id"]) == 1, 30), n
    status, _ = stack.request("DELETE", f"/schedules/{gone['id']}", token=None)
    assert status == 204
    page = console.open("#/executions")
    rows = page.locator("#executions tbody tr")
    expect(rows.filter(has_text=good["name"])).to_have_attribute("data-status", "SUCCEEDED")
    expect(rows.filter(has_text=bad["name"])).to_have_attribute("data-status", "FAILED")
    expect(rows.filter(has_text=f"{gone['id']} (deleted)")).to_have_count(1)
    # Newest first, to the second (execution ids, the index's order, carry seconds).
    times = page.locator("#executions tbody time").evaluate_all(
        "els => els.map(e => e.getAttribute('datetime').slice(0, 19))"
    )
    assert len(times) >= 3
    assert times == sorted(times, reverse=True)
    # Filtered to failures, then a new failure appears without touching the page.
    page.get_by_label("Status").select_option("FAILED")
    expect(rows.filter(has_text=good["name"])).to_have_count(0)
    expect(rows.filter(has_text=bad["name"])).to_have_count(1)
    stack.request("POST", f"/schedules/{bad['id']}/run", token=None)
    expect(rows.filter(has_text=bad["name"])).to_have_count(2, timeout=20_000)
    page.get_by_label("Schedule").select_option(label=good["name"])
    expect(page.locator("#exec-message")).to_contain_text("No execution matches")
