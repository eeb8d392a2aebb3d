"""The executor's use case: one fire (or run-now) of a schedule, exactly once.

Per scheduled run the AWS calls are, besides the task's own (dal/runs.py has the why):
1. GetItem of the schedule (the one read, 1 read unit),
2. the claim: one conditional UpdateItem of the schedule (overlap=skip, the default) or
   one conditional PutItem of a RUNNING record (overlap=allow),
3. the finish: the final record and the schedule's counters, two conditional writes,
4. SNS execution.succeeded / failed (the one publish; execution.started only for
   schedules with ``notify_started``).
So 1 read unit, 3 write units, 1 publish. A duplicate delivery costs the read and at
most one refused write, and publishes nothing. Rare paths spend more: an overlap or
late-fire skip (claim + SKIPPED put), a take-over of a crashed run, a run-now on an
overlap=skip schedule (record and hold), a fire the schedule's calendar excludes (the
read, the SKIPPED put and one UpdateItem moving next_run_at on). The run that completes a schedule also deletes
its Scheduler entries and publishes schedule.completed (once in the schedule's life).

Manual runs (run-now) use the id the API returned, count in total_runs (and so toward
max_runs), leave next_run_at alone, and run on a PAUSED or COMPLETED schedule too: the
owner asked for this run explicitly.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from jobscheduler.logic.auto_pause import due as auto_pause_due
from jobscheduler.logic.auto_pause import pause as auto_pause
from jobscheduler.logic.run_events import delete_entries, publish, publish_completed
from jobscheduler.logic.runner import RunContext, TaskOutcome, describe_error, run_task
from jobscheduler.logic.timing import next_fire, skip_reason
from jobscheduler.models.events import EventType
from jobscheduler.models.executions import (
    Execution,
    ExecutionStatus,
    ExecutorPayload,
    Trigger,
)
from jobscheduler.models.ids import manual_execution_id, scheduled_execution_id
from jobscheduler.models.runs import Claim, ClaimResult, LockKind, ScheduleChanges, ScheduleSnapshot
from jobscheduler.models.schedules import Schedule, ScheduleKind, ScheduleStatus
from jobscheduler.models.tasks import Task
from jobscheduler.observability import logger, metrics
from jobscheduler.wiring import preload, run_ledger

# Every run reads and writes its ledger and publishes; Scheduler entries are only
# removed when a schedule completes (rare), so that adapter loads when first used.
preload("runs", "events")

# Kept back from the Lambda's remaining time to write the result and publish it.
FINISH_MARGIN_SECONDS = 3.0
# Entry names an orphan may have: {id}-0 and {id}-1 (a cron with both day fields).
ORPHAN_PARTS = 2
_MANUAL_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-manual-[0-9a-z]{1,32}$")
_RETRY_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-retry-[0-9a-z]{1,32}$")
_NOT_RUNNABLE = {
    ScheduleStatus.DELETED: "schedule_deleted",
    ScheduleStatus.PENDING: "schedule_pending",
}
_NOT_RUNNABLE_BY_SCHEDULE = {
    **_NOT_RUNNABLE,
    ScheduleStatus.PAUSED: "schedule_paused",
    ScheduleStatus.COMPLETED: "schedule_completed",
}


class InvalidPayload(ValueError):
    """A payload that can never run (raised so the delivery goes to the DLQ path)."""


@dataclass
class Clock:
    """Injectable time: wall clock for records, monotonic for budgets, sleep, jitter."""

    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    uniform: Callable[[float, float], float] | None = None


@dataclass(frozen=True)
class RunSummary:
    execution_id: str
    status: str  # an ExecutionStatus, or "DUPLICATE" when nothing was done
    detail: str | None = None
    attempts: int = 0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"execution_id": self.execution_id, "status": self.status}
        if self.detail:
            out["detail"] = self.detail
        if self.attempts:
            out["attempts"] = self.attempts
        return out


def execution_id_for(payload: ExecutorPayload, now: datetime) -> str:
    if payload.trigger == Trigger.RETRY.value:
        if payload.execution_id is None or not _RETRY_ID.match(payload.execution_id):
            raise InvalidPayload("a retry carries the id the API returned")
        if payload.retry_of is None:
            raise InvalidPayload("a retry names the execution it repeats")
        return payload.execution_id
    if payload.trigger == Trigger.MANUAL.value:
        if payload.execution_id is None:
            return manual_execution_id(now)
        if not _MANUAL_ID.match(payload.execution_id):
            raise InvalidPayload(f"execution_id {payload.execution_id!r} is not a run-now id")
        return payload.execution_id
    if payload.execution_id is not None:
        raise InvalidPayload("a scheduled fire does not choose its execution id")
    return scheduled_execution_id(payload.scheduled_time)


def execute(
    payload: ExecutorPayload, *, remaining_ms: int, clock: Clock | None = None
) -> RunSummary:
    clock = clock or Clock()
    entered = clock.monotonic()
    now = clock.now()
    tenant = payload.tenant
    base = _base_execution(payload, now)
    snapshot = run_ledger.read_schedule(tenant, payload.schedule_id)
    if snapshot is None:
        if base.trigger == Trigger.SCHEDULE:
            # An entry whose item is gone (an orphan): remove it at its first fire.
            delete_entries(payload.schedule_id, ORPHAN_PARTS)
        return _skip(tenant, base, "schedule_not_found", None, now)
    schedule = snapshot.schedule
    base = base.model_copy(update={"task_type": schedule.task_type})
    turned_away = _turn_away(tenant, base, schedule, now)
    if turned_away is not None:
        return turned_away
    lease_until = now + timedelta(milliseconds=remaining_ms)
    claim = _claim(tenant, base, schedule, snapshot, now=now, lease_until=lease_until)
    if isinstance(claim, RunSummary):
        return claim
    if claim.finished_record is not None:
        # The crashed attempt ran the task and wrote its record; only the schedule's
        # bookkeeping (and the event) was lost with it.
        return _finish_recorded(tenant, claim.finished_record, schedule, claim)
    if schedule.notify_started:
        publish("execution.started", tenant, base, schedule)
    deadline = entered + remaining_ms / 1000.0 - FINISH_MARGIN_SECONDS
    ctx = _run_context(tenant, schedule, base.id, deadline, clock)
    outcome = _run_guarded(schedule.task, ctx, clock)
    return _finish(tenant, base, schedule, outcome, claim, clock)


def _base_execution(payload: ExecutorPayload, now: datetime) -> Execution:
    """The run as it starts (RUNNING), its id chosen by the trigger; tags the logs."""
    scheduled_time = _utc(payload.scheduled_time)
    trigger = Trigger(payload.trigger)
    execution_id = execution_id_for(payload, now)
    logger.append_keys(
        tenant=payload.tenant,
        schedule_id=payload.schedule_id,
        execution_id=execution_id,
        scheduled_time=scheduled_time.isoformat(),
        trigger=trigger.value,
        scheduler_attempt=payload.attempt_number,
    )
    return Execution(
        id=execution_id,
        schedule_id=payload.schedule_id,
        status=ExecutionStatus.RUNNING,
        trigger=trigger,
        scheduled_time=scheduled_time,
        started_at=now,
        lateness_ms=_lateness(trigger, scheduled_time, now),
        retry_of=payload.retry_of if trigger == Trigger.RETRY else None,
    )


def _turn_away(
    tenant: str, base: Execution, schedule: Schedule, now: datetime
) -> RunSummary | None:
    """The skip of a schedule that may not run now (its status, or its calendar's
    exclusions for a scheduled fire); None when the run may go on to its claim."""
    scheduled = base.trigger == Trigger.SCHEDULE
    reasons = _NOT_RUNNABLE_BY_SCHEDULE if scheduled else _NOT_RUNNABLE
    reason = reasons.get(schedule.status)
    if reason is not None:
        if schedule.status in (ScheduleStatus.COMPLETED, ScheduleStatus.DELETED):
            # A fire after completion means an entry survived: retry the cleanup.
            delete_entries(schedule.id, len(schedule.expressions))
        return _skip(tenant, base, reason, schedule, now)
    if scheduled and schedule.exclusions:
        excluded = skip_reason(schedule, base.scheduled_time)
        if excluded is not None:
            return _skip_excluded(tenant, base, excluded, schedule, now)
    return None


def _claim(
    tenant: str,
    base: Execution,
    schedule: Schedule,
    snapshot: ScheduleSnapshot,
    *,
    now: datetime,
    lease_until: datetime,
) -> Claim | RunSummary:
    """Own this run (the claim), or what this delivery does instead."""
    backfill = base.trigger == Trigger.BACKFILL
    if backfill and not run_ledger.backfill_fence(tenant, schedule.id, base.id):
        # The scheduled path ran (or is running) this fire: never twice.
        metrics.add_metric(name="Duplicates", unit=MetricUnit.Count, value=1)
        return RunSummary(base.id, "DUPLICATE", detail="duplicate_finished")
    claim = run_ledger.claim(
        tenant,
        base.model_copy(update={"attempts": 1}),
        snapshot,
        now=now,
        lease_until=lease_until,
        scheduled=base.trigger == Trigger.SCHEDULE,
        # A backfill's runs follow one another: the overlap rule is for live fires.
        hold_schedule=not backfill,
    )
    refused = _refused_claim(tenant, base, schedule, claim, now)
    if refused is not None:
        return refused
    if claim.result == ClaimResult.TAKEN_OVER:
        logger.warning(
            "taking over a run whose lease expired", extra={"attempts": claim.previous_attempts}
        )
        metrics.add_metric(name="Takeovers", unit=MetricUnit.Count, value=1)
    return claim


def _run_context(
    tenant: str, schedule: Schedule, execution_id: str, deadline: float, clock: Clock
) -> RunContext:
    ctx = RunContext(
        tenant=tenant,
        schedule_id=schedule.id,
        execution_id=execution_id,
        retry=schedule.retry,
        deadline=deadline,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
        wall_clock=clock.now,
    )
    if clock.uniform is not None:
        ctx.uniform = clock.uniform
    return ctx


def _refused_claim(
    tenant: str, base: Execution, schedule: Schedule, claim: Claim, now: datetime
) -> RunSummary | None:
    """What to do when the claim did not make this delivery the run's owner."""
    if claim.owned:
        return None
    if claim.result in (ClaimResult.DUPLICATE_FINISHED, ClaimResult.DUPLICATE_RUNNING):
        logger.info("duplicate delivery: nothing to do", extra={"claim": claim.result.value})
        metrics.add_metric(name="Duplicates", unit=MetricUnit.Count, value=1)
        return RunSummary(base.id, "DUPLICATE", detail=claim.result.value)
    # A run-now refused after its record was claimed replaces that RUNNING record.
    replacing = claim.lease_ms if claim.kind == LockKind.RECORD and claim.lease_ms else None
    if claim.result == ClaimResult.SCHEDULE_GONE:
        return _skip(tenant, base, "schedule_not_found", None, now, replacing_lease=replacing)
    if claim.result == ClaimResult.SUPERSEDED:
        detail = "a later fire of this schedule was already claimed"
        return _skip(tenant, base, "superseded", schedule, now, detail=detail)
    detail = f"overlap: execution {claim.running_execution} is still running"
    return _skip(tenant, base, "overlap", schedule, now, detail=detail, replacing_lease=replacing)


