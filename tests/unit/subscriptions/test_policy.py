"""Pure parts of subscriptions: the filter policy can only narrow the tenant, ids are
stable, and the CloudEvents source is a URI reference for any tenant."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from jobscheduler.logic.subscriptions import filter_policy, subscription_id
from jobscheduler.models.events import event_source
from jobscheduler.models.subscriptions import (
    EVENT_STATUSES,
    EVENT_TYPES,
    SUBSCRIPTION_ID_PATTERN,
    Protocol,
    SubscriptionCreate,
    SubscriptionFilter,
)

tenants = st.text(
    alphabet=st.characters(blacklist_characters="#", blacklist_categories=("Cc", "Cs")),
    min_size=1,
    max_size=256,
)


@given(tenants)
def test_the_source_is_a_uri_reference_whose_last_segment_is_the_tenant(tenant: str) -> None:
    source = event_source(tenant)
    # RFC 3986 path-absolute: segments of unreserved characters and %HH escapes only.
    assert re.fullmatch(r"(/(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})+)+", source), source
    prefix, segment = source.rsplit("/", 1)
    assert prefix == "/jobscheduler/tenants"
    assert unquote(segment) == tenant


@given(tenants, st.lists(st.sampled_from(EVENT_TYPES), max_size=3))
def test_the_policy_always_names_the_tenant_first_and_only_narrows(
    tenant: str, types: list[str]
) -> None:
    wanted = SubscriptionFilter.model_validate({"event_types": types or None})
    policy = filter_policy(tenant, wanted)
    assert next(iter(policy)) == "tenant"
    assert policy["tenant"] == [tenant]
    assert set(policy) <= {"tenant", "type", "schedule_id", "status"}
    # Only plain strings: no operator object can reach SNS.
    assert all(isinstance(v, str) for values in policy.values() for v in values)
    assert json.loads(json.dumps(policy)) == policy


@pytest.mark.parametrize(
    "hostile",
    [
        {"tenant": ["other"]},
        {"event_types": [{"prefix": ""}]},
        {"statuses": [{"anything-but": ["x"]}]},
        {"schedule_ids": [{"exists": True}]},
        {"schedule_ids": ["sch_" + "a" * 20, "*"]},
        {"event_types": ["com.jobscheduler.execution.failed"]},
        {"statuses": ["succeeded"]},
        {"event_types": []},
    ],
)
def test_a_filter_accepts_only_the_closed_vocabulary(hostile: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SubscriptionFilter.model_validate(hostile)


def test_lists_are_deduplicated_and_sorted() -> None:
    wanted = SubscriptionFilter.model_validate(
        {"statuses": ["FAILED", "SUCCEEDED", "FAILED"], "event_types": ["execution.failed"] * 3}
    )
    assert wanted.statuses == ["FAILED", "SUCCEEDED"]
    assert wanted.event_types == ["execution.failed"]


def test_every_status_and_type_is_known() -> None:
    assert "TIMED_OUT" in EVENT_STATUSES
    assert "PENDING" not in EVENT_STATUSES  # never published
    assert len(EVENT_TYPES) == 13  # with schedule.missed, .auto_paused and .repaired


def test_ids_are_stable_per_tenant_protocol_and_endpoint() -> None:
    one = subscription_id("a", Protocol.HTTPS, "https://x.example/h")
    assert re.match(SUBSCRIPTION_ID_PATTERN, one)
    assert one == subscription_id("a", Protocol.HTTPS, "https://x.example/h")
    assert one != subscription_id("b", Protocol.HTTPS, "https://x.example/h")
    assert one != subscription_id("a", Protocol.HTTP, "https://x.example/h")
    assert one != subscription_id("a", Protocol.HTTPS, "https://x.example/h2")


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        SubscriptionCreate.model_validate(
            {"protocol": "https", "endpoint": "https://x.example", "filter_policy": {}}
        )
