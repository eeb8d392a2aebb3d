"""HTTP task rules, Retry-After parsing and own-resource refusal, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter

from jobscheduler.errors import ValidationFailed
from jobscheduler.logic import http_rules
from jobscheduler.logic.runner import retry_after_seconds
from jobscheduler.logic.task_policy import OwnResources, check_task, own_resource_reason
from jobscheduler.models.tasks import SequenceTask, Task
from jobscheduler.settings import Settings

NOW = datetime(2015, 10, 21, 7, 27, 0, tzinfo=UTC)
TASK = TypeAdapter(Task)


# ------------------------------------------------------------------ Retry-After


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("0", 0.0),
        (" 12\t", 12.0),
        ("120", 120.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 60.0),  # IMF-fixdate
        ("Wednesday, 21-Oct-15 07:28:00 GMT", 60.0),  # obsolete RFC 850
        ("Wed Oct 21 07:28:00 2015", 60.0),  # obsolete asctime
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),  # in the past: retry now
    ],
)
def test_retry_after_rfc_9110_forms(value: str, expected: float) -> None:
    assert retry_after_seconds(value, NOW) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "\xb2",  # superscript two: str.isdigit() says yes
        "\u0663",  # Arabic-Indic three
        "\uff15",  # fullwidth five
        "1.5",
        "-1",
        "+5",
        "0x10",
        "5 seconds",
        "soon",
        "Wed, 31 Feb 2015 07:28:00 GMT",  # no such day
        "Wed, 21 Oct 99999 07:28:00 GMT",  # no such year for datetime
        "Wed, 21 Oct 2015 25:61:00 GMT",
        "\x00",
        "1\r\n2",
    ],
)
def test_retry_after_anything_else_is_ignored(value: str | None) -> None:
    assert retry_after_seconds(value, NOW) is None


def test_retry_after_huge_delay_is_a_number_the_caller_caps() -> None:
    assert retry_after_seconds("9" * 5000, NOW) == float("inf")


# ------------------------------------------------------------------ header rules


@pytest.mark.parametrize(
    "name",
    [
        "Host",
        "host",
        "Content-Length",
        "Transfer-Encoding",
        "Connection",
        "Upgrade",
        "TE",
        "Trailer",
        "Keep-Alive",
        "Proxy-Authorization",
        "Proxy-Connection",
        "webhook-id",
        "Webhook-Signature",
        "WEBHOOK-TIMESTAMP",
    ],
)
def test_client_owned_headers_are_refused(name: str) -> None:
    [problem] = http_rules.header_problems({name: "x"})
    assert problem.loc == ("headers", name)
    assert "reserved" in problem.msg


@pytest.mark.parametrize(
    "name", ["", "X Y", "X:Y", "X\r\nY", "\u00c4pfel", "X(Y)", "X/Y", "x" * 257, '"q"']
)
def test_header_names_must_be_tokens(name: str) -> None:
    [problem] = http_rules.header_problems({name: "x"})
    assert "token" in problem.msg


@pytest.mark.parametrize(
    "value",
    ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b", "\x7f", "\x1b[31m", "\u20ac", "x" * 8193],
)
def test_header_values_without_cr_lf_nul_or_controls(value: str) -> None:
    [problem] = http_rules.header_problems({"X-Note": value})
    assert problem.loc == ("headers", "X-Note")
    assert "CR, LF, NUL" in problem.msg


def test_acceptable_headers() -> None:
    headers = {
        "Authorization": "Bearer abc.def",
        "X-Api-Key": "k" * 8192,
        "X-Tabbed": "a\tb",
        "X-Latin": "caf\u00e9",  # obs-text
        "User-Agent": "mine/1",
        "Content-Type": "application/json",
        "X-Empty": "",
        "!#$%&'*+-.^_`|~": "token characters",
    }
    assert http_rules.header_problems(headers) == []


def test_duplicate_names_and_too_many_headers() -> None:
    [problem] = http_rules.header_problems({"X-A": "1", "x-a": "2"})
    assert "repeats" in problem.msg
    many = {f"X-{i}": "v" for i in range(http_rules.MAX_HEADERS + 1)}
    assert [p.loc for p in http_rules.header_problems(many)] == [("headers",)]


# ------------------------------------------------------------------ URL rules


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://[ff02::1]/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://localhost:8080/",
        "http://api.localhost/",
    ],
)
def test_literal_addresses_the_guard_refuses(url: str) -> None:
    [problem] = http_rules.url_problems(url, allow_loopback=False)
    assert problem.loc == ("url",)


def test_loopback_passes_only_where_allowed() -> None:
    assert http_rules.url_problems("http://127.0.0.1:8080/", allow_loopback=True) == []
    assert http_rules.url_problems("http://localhost:8080/", allow_loopback=True) == []
    # Private stays private when loopback is allowed.
    assert http_rules.url_problems("http://10.0.0.1/", allow_loopback=True)


@pytest.mark.parametrize(
    "url", ["https://user:pass@example.com/", "https://user@example.com/", "https://:p@x.org/"]
)
def test_userinfo_is_refused(url: str) -> None:
    [problem] = http_rules.url_problems(url, allow_loopback=False)
    assert "credentials" in problem.msg


@pytest.mark.parametrize(
    "url", ["https://example.com/hook", "http://93.184.216.34/", "https://[2606:4700::1111]/"]
)
def test_public_urls_pass(url: str) -> None:
    assert http_rules.url_problems(url, allow_loopback=False) == []


# ------------------------------------------------------------------ own resources

STACK = "jobs"
SETTINGS = Settings(
    table_name=f"{STACK}-Table",
    topic_arn=f"arn:aws:sns:us-east-1:123456789012:{STACK}-events",
    dlq_arn=f"arn:aws:sqs:us-east-1:123456789012:{STACK}-dlq",
    own_functions=f"ApiFunction,ExecutorFunction,{STACK}-api,{STACK}-executor",
    alarm_topics=(
        f"arn:aws:sns:us-east-1:123456789012:{STACK}-alarms,"
        "arn:aws:sns:us-east-1:123456789012:ops-chat"
    ),
)
FN = "arn:aws:lambda:us-east-1:123456789012:function"
OWN_TASKS: list[dict[str, Any]] = [
    *(
        {"type": "lambda", "function": spelling}
        for spelling in (
            f"{STACK}-api",
            f"{STACK}-executor",
            f"{FN}:{STACK}-api",
            f"{FN}:{STACK}-api:$LATEST",
            f"{FN}:{STACK}-executor:7",
            f"{FN}:{STACK}-executor:live",  # alias ARN
            f"123456789012:function:{STACK}-api",  # partial ARN
            f"function:{STACK}-api",
            f"{STACK}-api:live",
            "ApiFunction",
            "ExecutorFunction",
            "executorfunction",
            f"{STACK.upper()}-API",
            f"arn:aws:lambda:eu-west-1:999999999999:function:{STACK}-api",
        )
    ),
    {"type": "sns", "topic_arn": SETTINGS.topic_arn, "message": "forged"},
    {
        "type": "sns",
        "topic_arn": f"arn:aws:sns:us-east-1:123456789012:{STACK}-alarms",
        "message": 1,
    },
    {"type": "sns", "topic_arn": "arn:aws:sns:us-east-1:123456789012:ops-chat", "message": 1},
    {
        "type": "sqs",
        "queue_url": f"https://sqs.us-east-1.amazonaws.com/123456789012/{STACK}-dlq",
        "message": 1,
    },
    {
        "type": "sqs",
        "queue_url": f"https://sqs.us-east-1.amazonaws.com/123456789012/{STACK}-dlq/",
        "message": 1,
    },
    {"type": "sqs", "queue_url": f"http://localhost:4566/000000000000/{STACK}-dlq", "message": 1},
    {
        "type": "sqs",
        "queue_url": f"https://queue.amazonaws.com/123456789012/{STACK}-d%6Cq",
        "message": 1,
    },
    {
        "type": "eventbridge",
        "event_bus": f"arn:aws:dynamodb:us-east-1:123456789012:table/{STACK}-Table",
        "source": "x",
        "detail_type": "y",
    },
    {"type": "eventbridge", "event_bus": f"{STACK}-events", "source": "x", "detail_type": "y"},
]


@pytest.mark.parametrize("task", OWN_TASKS)
def test_every_spelling_of_an_own_resource_is_refused(task: dict[str, Any]) -> None:
    leaf = TASK.validate_python(task)
    assert not isinstance(leaf, SequenceTask)
    assert own_resource_reason(leaf, OwnResources.of(SETTINGS)) is not None
    with pytest.raises(ValidationFailed) as caught:
        check_task(leaf, SETTINGS)
    assert caught.value.code == "forbidden_target"
    [detail] = caught.value.details
    assert detail["loc"][:2] == ["body", "task"]


@pytest.mark.parametrize(
    "task",
    [
        {"type": "lambda", "function": f"{STACK}-api-consumer"},
        {"type": "lambda", "function": f"{FN}:reports"},
        {"type": "sns", "topic_arn": "arn:aws:sns:us-east-1:123456789012:orders", "message": 1},
        {"type": "sqs", "queue_url": "https://sqs.us-east-1.amazonaws.com/1/orders", "message": 1},
        {"type": "eventbridge", "source": "app.orders", "detail_type": "tick"},
        {"type": "http", "url": "https://example.com/hook", "headers": {"X-Api-Key": "k"}},
    ],
)
def test_other_targets_pass(task: dict[str, Any]) -> None:
    check_task(TASK.validate_python(task), SETTINGS)


def test_a_sequence_reports_the_step_and_every_http_problem() -> None:
    task = TASK.validate_python(
        {
            "type": "sequence",
            "steps": [
                {"id": "fine", "task": {"type": "http", "url": "https://example.com/"}},
                {
                    "id": "bad",
                    "task": {
                        "type": "http",
                        "url": "https://u:p@10.0.0.1/",
                        "headers": {"Host": "internal", "X-Ok": "1", "X-Bad": "a\r\nb"},
                    },
                },
            ],
        }
    )
    with pytest.raises(ValidationFailed) as caught:
        check_task(task, SETTINGS)
    assert caught.value.code == "validation_error"
    locs = [d["loc"] for d in caught.value.details]
    prefix = ["body", "task", "steps", 1, "task"]
    assert locs == [
        [*prefix, "url"],
        [*prefix, "url"],
        [*prefix, "headers", "Host"],
        [*prefix, "headers", "X-Bad"],
    ]


def test_without_settings_nothing_is_own() -> None:
    """The empty defaults name no resource: nothing is refused by accident."""
    own = OwnResources.of(Settings())
    assert own.every == {"job-scheduler"}  # the default table name only
    check_task(TASK.validate_python({"type": "lambda", "function": "anything"}), Settings())


def test_error_text_is_bounded_and_storable() -> None:
    from jobscheduler.logic.runner import describe_error

    text = describe_error(RuntimeError("bad \udc80 byte " + "x" * 5000))
    assert text.startswith("RuntimeError: bad ")
    assert len(text) <= 503
    text.encode("utf-8")  # a lone surrogate would make DynamoDB's serializer raise
