"""HTTP tasks are checked at create and update: 422 naming the field, nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api.conftest import Api, all_items, create_body, entries

HOOK = "https://example.com/hook"

BAD_HEADERS: list[tuple[str, str]] = [
    ("Host", "internal.example"),
    ("Content-Length", "0"),
    ("Transfer-Encoding", "chunked"),
    ("Connection", "close"),
    ("Upgrade", "h2c"),
    ("TE", "trailers"),
    ("Trailer", "X-Sig"),
    ("Keep-Alive", "timeout=5"),
    ("Proxy-Authorization", "Basic eDp5"),
    ("webhook-id", "forged"),
    ("webhook-signature", "v1,forged"),
    ("Webhook-Timestamp", "0"),
    ("", "empty name"),
    ("X Y", "space in the name"),
    ("X:Y", "colon in the name"),
    ("X-Note", "a\r\nX-Injected: 1"),
    ("X-Note", "a\nb"),
    ("X-Note", "a\rb"),
    ("X-Note", "a\x00b"),
    ("X-Note", "\u20ac"),
]


@pytest.mark.parametrize(("name", "value"), BAD_HEADERS)
def test_create_refuses_bad_headers(api: Api, name: str, value: str) -> None:
    before = all_items()
    task = {"type": "http", "url": HOOK, "headers": {"X-Fine": "1", name: value}}
    result = api.request("create", body=create_body(task=task))
    assert result.status == 422, result.text
    assert result.error_code == "validation_error"
    locs = [d["loc"] for d in result.json["error"]["details"]]
    assert ["body", "task", "headers", name] in locs, locs
    assert all_items() == before
    assert entries() == {}


BAD_URLS = [
    "https://user:secret@example.com/hook",
    "https://user@example.com/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://172.20.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.100.100.200/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://239.1.1.1/",
    "http://[ff05::2]/",
    "http://0.0.0.0:8080/",
    "http://[::]/",
    "http://127.0.0.1:8080/",
    "http://[::1]/",
    "http://2130706433/",  # 127.0.0.1 spelled as a number
    "http://[::ffff:192.168.0.1]/",
    "http://localhost/",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_create_refuses_credentials_and_literal_addresses_the_guard_refuses(
    api: Api, url: str
) -> None:
    before = all_items()
    result = api.request("create", body=create_body(task={"type": "http", "url": url}))
    assert result.status == 422, result.text
    locs = [d["loc"] for d in result.json["error"]["details"]]
    assert ["body", "task", "url"] in locs, locs
    assert all_items() == before


def test_public_literal_addresses_and_names_are_accepted(api: Api) -> None:
    for url in ("http://93.184.216.34/", "https://[2606:4700:4700::1111]/", "https://a.example/"):
        task = {"type": "http", "url": url, "headers": {"Authorization": "Bearer t"}}
        assert api.request("create", body=create_body(task=task)).status == 201, url


def test_a_sequence_step_is_checked_with_its_location(api: Api) -> None:
    task = {
        "type": "sequence",
        "steps": [
            {"id": "one", "task": {"type": "http", "url": HOOK}},
            {"id": "two", "task": {"type": "http", "url": HOOK, "headers": {"Host": "x"}}},
        ],
    }
    result = api.request("create", body=create_body(task=task))
    assert result.status == 422
    [detail] = result.json["error"]["details"]
    assert detail["loc"] == ["body", "task", "steps", 1, "task", "headers", "Host"]


@pytest.mark.parametrize(
    "task",
    [
        {"type": "http", "url": HOOK, "headers": {"Content-Length": "5"}},
        {"type": "http", "url": HOOK, "headers": {"X-A": "a\r\nb"}},
        {"type": "http", "url": "http://10.0.0.1/"},
        {"type": "http", "url": "https://u:p@example.com/"},
    ],
)
def test_update_refuses_and_changes_nothing(api: Api, task: dict[str, Any]) -> None:
    created = api.create(task={"type": "http", "url": HOOK})
    path = f"/schedules/{created['id']}"
    before = all_items()
    result = api.request(
        "update", path=path, body={"task": task}, headers={"if-match": str(created["version"])}
    )
    assert result.status == 422, result.text
    assert result.json["error"]["details"][0]["loc"][:2] == ["body", "task"]
    assert all_items() == before
    after = api.request("get", path=path).json
    assert after["task"] == created["task"]