def _run_guarded(task: Task, ctx: RunContext, clock: Clock) -> TaskOutcome:
    """run_task, but whatever it raises ends the run FAILED (with the lease released and
    execution.failed published by _finish) instead of leaving it RUNNING."""
    started = clock.monotonic()
    try:
        return run_task(task, ctx)
    except Exception as error:  # noqa: BLE001 (a task must never wedge a run)
        logger.exception("the task raised; the run is recorded as failed")
        return TaskOutcome(
            status=ExecutionStatus.FAILED,
            attempts=1,
            duration_ms=max(0, int((clock.monotonic() - started) * 1000)),
            error=f"unexpected error: {describe_error(error)}",
        )


def _finish(
    tenant: str,
    base: Execution,
    schedule: Schedule,
    outcome: TaskOutcome,
    claim: Claim,
    clock: Clock,
) -> RunSummary:
    finished = clock.now()
    started = base.started_at or finished
    final = base.model_copy(
        update={
            "status": outcome.status,
            "finished_at": finished,
            "duration_ms": max(0, int((finished - started).total_seconds() * 1000)),
            "attempts": claim.previous_attempts + outcome.attempts,
            "result": outcome.result,
            "error": outcome.error,
            "steps": outcome.steps,
        }
    )
    return _finish_recorded(tenant, final, schedule, claim)


