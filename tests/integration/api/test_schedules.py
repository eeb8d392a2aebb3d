"""Every schedule route through the handler, asserting DynamoDB, Scheduler and SNS."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from tests.integration.api.conftest import (
    OTHER_TENANT,
    TENANT,
    Api,
    EventQueue,
    all_items,
    assert_consistent,
    entries,
    group_name,
    quota,
    schedule_item,
)

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def test_create_writes_item_entry_and_event(api: Api, sns_events: EventQueue) -> None:
    result = api.request("create")

    assert result.status == 201, result.text
    body = result.json
    sid = body["id"]
    assert re.fullmatch(r"sch_[0-9a-z]{20}", sid)
    assert result.headers["location"] == f"/schedules/{sid}"
    assert body["status"] == "ACTIVE"
    assert body["kind"] == "recurring"
    assert body["schedule"] == "0 9 * * MON-FRI"
    assert body["expressions"] == ["cron(0 9 ? * MON-FRI *)"]
    assert body["timezone"] == "Europe/Paris"
    assert body["version"] == 1
    assert body["total_runs"] == 0
    assert body["failed_runs"] == 0
    assert body["last_run_at"] is None
    assert "tenant" not in body
    for stamp in ("next_run_at", "created_at", "updated_at"):
        assert ISO_WITH_OFFSET.match(body[stamp]), body[stamp]
    next_run = datetime.fromisoformat(body["next_run_at"])
    assert next_run > datetime.now(UTC)
    # 09:00 in Paris is 08:00 UTC in winter / 07:00 in summer.
    assert next_run.astimezone(UTC).hour in (7, 8)

    item = schedule_item(sid)
    assert item is not None
    assert item["status"] == "ACTIVE"
    assert item["version"] == 1
    assert item["tenant"] == TENANT
    assert item["GSI1PK"] == f"TENANT#{TENANT}#LIVE"
    assert item["GSI1SK"] == f"nightly-report#{sid}"
    assert item["task"]["url"] == "https://hooks.example.com/reports/nightly"
    assert quota() == 1

    entry = entries()[f"{sid}-0"]
    assert entry["ScheduleExpression"] == "cron(0 9 ? * MON-FRI *)"
    assert entry["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert entry["State"] == "ENABLED"
    assert entry["ActionAfterCompletion"] == "NONE"
    assert entry["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5}
    target = entry["Target"]
    assert target["Arn"].endswith(":function:job-scheduler-local-executor") or target[
        "Arn"
    ].startswith("arn:aws:lambda:")
    assert target["RoleArn"].startswith("arn:aws:iam::123456789012:role/")
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}
    assert target["DeadLetterConfig"]["Arn"].startswith("arn:aws:sqs:")
    assert json.loads(target["Input"]) == {
        "tenant": TENANT,
        "schedule_id": sid,
        "trigger": "schedule",
        "scheduled_time": "<aws.scheduler.scheduled-time>",
        "scheduler_execution_id": "<aws.scheduler.execution-id>",
        "attempt_number": "<aws.scheduler.attempt-number>",
        "part": 0,
    }
    assert_consistent(sid)

    (event, attributes), *rest = sns_events.read()
    assert rest == []
    assert attributes == {
        "event_type": "schedule.created",
        "tenant": TENANT,
        "schedule_id": sid,
        "status": "ACTIVE",
        "task_type": "http",
    }
    assert event["specversion"] == "1.0"
    assert event["type"] == "com.jobscheduler.schedule.created"
    assert event["subject"] == sid
    assert event["data"]["schedule"]["id"] == sid
    assert "task" not in event["data"]["schedule"]  # task headers may carry credentials


def test_create_one_off_deletes_itself_after_completion(api: Api) -> None:
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0, second=0)
    body = api.create(schedule=when.strftime("%Y-%m-%dT%H:%M:%S"), timezone="UTC")

    assert body["kind"] == "one_time"
    assert body["expressions"] == [f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})"]
    assert datetime.fromisoformat(body["next_run_at"]) == when
    entry = entries()[f"{body['id']}-0"]
    assert entry["ActionAfterCompletion"] == "DELETE"
    assert entry["FlexibleTimeWindow"]["Mode"] == "FLEXIBLE"


def test_create_without_flexible_window_and_with_start_end(api: Api) -> None:
    start = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    end = start + timedelta(days=30)
    body = api.create(
        flexible_window_minutes=0,
        start_at=start.isoformat(),
        end_at=end.isoformat(),
        retry={"scheduler_max_retries": 0, "scheduler_max_event_age_seconds": 60},
    )

    entry = entries()[f"{body['id']}-0"]
    assert entry["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert entry["StartDate"] == start
    assert entry["EndDate"] == end
    assert entry["Target"]["RetryPolicy"] == {
        "MaximumRetryAttempts": 0,
        "MaximumEventAgeInSeconds": 60,
    }
    assert datetime.fromisoformat(body["next_run_at"]) >= start


def test_unix_cron_with_both_day_fields_gets_two_entries(api: Api) -> None:
    body = api.create(schedule="0 9 1 * MON", timezone="UTC")

    assert len(body["expressions"]) == 2
    sid = body["id"]
    found = entries()
    assert {f"{sid}-0", f"{sid}-1"} <= set(found)
    assert json.loads(found[f"{sid}-1"]["Target"]["Input"])["part"] == 1
    assert_consistent(sid)


def test_get_returns_the_schedule_and_hides_other_tenants(api: Api) -> None:
    created = api.create()
    sid = created["id"]

    mine = api.request("get", path=f"/schedules/{sid}")
    assert mine.status == 200
    assert mine.json == created

    theirs = api.request("get", path=f"/schedules/{sid}", tenant=OTHER_TENANT)
    assert theirs.status == 404
    assert theirs.error_code == "not_found"


def test_iam_principal_is_a_tenant(api: Api) -> None:
    iam = {
        "iam": {
            "accountId": "123456789012",
            "callerId": "AIDAEXAMPLE",
            "userArn": "arn:aws:iam::123456789012:user/reporting",
            "userId": "AIDAEXAMPLE",
        }
    }
    result = api.request("create", authorizer=iam)
    assert result.status == 201, result.text
    sid = result.json["id"]
    assert schedule_item(sid, "arn:aws:iam::123456789012:user/reporting") is not None
    # The JWT tenant of the samples does not see it.
    assert api.request("get", path=f"/schedules/{sid}").status == 404
    assert api.request("get", path=f"/schedules/{sid}", authorizer=iam).status == 200


def _names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["items"]]


def test_list_pages_with_an_opaque_cursor(api: Api) -> None:
    for name in ("delta", "alpha", "echo", "charlie", "bravo"):
        api.create(name=name)
    api.create(OTHER_TENANT, name="zulu-other")

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        result = api.request("list", query=query)
        assert result.status == 200, result.text
        seen += _names(result.json)
        cursor = result.json["next_cursor"]
        pages += 1
        if cursor is None:
            break
        assert "TENANT" not in cursor  # opaque
    assert seen == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert pages == 3

    default = api.request("list", query={}).json
    assert _names(default) == seen
    assert default["next_cursor"] is None


def test_list_filters(api: Api) -> None:
    api.create(name="report-a", tags={"team": "finance"})
    api.create(name="report-b", tags={"team": "ops"})
    lam = api.create(
        name="cleanup",
        tags={"team": "ops"},
        task={"type": "lambda", "function": "cleanup-fn", "payload": {"dry_run": False}},
    )
    paused = api.create(name="report-c", tags={"team": "finance"})
    assert api.request("pause", path=f"/schedules/{paused['id']}/pause").status == 200

    def names(**query: str) -> list[str]:
        result = api.request("list", query=query)
        assert result.status == 200, result.text
        return _names(result.json)

    assert names(name_prefix="report") == ["report-a", "report-b", "report-c"]
    assert names(task_type="lambda") == [lam["name"]]
    assert names(tag="team:ops") == ["cleanup", "report-b"]
    assert names(status="PAUSED") == ["report-c"]
    assert names(status="ACTIVE", tag="team:finance") == ["report-a"]
    assert names(status="ACTIVE", tag="team:finance", name_prefix="report") == ["report-a"]
    # The sample's own query string (status=ACTIVE, tag=team:finance, limit=20).
    sample = api.request("list")
    assert sample.status == 200
    assert _names(sample.json) == ["report-a"]


def test_filtered_list_keeps_querying_until_the_page_is_full(api: Api) -> None:
    for index in range(6):
        api.create(name=f"job-{index}", tags={"keep": "yes" if index % 3 == 0 else "no"})

    first = api.request("list", query={"tag": "keep:yes", "limit": "2"}).json
    assert _names(first) == ["job-0", "job-3"]
    if first["next_cursor"]:
        rest = api.request(
            "list", query={"tag": "keep:yes", "limit": "2", "cursor": first["next_cursor"]}
        ).json
        assert rest["items"] == []
        assert rest["next_cursor"] is None


def test_update_without_timing_change_leaves_entries_alone(
    api: Api, sns_events: EventQueue
) -> None:
    created = api.create()
    sid = created["id"]
    before = entries()[f"{sid}-0"]["LastModificationDate"]
    sns_events.read()

    result = api.request(
        "update",
        path=f"/schedules/{sid}",
        body={"name": "renamed", "priority": 2, "description": None},
        headers={"if-match": '"1"'},
    )

    assert result.status == 200, result.text
    body = result.json
    assert body["name"] == "renamed"
    assert body["priority"] == 2
    assert body["description"] is None
    assert body["version"] == 2
    item = schedule_item(sid)
    assert item is not None
    assert item["GSI1SK"] == f"renamed#{sid}"
    assert "description" not in item
    assert entries()[f"{sid}-0"]["LastModificationDate"] == before
    [(event, attributes)] = sns_events.read()
    assert attributes["event_type"] == "schedule.updated"
    assert event["data"]["changed"] == ["description", "name", "priority"]


def test_update_timing_rewrites_entries(api: Api) -> None:
    created = api.create(schedule="0 9 1 * MON", timezone="UTC")
    sid = created["id"]
    assert len(entries()) == 2

    # The sample: a new cron, with If-Match "1".
    result = api.request("update", path=f"/schedules/{sid}")

    assert result.status == 200, result.text
    body = result.json
    assert body["expressions"] == ["cron(30 8 ? * MON-FRI *)"]
    assert body["version"] == 2
    found = entries()
    assert set(found) == {f"{sid}-0"}
    assert found[f"{sid}-0"]["ScheduleExpression"] == "cron(30 8 ? * MON-FRI *)"
    assert_consistent(sid)

    # Version in the body instead of If-Match; timezone and retry are timing too.
    result = api.request(
        "update",
        path=f"/schedules/{sid}",
        body={"version": 2, "timezone": "Asia/Tokyo", "retry": {"scheduler_max_retries": 5}},
        headers={"if-match": ""},
    )
    assert result.status == 200, result.text
    entry = entries()[f"{sid}-0"]
    assert entry["ScheduleExpressionTimezone"] == "Asia/Tokyo"
    assert entry["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 5
    assert_consistent(sid)


def test_update_does_not_clobber_executor_fields(api: Api) -> None:
    created = api.create()
    sid = created["id"]
    table = boto3.resource("dynamodb").Table(all_items()[0]["PK"] and _table_name())
    table.update_item(
        Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{sid}"},
        UpdateExpression="SET total_runs = :n, last_status = :s, running_execution = :r",
        ExpressionAttributeValues={":n": 7, ":s": "SUCCEEDED", ":r": "20261122T090000Z"},
    )

    result = api.request("update", path=f"/schedules/{sid}", body={"schedule": "rate(5 minutes)"})

    assert result.status == 200, result.text
    assert result.json["total_runs"] == 7
    item = schedule_item(sid)
    assert item is not None
    assert item["total_runs"] == 7
    assert item["running_execution"] == "20261122T090000Z"


def _table_name() -> str:
    from jobscheduler.settings import get_settings

    return get_settings().table_name


def test_pause_and_resume(api: Api, sns_events: EventQueue) -> None:
    sid = api.create()["id"]
    sns_events.read()

    paused = api.request("pause", path=f"/schedules/{sid}/pause")
    assert paused.status == 200, paused.text
    assert paused.json["status"] == "PAUSED"
    assert paused.json["pause_note"] == "quarter close: paused until Monday"
    assert paused.json["next_run_at"] is None
    assert entries()[f"{sid}-0"]["State"] == "DISABLED"
    assert_consistent(sid)

    # Pausing again is a no-op (and would repair entries left enabled).
    again = api.request("pause", path=f"/schedules/{sid}/pause", body=None)
    assert again.status == 200
    assert again.json["version"] == paused.json["version"]

    resumed = api.request("resume", path=f"/schedules/{sid}/resume")
    assert resumed.status == 200, resumed.text
    assert resumed.json["status"] == "ACTIVE"
    assert resumed.json["pause_note"] is None
    assert resumed.json["next_run_at"] is not None
    assert entries()[f"{sid}-0"]["State"] == "ENABLED"
    assert_consistent(sid)

    assert sns_events.types() == ["schedule.paused", "schedule.resumed"]


def test_pause_without_body_and_with_stale_if_match(api: Api) -> None:
    sid = api.create()["id"]
    stale = api.request(
        "pause", path=f"/schedules/{sid}/pause", body=None, headers={"if-match": '"9"'}
    )
    assert stale.status == 409
    assert stale.error_code == "version_conflict"
    assert schedule_item(sid)["status"] == "ACTIVE"  # type: ignore[index]

    ok = api.request("pause", path=f"/schedules/{sid}/pause", body=None)
    assert ok.status == 200, ok.text
    assert ok.json["pause_note"] is None


def test_resume_of_an_active_schedule_is_a_no_op_and_delete_is_idempotent(
    api: Api, sns_events: EventQueue
) -> None:
    sid = api.create()["id"]
    assert api.request("resume", path=f"/schedules/{sid}/resume").status == 200
    sns_events.read()

    first = api.request("delete", path=f"/schedules/{sid}")
    assert first.status == 204, first.text
    assert first.text == ""
    item = schedule_item(sid)
    assert item is not None
    assert item["status"] == "DELETED"
    assert item["GSI1PK"] == f"TENANT#{TENANT}#DELETED"
    assert "next_run_at" not in item
    assert quota() == 0
    assert entries() == {}
    assert sns_events.types() == ["schedule.deleted"]

    assert api.request("delete", path=f"/schedules/{sid}").status == 204
    assert quota() == 0
    assert sns_events.types() == []
    assert api.request("get", path=f"/schedules/{sid}").status == 404
    assert api.request("list", query={}).json["items"] == []
    deleted = api.request("list", query={"status": "DELETED"}).json
    assert [item["id"] for item in deleted["items"]] == [sid]
    for action in ("pause", "resume", "run"):
        assert api.request(action, path=f"/schedules/{sid}/{action}").status == 404


def test_delete_of_another_tenants_schedule_is_404(api: Api) -> None:
    sid = api.create()["id"]
    result = api.request("delete", path=f"/schedules/{sid}", tenant=OTHER_TENANT)
    assert result.status == 404
    assert schedule_item(sid)["status"] == "ACTIVE"  # type: ignore[index]
    assert_consistent(sid)


def test_run_now_invokes_the_executor_asynchronously(
    api: Api, executor_function: list[dict[str, Any]]
) -> None:
    sid = api.create()["id"]

    result = api.request("run", path=f"/schedules/{sid}/run")

    assert result.status == 202, result.text
    execution_id = result.json["execution_id"]
    assert re.fullmatch(r"\d{8}T\d{6}Z-manual-[0-9a-f]{8}", execution_id)
    assert result.headers["location"] == f"/schedules/{sid}/executions/{execution_id}"
    [invoke] = executor_function
    assert invoke["InvocationType"] == "Event"
    assert invoke["FunctionName"].endswith("executor")
    payload = invoke["Payload"]
    assert payload["tenant"] == TENANT
    assert payload["schedule_id"] == sid
    assert payload["trigger"] == "manual"
    assert payload["execution_id"] == execution_id
    from jobscheduler.models.executions import ExecutorPayload

    ExecutorPayload.model_validate(payload)
    # Does not move the next scheduled run.
    assert schedule_item(sid)["version"] == 1  # type: ignore[index]

    # A paused schedule can be run by hand.
    api.request("pause", path=f"/schedules/{sid}/pause")
    assert api.request("run", path=f"/schedules/{sid}/run").status == 202
    assert len(executor_function) == 2


def test_run_now_when_the_invoke_fails_is_503(
    api: Api, executor_function: list[dict[str, Any]], inject: Any
) -> None:
    sid = api.create()["id"]
    fault = inject("lambda", "Invoke")

    result = api.request("run", path=f"/schedules/{sid}/run")

    assert fault.raised == 1
    assert result.status == 503
    assert result.error_code == "dependency_unavailable"
    assert result.json["error"]["details"]["retryable"] is True
    assert result.headers["retry-after"] == "1"


def test_preview_writes_nothing(api: Api, sns_events: EventQueue) -> None:
    result = api.request("preview")

    assert result.status == 200, result.text
    body = result.json
    assert body["kind"] == "recurring"
    assert body["expressions"] == ["cron(0 8 ? * MON *)"]
    assert body["timezone"] == "America/New_York"
    assert len(body["next_runs"]) == 5
    runs = [datetime.fromisoformat(run) for run in body["next_runs"]]
    for run in runs:
        assert run.weekday() == 0
        assert run.hour == 8
        assert run.utcoffset() in (timedelta(hours=-5), timedelta(hours=-4))
    assert runs == sorted(runs)
    assert all_items() == []
    assert entries() == {}
    assert sns_events.read() == []


def test_preview_from_start_at_with_count(api: Api) -> None:
    result = api.request(
        "preview",
        body={
            "schedule": "rate(2 hours)",
            "start_at": "2030-01-01T00:00:00+00:00",
            "count": 3,
        },
    )
    assert result.status == 200, result.text
    # Scheduler runs a rate first at its StartDate, then every period.
    assert [datetime.fromisoformat(r) for r in result.json["next_runs"]] == [
        datetime(2030, 1, 1, h, tzinfo=UTC) for h in (0, 2, 4)
    ]


def test_health_ok_and_degraded(api: Api) -> None:
    ok = api.request("health")
    assert ok.status == 200, ok.text
    assert ok.json == {
        "status": "ok",
        "version": "0.1.0",
        "checks": {"table": True, "schedule_group": True, "topic": True},
    }

    boto3.client("scheduler").delete_schedule_group(Name=group_name())
    degraded = api.request("health")
    assert degraded.status == 503
    assert degraded.json["status"] == "degraded"
    assert degraded.json["checks"] == {"table": True, "schedule_group": False, "topic": True}


def test_signing_secret_is_per_tenant_and_stable(api: Api) -> None:
    first = api.request("health", path="/signing-secret")
    assert first.status == 200, first.text
    secret = first.json["secret"]
    assert secret.startswith("whsec_")
    assert api.request("health", path="/signing-secret").json["secret"] == secret
    other = api.request("health", path="/signing-secret", tenant=OTHER_TENANT).json["secret"]
    assert other != secret
    assert api.request("health", path="/signing-secret", tenant=None).status == 401


def test_preview_count_bounds(api: Api) -> None:
    for count in (1, 50):
        result = api.request("preview", body={"schedule": "rate(1 hour)", "count": count})
        assert result.status == 200
        assert len(result.json["next_runs"]) == count


def test_natural_language_one_off(api: Api) -> None:
    body = api.create(schedule="tomorrow at 9am", timezone="Europe/Paris")
    assert body["kind"] == "one_time"
    [expression] = body["expressions"]
    assert expression.startswith("at(")
    assert expression.endswith("T09:00:00)")
    entry = entries()[f"{body['id']}-0"]
    assert entry["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert entry["ActionAfterCompletion"] == "DELETE"


def test_new_timing_reactivates_a_completed_schedule(api: Api) -> None:
    sid = api.create()["id"]
    # What the executor does when a schedule reaches its end: COMPLETED, entries removed.
    boto3.resource("dynamodb").Table(_table_name()).update_item(
        Key={"PK": f"TENANT#{TENANT}", "SK": f"SCHEDULE#{sid}"},
        UpdateExpression="SET #s = :s, version = :v REMOVE next_run_at",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "COMPLETED", ":v": 2},
    )
    boto3.client("scheduler").delete_schedule(Name=f"{sid}-0", GroupName=group_name())
    assert_consistent(sid)

    renamed = api.request(
        "update", path=f"/schedules/{sid}", body={"name": "done"}, headers={"if-match": "2"}
    )
    assert renamed.status == 200, renamed.text
    assert renamed.json["status"] == "COMPLETED"
    assert_consistent(sid)

    result = api.request(
        "update",
        path=f"/schedules/{sid}",
        body={"schedule": "rate(1 day)"},
        headers={"if-match": 'W/"3"'},
    )
    assert result.status == 200, result.text
    assert result.json["status"] == "ACTIVE"
    assert result.json["next_run_at"] is not None
    assert entries()[f"{sid}-0"]["ScheduleExpression"] == "rate(1 day)"
    assert_consistent(sid)
