"""Requests in parallel (as a browser sends them) each see their own identity: the local
HTTP API hands the API function one event at a time, as one Lambda environment does."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def test_parallel_requests_never_see_each_others_identity_or_route(local_stack: Stack) -> None:
    body = {
        "name": "only-alice",
        "schedule": "every day at 9am",
        "task": {"type": "http", "url": "https://example.com/hook"},
    }
    assert local_stack.request("POST", "/schedules", body, token="alice")[0] == 201

    def call(n: int) -> tuple[str, int, int]:
        if n % 3 == 2:  # a public route in between: no authorizer in its event
            status, answer = local_stack.request("GET", "/console/config.json", token=None)
            return "public", status, 0 if answer == {"cognito": None} else -1
        who = "alice" if n % 3 == 0 else "bob"
        status, answer = local_stack.request("GET", "/schedules?limit=5", token=who)
        return who, status, len(answer["items"]) if status == 200 else -1

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(call, range(300)))
    expected = {"alice": (200, 1), "bob": (200, 0), "public": (200, 0)}
    wrong = [r for r in results if (r[1], r[2]) != expected[r[0]]]
    assert wrong == []