def _finish_recorded(tenant: str, final: Execution, schedule: Schedule, claim: Claim) -> RunSummary:
    """Write the run's outcome (record, schedule) and publish it."""
    finished = final.finished_at or datetime.now(UTC)
    started = final.started_at or finished
    failed = final.status != ExecutionStatus.SUCCEEDED
    scheduled = final.trigger == Trigger.SCHEDULE
    next_run = _next_run(schedule, after=max(finished, final.scheduled_time)) if scheduled else None
    complete = schedule.status == ScheduleStatus.ACTIVE and (
        (scheduled and schedule.kind == ScheduleKind.ONE_TIME)
        or (schedule.max_runs is not None and schedule.total_runs + 1 >= schedule.max_runs)
        or (scheduled and next_run is None)
    )
    update = ScheduleChanges(
        last_run_at=started,
        last_status=final.status,
        failed=failed,
        # Manual runs leave next_run_at alone, unless they complete the schedule.
        set_next_run_at=scheduled or complete,
        next_run_at=None if complete else next_run,
        complete=complete,
    )
    completed = run_ledger.finish(tenant, final, update, claim, now=finished)
    streak = None if completed else auto_pause_due(schedule, failed=failed)

    metrics.add_metric(name="Runs", unit=MetricUnit.Count, value=1)
    if failed:
        metrics.add_metric(name="Failures", unit=MetricUnit.Count, value=1)
    metrics.add_metric(
        name="DurationMs", unit=MetricUnit.Milliseconds, value=final.duration_ms or 0
    )
    if final.lateness_ms is not None:
        metrics.add_metric(name="LatenessMs", unit=MetricUnit.Milliseconds, value=final.lateness_ms)
    log = logger.info if not failed else logger.warning
    log(
        "run finished",
        extra={"status": final.status.value, "attempts": final.attempts, "error": final.error},
    )

    event: EventType = "execution.succeeded" if not failed else "execution.failed"
    publish(event, tenant, final, schedule, next_run_at=update.next_run_at)
    if completed:
        delete_entries(schedule.id, len(schedule.expressions))
        publish_completed(tenant, schedule, final)
    if streak is not None:
        auto_pause(
            tenant,
            schedule,
            failures=streak,
            execution_id=final.id,
            last_error=final.error,
            now=finished,
        )
    return RunSummary(final.id, final.status.value, detail=final.error, attempts=final.attempts)


