"""The executor's run bookkeeping as values: what one read of a schedule saw, what a
claim decided, and what a finished run changes on its schedule. The RunLedger port
(jobscheduler.ports) speaks in these; dal/runs.py stores them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from jobscheduler.models.executions import Execution, ExecutionStatus
from jobscheduler.models.schedules import Schedule


def epoch_ms(moment: datetime) -> int:
    """Leases are kept as epoch milliseconds."""
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class ScheduleSnapshot:
    """The schedule and the executor's own attributes, as the one read saw them."""

    schedule: Schedule
    running_execution: str | None = None
    running_lease_until: int | None = None
    running_attempts: int = 0
    claimed_through: str | None = None
    last_finished: str | None = None


class ClaimResult(StrEnum):
    CLAIMED = "claimed"
    TAKEN_OVER = "taken_over"  # a run whose lease expired (crashed attempt)
    DUPLICATE_FINISHED = "duplicate_finished"
    DUPLICATE_RUNNING = "duplicate_running"
    OVERLAP = "overlap"
    # A scheduled fire older than one already claimed on an overlap=skip schedule: a
    # duplicate whose record may exist, or a late retry that a newer fire overtook.
    SUPERSEDED = "superseded"
    SCHEDULE_GONE = "schedule_gone"


class LockKind(StrEnum):
    HOLD = "hold"  # the schedule item is the lock; no record until the finish
    RECORD = "record"  # the RUNNING execution record is the lock


@dataclass(frozen=True)
class Claim:
    result: ClaimResult
    kind: LockKind = LockKind.RECORD
    lease_ms: int = 0
    # Attempts already made by earlier (crashed) deliveries of this run.
    previous_attempts: int = 0
    # The run that holds the schedule when result is OVERLAP.
    running_execution: str | None = None
    # Whether this run also holds the schedule (overlap=skip).
    holds_schedule: bool = False
    # A take-over that found the crashed attempt's final record: the task already ran,
    # only the schedule's bookkeeping is left to do.
    finished_record: Execution | None = None

    @property
    def owned(self) -> bool:
        return self.result in (ClaimResult.CLAIMED, ClaimResult.TAKEN_OVER)


def judge_hold(run_id: str, snapshot: ScheduleSnapshot, now: datetime) -> Claim | None:
    """What the schedule as read means for a hold-claim of ``run_id``, before any write:
    None when only the conditional write can tell; a TAKEN_OVER claim when this run's
    own hold has expired (a crashed attempt) and may be taken over."""
    if snapshot.running_execution == run_id:
        lease = snapshot.running_lease_until
        if lease is not None and lease >= epoch_ms(now):
            return Claim(ClaimResult.DUPLICATE_RUNNING, LockKind.HOLD)
        return Claim(ClaimResult.TAKEN_OVER, LockKind.HOLD)
    if snapshot.last_finished == run_id:
        return Claim(ClaimResult.DUPLICATE_FINISHED, LockKind.HOLD)
    if snapshot.claimed_through is not None and run_id <= snapshot.claimed_through:
        return Claim(ClaimResult.SUPERSEDED, LockKind.HOLD)
    return None


def judge_refused_hold(
    run_id: str,
    *,
    holder: str | None,
    lease_until: int | None,
    claimed_through: str | None,
    last_finished: str | None,
) -> Claim:
    """Why a hold-claim's conditional write was refused, from the item as it stood."""
    if holder == run_id or last_finished == run_id:
        # Another delivery of this fire won the race between our read and our write.
        return Claim(ClaimResult.DUPLICATE_RUNNING, LockKind.HOLD)
    if claimed_through is not None and run_id <= claimed_through:
        return Claim(ClaimResult.SUPERSEDED, LockKind.HOLD)
    return Claim(
        ClaimResult.OVERLAP, LockKind.HOLD, running_execution=holder if lease_until else None
    )


@dataclass(frozen=True)
class ScheduleChanges:
    """What a finished run changes on its schedule."""

    last_run_at: datetime
    last_status: ExecutionStatus
    failed: bool
    # False: leave next_run_at alone (manual runs); else the new value, or clear it.
    set_next_run_at: bool
    next_run_at: datetime | None
    complete: bool
