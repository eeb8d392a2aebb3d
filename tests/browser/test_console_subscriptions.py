"""The console's subscriptions page in headless Chromium against the local stack: subscribe
through the form, the API's refusals shown at the field, delete with a confirmation, one
tenant never sees another's, hostile endpoints shown as text, pages, phone width."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import Console
from tests.e2e.conftest import Stack, Webhooks, start_stack

pytestmark = pytest.mark.e2e

# More than a page (25) for one tenant: the default limit is 10 subscriptions.
LIMIT = 40
RLO, LRI, BEL = "\u202e", "\u2066", "\u0007"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    local = start_stack("--parameter-overrides", f"MaxSubscriptionsPerTenant={LIMIT}")
    try:
        yield local
    finally:
        assert local.stop() == 0, local.output()


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


def tenant() -> str:
    return f"console-subs-{uuid.uuid4().hex[:8]}"


def act_as(console: Console, who: str) -> None:
    """Every later load of the page acts as `who` (the local stack reads a non-JWT bearer
    token as the tenant), as after signing in."""
    console.page.add_init_script(
        f"try {{ sessionStorage.setItem('jobsched.token', {json.dumps(who)}); }} catch {{}}"
    )


def subscribe(stack: Stack, who: str, endpoint: str, **filters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"protocol": "http", "endpoint": endpoint}
    if filters:
        body["filter"] = filters
    status, made = stack.request("POST", "/subscriptions", body, token=who)
    assert status == 201, made
    return dict(made)


def listed(stack: Stack, who: str) -> list[dict[str, Any]]:
    status, page = stack.request("GET", "/subscriptions?limit=100", token=who)
    assert status == 200, page
    return list(page["items"])


def make_schedule(stack: Stack, who: str, name: str, hooks: Webhooks) -> dict[str, Any]:
    body = {
        "name": name,
        "schedule": "0 0 1 1 *",
        "task": {"type": "http", "url": f"{hooks.url}/ok"},
    }
    status, created = stack.request("POST", "/schedules", body, token=who)
    assert status == 201, created
    return dict(created)


def test_subscribe_through_the_form_then_it_is_listed(
    console: Console, stack: Stack, hooks: Webhooks
) -> None:
    who = tenant()
    nightly = make_schedule(stack, who, "Nightly export", hooks)
    act_as(console, who)
    page = console.open("#/subscriptions")
    expect(page.locator("h1")).to_have_text("Subscriptions")
    expect(page.locator("[data-nav=subscriptions]")).to_have_attribute("aria-current", "page")
    expect(page.locator("#subs-message")).to_contain_text("No subscriptions yet")
    endpoint = f"{hooks.url}/events/{uuid.uuid4().hex[:6]}"
    page.get_by_label("Protocol").select_option("http")
    page.get_by_label("Endpoint").fill(endpoint)
    page.get_by_label("execution.failed").check()
    page.get_by_label("FAILED", exact=True).check()
    page.get_by_label("Add a schedule by name").select_option(label="Nightly export")
    expect(page.get_by_label("Schedule ids")).to_have_value(nightly["id"])
    page.get_by_role("button", name="Subscribe", exact=True).click()

    row = page.locator("#subscriptions tbody tr").first
    expect(row).to_be_focused()  # focus moves to what was just made
    expect(row.locator(".endpoint")).to_have_text(endpoint)
    expect(row).to_contain_text("Events: execution.failed")
    expect(row).to_contain_text("Statuses: FAILED")
    expect(row.get_by_role("link", name="Nightly export")).to_have_attribute(
        "href", f"#/schedules/{nightly['id']}"
    )
    expect(row).to_have_attribute("data-status", "confirmed")  # the local SNS confirms at once
    expect(page.locator("#subs-message")).to_be_empty()
    # The form is empty again, and the API holds exactly what the form said.
    expect(page.get_by_label("Endpoint")).to_have_value("")
    expect(page.get_by_label("execution.failed")).not_to_be_checked()
    [made] = listed(stack, who)
    assert (made["protocol"], made["endpoint"]) == ("http", endpoint)
    assert made["filter"] == {
        "event_types": ["execution.failed"],
        "schedule_ids": [nightly["id"]],
        "statuses": ["FAILED"],
    }
    # Loaded afresh, the list shows it too.
    page = console.open("#/subscriptions")
    expect(page.locator("#subscriptions tbody tr")).to_have_count(1)
    expect(page.locator(f"#subscriptions tr[data-id='{made['id']}']")).to_contain_text(endpoint)


@pytest.mark.parametrize(
    ("protocol", "endpoint", "code", "field"),
    [
        ("http", "http//missing-colon", "invalid_endpoint", "Endpoint"),
        ("https", "http://hooks.example.com/x", "invalid_endpoint", "Endpoint"),
        ("http", "http://169.254.169.254/latest/meta-data", "forbidden_endpoint", "Endpoint"),
        ("email", "not an address", "invalid_endpoint", "Endpoint"),
        ("http", "", "validation_error", "Endpoint"),
        ("http", "http://127.0.0.1:9/" + "a" * 5_000, "validation_error", "Endpoint"),
    ],
)
def test_a_refused_endpoint_shows_the_apis_error_at_the_field(
    console: Console, stack: Stack, protocol: str, endpoint: str, code: str, field: str
) -> None:
    console.log.allow(422)
    who = tenant()
    act_as(console, who)
    page = console.open("#/subscriptions")
    page.get_by_label("Protocol").select_option(protocol)
    page.get_by_label("Endpoint").fill(endpoint)
    page.get_by_role("button", name="Subscribe", exact=True).click()
    error = page.locator("#sub-error")
    expect(error).to_contain_text(f"code: {code}")
    expect(error).to_have_attribute("role", "alert")
    # Inline: right under the endpoint field, which is marked and has the focus.
    field_box = page.get_by_label(field)
    expect(field_box).to_have_attribute("aria-invalid", "true")
    expect(field_box).to_be_focused()
    assert "sub-error" in (field_box.get_attribute("aria-describedby") or "")
    assert page.evaluate(
        "document.getElementById('sub-endpoint').parentElement.nextElementSibling.id"
        " === '' && document.getElementById('sub-endpoint').parentElement"
        ".nextElementSibling.firstElementChild.id === 'sub-error'"
    )
    if code == "invalid_endpoint" and protocol != "email":
        expect(error).to_contain_text(f"Suggestion: {protocol}://hooks.example.com/")
    if len(endpoint) > 2048:
        expect(error).to_contain_text("endpoint: String should have at most 2048 characters")
    assert listed(stack, who) == []  # a refusal writes nothing
    # Fixed and sent again, the error goes and the field is valid again.
    page.get_by_label("Protocol").select_option("email")
    page.get_by_label("Endpoint").fill("ops@example.com")
    page.get_by_role("button", name="Subscribe", exact=True).click()
    expect(page.locator("#subscriptions tbody tr")).to_have_count(1)
    expect(error).to_have_count(0)
    assert page.get_by_label(field).get_attribute("aria-invalid") is None


def test_a_refused_filter_shows_the_error_at_the_filter(console: Console, stack: Stack) -> None:
    console.log.allow(422)
    who = tenant()
    act_as(console, who)
    page = console.open("#/subscriptions")
    page.get_by_label("Endpoint").fill("ops@example.com")
    page.get_by_label("Protocol").select_option("email")
    page.get_by_label("Schedule ids").fill("sch_nope, <b>x</b>")
    page.get_by_role("button", name="Subscribe", exact=True).click()
    error = page.locator("#sub-error")
    expect(error).to_contain_text("code: validation_error")
    expect(error).to_contain_text("filter.schedule_ids.0")
    expect(page.get_by_label("Schedule ids")).to_be_focused()
    expect(page.get_by_label("Schedule ids")).to_have_attribute("aria-invalid", "true")
    assert page.locator("main b").count() == 0
    assert listed(stack, who) == []


def test_subscribing_the_same_endpoint_twice_says_so(
    console: Console, stack: Stack, hooks: Webhooks
) -> None:
    console.log.allow(409)
    who = tenant()
    first = subscribe(stack, who, f"{hooks.url}/twice")
    act_as(console, who)
    page = console.open("#/subscriptions")
    page.get_by_label("Protocol").select_option("http")
    page.get_by_label("Endpoint").fill(f"{hooks.url}/twice")
    page.get_by_role("button", name="Subscribe", exact=True).click()
    error = page.locator("#sub-error")
    expect(error).to_contain_text("Already subscribed")
    expect(error).to_contain_text("code: subscription_exists")
    expect(error).to_contain_text(f"DELETE /subscriptions/{first['id']}")
    expect(page.get_by_label("Endpoint")).to_be_focused()
    assert [s["id"] for s in listed(stack, who)] == [first["id"]]


def test_delete_asks_first_then_the_row_is_gone_and_focus_stays_in_the_list(
    console: Console, stack: Stack, hooks: Webhooks
) -> None:
    who = tenant()
    one = subscribe(stack, who, f"{hooks.url}/one")
    two = subscribe(stack, who, f"{hooks.url}/two")
    act_as(console, who)
    page = console.open("#/subscriptions")
    rows = page.locator("#subscriptions tbody tr")
    expect(rows).to_have_count(2)
    target = page.locator(f"#subscriptions tr[data-id='{one['id']}']")
    target.get_by_role("button", name="Delete").click()
    dialog = page.locator("dialog")
    expect(dialog).to_contain_text(f"{hooks.url}/one will receive no more events")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")  # cancelled from the keyboard
    expect(dialog).to_have_count(0)
    assert len(listed(stack, who)) == 2
    target.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(target).to_have_count(0)
    expect(page.locator("#flash")).to_contain_text("Subscription deleted")
    other = page.locator(f"#subscriptions tr[data-id='{two['id']}']")
    expect(other.get_by_role("button", name="Delete")).to_be_focused()
    assert [s["id"] for s in listed(stack, who)] == [two["id"]]
    status, _ = stack.request("GET", f"/subscriptions/{one['id']}", token=who)
    assert status == 404
    # The last one: the empty state, and focus on the list's heading.
    other.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(rows).to_have_count(0)
    expect(page.locator("#subs-message")).to_contain_text("No subscriptions yet")
    expect(page.locator("#subs-title")).to_be_focused()
    assert listed(stack, who) == []
    page = console.open("#/subscriptions")
    expect(page.locator("#subscriptions tbody tr")).to_have_count(0)


def test_a_subscription_deleted_elsewhere_just_goes(
    console: Console, stack: Stack, hooks: Webhooks
) -> None:
    console.log.allow(404)
    who = tenant()
    gone = subscribe(stack, who, f"{hooks.url}/elsewhere")
    act_as(console, who)
    page = console.open("#/subscriptions")
    status, _ = stack.request("DELETE", f"/subscriptions/{gone['id']}", token=who)
    assert status == 204
    page.get_by_role("button", name="Delete").click()
    page.locator("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("#subscriptions tbody tr")).to_have_count(0)
    expect(page.locator("#subs-message")).to_contain_text("No subscriptions yet")


def test_another_tenants_subscriptions_are_never_shown(
    console: Console, stack: Stack, hooks: Webhooks
) -> None:
    alice, bob = tenant(), tenant()
    theirs = subscribe(stack, alice, f"{hooks.url}/alice-only")
    mine = subscribe(stack, bob, f"{hooks.url}/bob-only")
    act_as(console, bob)
    page = console.open("#/subscriptions")
    rows = page.locator("#subscriptions tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-id", mine["id"])
    assert "alice-only" not in page.locator("main").inner_text()
    assert page.locator(f"tr[data-id='{theirs['id']}']").count() == 0
    # Through the sign-in page as alice: only alice's.
    page = console.open("#/signin")
    page.get_by_label("Tenant name or access token").fill(alice)
    page.get_by_role("button", name="Use this identity").click()
    expect(page.locator("h1")).to_have_text("Schedules")
    page.get_by_role("link", name="Subscriptions").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-id", theirs["id"])
    assert "bob-only" not in page.locator("main").inner_text()


def test_hostile_endpoints_are_shown_as_text(
    console: Console, stack: Stack, hooks: Webhooks
) -> None:
    who = tenant()
    act_as(console, who)
    # Script tags in a URL the API accepts, typed into the form.
    hostile = f"{hooks.url}/<script>alert(1)</script><img/src=x/onerror=alert(2)>?gpj.exe"
    page = console.open("#/subscriptions")
    page.get_by_label("Protocol").select_option("http")
    page.get_by_label("Endpoint").fill(hostile)
    page.get_by_role("button", name="Subscribe", exact=True).click()
    cell = page.locator("#subscriptions tbody tr .endpoint").first
    expect(cell).to_have_text(hostile, use_inner_text=True)
    assert page.locator("main img, main script").count() == 0
    # The longest endpoint the API takes is cut in the list, whole on demand, no overflow.
    longest = f"{hooks.url}/" + "x" * (2048 - len(hooks.url) - 1)
    subscribe(stack, who, longest)
    page = console.open("#/subscriptions")
    long_row = page.locator("#subscriptions tbody tr").filter(has_text="All 2048 characters")
    expect(long_row).to_have_count(1)
    long_row.get_by_text("All 2048 characters").click()
    expect(long_row.locator("details .endpoint")).to_have_text(longest)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    # What the API refuses (control, bidi and zero-width characters) but an answer might
    # hold anyway: each is shown as a mark, never as the character, and every status as
    # words.
    odd = {
        "id": "sub_" + "0" * 24,
        "protocol": "https",
        "endpoint": f"https://evil.example/{BEL}\u0000\u001b[31m<b>red</b>\u200b?{RLO}gpj.exe{LRI}",
        "filter": {"event_types": None, "schedule_ids": ["sch_" + "z" * 20], "statuses": None},
        "status": "pending_confirmation",
        "created_at": "2026-11-30T09:40:00Z",
        "topic_arn": "arn:aws:sns:us-east-1:123456789012:t",
    }
    expired = {
        **odd,
        "id": "sub_" + "1" * 24,
        "protocol": "email",
        "endpoint": "ops@example.com",
        "status": "expired",
    }
    page.route(
        re.compile(r"/subscriptions\?"),
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"items": [odd, expired], "next_cursor": None}),
        ),
    )
    page = console.open("#/subscriptions")
    row = page.locator(f"tr[data-id='{odd['id']}']")
    expect(row.locator(".endpoint")).to_have_text(
        "https://evil.example/⟨U+0007⟩⟨U+0000⟩⟨U+001B⟩[31m<b>red</b>⟨U+200B⟩?⟨U+202E⟩gpj.exe⟨U+2066⟩"
    )
    assert RLO not in page.locator("main").inner_text()
    expect(row).to_contain_text("pending confirmation")
    expect(row).to_contain_text("Nothing is delivered until the endpoint confirms")
    expect(row).to_contain_text(f"sch_{'z' * 20} (no such schedule)")
    expect(page.locator(f"tr[data-id='{expired['id']}']")).to_contain_text(
        "delete it and subscribe"
    )
    assert page.locator("main b").count() == 0
    console.shot("subscriptions-statuses")


def test_pages_load_as_you_scroll(console: Console, stack: Stack, hooks: Webhooks) -> None:
    who = tenant()
    made = {subscribe(stack, who, f"{hooks.url}/page/{n:02d}")["id"] for n in range(30)}
    act_as(console, who)
    page = console.open("#/subscriptions")
    rows = page.locator("#subscriptions tbody tr")
    expect(rows).to_have_count(25)
    page.locator("#subs-more").scroll_into_view_if_needed()
    expect(rows).to_have_count(30)
    expect(page.locator("#subs-more")).to_be_hidden()
    ids = rows.evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert set(ids) == made
    assert len(ids) == 30


def test_labels_and_the_keyboard(console: Console, stack: Stack, hooks: Webhooks) -> None:
    who = tenant()
    act_as(console, who)
    page = console.open("#/subscriptions")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('main input, main select, main textarea')]
        .filter(el => !el.labels || el.labels.length === 0).map(el => el.id)"""
    )
    assert unlabelled == []
    groups = page.locator("main fieldset")
    assert groups.count() == 3
    for n in range(3):
        assert groups.nth(n).locator("legend").inner_text().strip()
    # The empty state's button and the title's both take you to the form.
    page.get_by_role("button", name="Subscribe an endpoint").click()
    expect(page.get_by_label("Protocol")).to_be_focused()
    page.keyboard.press("ArrowDown")  # https -> http
    expect(page.get_by_label("Protocol")).to_have_value("http")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Endpoint")).to_be_focused()
    page.keyboard.type(f"{hooks.url}/keyboard")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the first event type
    expect(page.get_by_label("schedule.created")).to_be_checked()
    page.get_by_label("Endpoint").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#subscriptions tbody tr")).to_have_count(1)
    [made] = listed(stack, who)
    assert made["filter"]["event_types"] == ["schedule.created"]


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_screenshots_and_no_sideways_scrolling(
    request: pytest.FixtureRequest, width: str, stack: Stack, hooks: Webhooks
) -> None:
    target: Console = request.getfixturevalue("console" if width == "desktop" else "phone")
    target.log.allow(422)
    who = tenant()
    sync = make_schedule(stack, who, "Partner sync", hooks)
    subscribe(stack, who, f"{hooks.url}/jobs/failures", event_types=["execution.failed"])
    subscribe(
        stack,
        who,
        f"{hooks.url}/ops/partner-sync",
        event_types=["execution.failed", "schedule.auto_paused"],
        schedule_ids=[sync["id"]],
    )
    act_as(target, who)
    page = target.open("#/subscriptions")
    expect(page.locator("#subscriptions tbody tr")).to_have_count(2)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"subscriptions scrolls sideways by {overflow}px at {width}"
    assert target.shot("subscriptions").stat().st_size > 5_000
    page.get_by_label("Endpoint").fill("http//missing-colon")
    page.get_by_role("button", name="Subscribe", exact=True).click()
    expect(page.locator("#sub-error")).to_contain_text("invalid_endpoint")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the error scrolls sideways by {overflow}px at {width}"
    assert target.shot("subscriptions-error").stat().st_size > 5_000


def test_a_control_character_in_the_endpoint_is_refused_at_the_field(
    console: Console, stack: Stack, hooks: Webhooks
) -> None:
    console.log.allow(422)
    who = tenant()
    act_as(console, who)
    page = console.open("#/subscriptions")
    page.get_by_label("Protocol").select_option("http")
    page.get_by_label("Endpoint").fill(f"{hooks.url}/bell{BEL}")
    page.get_by_role("button", name="Subscribe", exact=True).click()
    error = page.locator("#sub-error")
    expect(error).to_contain_text("code: ")
    # The API refuses it before writing: the page says so at the field and adds no row.
    expect(page.locator("#subscriptions tbody tr")).to_have_count(0)
    expect(error).to_contain_text("code: invalid_endpoint")
    assert listed(stack, who) == []