def _skip(
    tenant: str,
    base: Execution,
    reason: str,
    schedule: Schedule | None,
    now: datetime,
    *,
    detail: str | None = None,
    replacing_lease: int | None = None,
    next_run_at: datetime | None = None,
) -> RunSummary:
    skipped = base.model_copy(
        update={
            "status": ExecutionStatus.SKIPPED,
            "finished_at": now,
            "duration_ms": 0,
            "skip_reason": reason,
            "error": detail,
        }
    )
    if not run_ledger.put_skipped(tenant, skipped, now=now, replacing_lease=replacing_lease):
        logger.info("duplicate delivery of a skipped run", extra={"skip_reason": reason})
        metrics.add_metric(name="Duplicates", unit=MetricUnit.Count, value=1)
        return RunSummary(skipped.id, "DUPLICATE", detail="duplicate_finished")
    logger.info("run skipped", extra={"skip_reason": reason})
    metrics.add_metric(name="Skips", unit=MetricUnit.Count, value=1)
    publish("execution.skipped", tenant, skipped, schedule, next_run_at=next_run_at)
    return RunSummary(skipped.id, ExecutionStatus.SKIPPED.value, detail=reason)


def _skip_excluded(
    tenant: str, base: Execution, reason: str, schedule: Schedule, now: datetime
) -> RunSummary:
    """A fire the calendar excludes: recorded SKIPPED with its reason like any other
    skip, and the schedule moves on to its next run that really happens."""
    next_run = next_fire(schedule, after=max(now, base.scheduled_time))
    summary = _skip(tenant, base, reason, schedule, now, next_run_at=next_run)
    # Also on a duplicate: if the first delivery died between its two writes, this one
    # finishes the bookkeeping (which counts each fire once, see pass_excluded_fire).
    if run_ledger.pass_excluded_fire(tenant, schedule.id, base.id, next_run_at=next_run, now=now):
        delete_entries(schedule.id, len(schedule.expressions))
        publish_completed(tenant, schedule, base, total_runs=schedule.total_runs)
    return summary


def _next_run(schedule: Schedule, *, after: datetime) -> datetime | None:
    if schedule.kind == ScheduleKind.ONE_TIME:
        return None
    return next_fire(schedule, after=after)


def _lateness(trigger: Trigger, scheduled_time: datetime, now: datetime) -> int | None:
    if trigger != Trigger.SCHEDULE:
        return None
    return max(0, int((now - scheduled_time).total_seconds() * 1000))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
