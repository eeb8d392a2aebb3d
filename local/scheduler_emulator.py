"""Fires the Scheduler entries stored on the local endpoint as EventBridge Scheduler would.

moto stores schedules but never fires them. This reads them back through the Scheduler
API (so it works against any endpoint, not only our in-process moto), keeps an index
refreshed every ``refresh_s`` (ListSchedules is cheap; GetSchedule only for entries that
are new or whose LastModificationDate changed) and one heap of due times served by a
timer thread; invocations run in a worker pool so a slow handler never delays a fire.

Honoured: expression + timezone through the project's own ``next_runs`` (the same engine
and DST rules as the API's preview), State, StartDate/EndDate, FlexibleTimeWindow, the
``<aws.scheduler.*>`` context attributes in Target.Input, RetryPolicy (delays compressed
locally, see ``retry_delay``) then DeadLetterConfig, and ActionAfterCompletion DELETE.
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# Lateness beyond which a recurring fire is treated as missed (the stack was stopped or
# the endpoint already held old entries) instead of being caught up.
MAX_CATCH_UP = timedelta(seconds=60)

Invoker = Callable[[str, Any], Any]
Log = Callable[[str], None]
NextRuns = Callable[..., list[datetime]]


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def iso_z(value: datetime) -> str:
    """Scheduler's <aws.scheduler.scheduled-time> format: 2026-11-22T09:00:00Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def retry_delay(attempt: int, scale: float) -> float:
    """Delay before retry number ``attempt`` (1-based): exponential backoff with full
    jitter as Scheduler does, but starting at ``scale`` seconds and capped at 5 s so a
    retry policy plays out in seconds locally instead of minutes."""
    return float(min(5.0, scale * (2 ** (attempt - 1))) * random.uniform(0.5, 1.0))


@dataclass
class Entry:
    name: str
    arn: str
    group: str
    expression: str
    timezone: str
    state: str
    start: datetime | None
    end: datetime | None
    flex_minutes: int
    target: dict[str, Any]
    action_after_completion: str | None
    created: datetime
    modified_key: str
    generation: int

    @property
    def one_off(self) -> bool:
        return self.expression.strip().lower().startswith("at(")

    @classmethod
    def from_api(cls, detail: dict[str, Any], modified_key: str, generation: int) -> Entry:
        window = detail.get("FlexibleTimeWindow") or {}
        flex = (
            int(window.get("MaximumWindowInMinutes") or 0)
            if window.get("Mode") == "FLEXIBLE"
            else 0
        )
        created = _utc(detail.get("CreationDate")) or datetime.now(UTC)
        return cls(
            name=detail["Name"],
            arn=detail["Arn"],
            group=detail.get("GroupName") or "default",
            expression=detail["ScheduleExpression"],
            timezone=detail.get("ScheduleExpressionTimezone") or "UTC",
            state=detail.get("State") or "ENABLED",
            start=_utc(detail.get("StartDate")),
            end=_utc(detail.get("EndDate")),
            flex_minutes=flex,
            target=dict(detail.get("Target") or {}),
            action_after_completion=detail.get("ActionAfterCompletion"),
            created=created,
            modified_key=modified_key,
            generation=generation,
        )


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    kind: str = field(compare=False)  # "fire" or "invoke"
    name: str = field(compare=False)
    generation: int = field(compare=False)
    scheduled: datetime = field(compare=False)
    entry: Entry | None = field(compare=False, default=None)
    attempt: int = field(compare=False, default=1)
    execution_id: str = field(compare=False, default="")
    last: bool = field(compare=False, default=False)
    # Set once `last` is known (the next fire is planned after the invocation starts).
    planned: threading.Event = field(compare=False, default_factory=threading.Event)


@dataclass
class Stats:
    """Lateness of each invocation start against its due time (scheduled + flex delay)."""

    lateness_ms: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))
    fired: int = 0
    retried: int = 0
    dead_lettered: int = 0
    deleted: int = 0


class SchedulerEmulator:
    def __init__(
        self,
        *,
        scheduler_client: Any,
        sqs_client: Any,
        group: str,
        invoker: Invoker,
        next_runs: NextRuns | None = None,
        refresh_s: float = 0.5,
        workers: int = 32,
        retry_scale_s: float = 0.2,
        log: Log | None = None,
        anchors: dict[str, datetime] | None = None,
        last_fired: dict[str, datetime] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        if next_runs is None:
            from jobscheduler.expressions import next_runs as engine

            next_runs = engine
        self.scheduler = scheduler_client
        self.sqs = sqs_client
        self.group = group
        self.invoker = invoker
        self.next_runs = next_runs
        self.refresh_s = refresh_s
        self.retry_scale_s = retry_scale_s
        self.log: Log = log or (lambda _msg: None)
        # Told when the emulator itself changes what the state file keeps (a deletion).
        self.on_change: Callable[[], None] = on_change or (lambda: None)
        # rate() anchors that must survive a restart (a restored entry gets a new
        # CreationDate) and the last scheduled time fired per entry.
        self.anchors: dict[str, datetime] = dict(anchors or {})
        self.last_fired: dict[str, datetime] = dict(last_fired or {})
        self.stats = Stats()
        self.index: dict[str, Entry] = {}
        self._heap: list[_Job] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scheduler")
        self._threads: list[threading.Thread] = []
        self._generation = itertools.count(1)
        self.started_at = datetime.now(UTC)
        self.refreshed = threading.Event()

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        self.started_at = datetime.now(UTC)
        self.refresh()
        for target, name in (
            (self._refresh_loop, "scheduler-refresh"),
            (self._timer_loop, "scheduler-timer"),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    # ---- index -------------------------------------------------------------------------

    def _list(self) -> list[dict[str, Any]]:
        summaries: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"GroupName": self.group, "MaxResults": 100}
        while True:
            page = self.scheduler.list_schedules(**kwargs)
            summaries.extend(page.get("Schedules", []))
            token = page.get("NextToken")
            if not token:
                return summaries
            kwargs["NextToken"] = token

    def refresh(self) -> None:
        """One pass: pick up new, changed and deleted entries."""
        summaries = self._list()
        seen: set[str] = set()
        for summary in summaries:
            name = summary["Name"]
            seen.add(name)
            key = f"{summary.get('LastModificationDate')}|{summary.get('State')}"
            current = self.index.get(name)
            if current is not None and current.modified_key == key:
                continue
            try:
                detail = self.scheduler.get_schedule(GroupName=self.group, Name=name)
            except self.scheduler.exceptions.ResourceNotFoundException:
                continue
            entry = Entry.from_api(detail, key, next(self._generation))
            with self._cond:
                self.index[name] = entry
                self._plan_next(entry)
        with self._cond:
            for name in [n for n in self.index if n not in seen]:
                del self.index[name]  # its heap jobs become stale (generation check)
        self.refreshed.set()

    def _refresh_loop(self) -> None:
        pause = self.refresh_s
        while not self._stop.wait(pause):
            began = time.monotonic()
            try:
                self.refresh()
            except Exception as exc:
                self.log(f"scheduler refresh failed: {type(exc).__name__}: {exc}")
            # With many entries a pass costs real CPU (1,000 entries: ~0.3 s); never
            # spend more than half of the time refreshing, so fires keep their CPU.
            pause = max(self.refresh_s, time.monotonic() - began)

    def _anchor(self, entry: Entry) -> datetime:
        return self.anchors.get(entry.name) or entry.created

    def _plan_next(self, entry: Entry, after_fire: datetime | None = None) -> bool:
        """Push the entry's next fire, if any (caller holds the condition)."""
        if entry.state != "ENABLED":
            return False
        now = datetime.now(UTC)
        last = self.last_fired.get(entry.name)
        if entry.one_off:
            runs = self.next_runs(
                [entry.expression], entry.timezone, after=datetime(1970, 1, 2, tzinfo=UTC), count=1
            )
            if not runs or (last is not None and last >= runs[0]):
                return False
            nxt = runs[0]
        else:
            # Entries created just before a boundary but seen just after it still fire.
            modified = _utc(entry.modified_key.split("|")[0]) if after_fire is None else None
            candidates = [self.started_at - timedelta(seconds=1)]
            if modified is not None:
                candidates.append(modified - timedelta(milliseconds=1))
            if last is not None:
                candidates.append(last)
            if after_fire is not None:
                candidates.append(after_fire)
            after = max(candidates)
            if now - after > MAX_CATCH_UP:
                after = now
            runs = self.next_runs(
                [entry.expression],
                entry.timezone,
                after=after,
                count=1,
                start_at=entry.start,
                end_at=entry.end,
                anchor=self._anchor(entry),
            )
            if not runs:
                return False
            nxt = runs[0]
        self._push(
            _Job(nxt.timestamp(), next(self._seq), "fire", entry.name, entry.generation, nxt)
        )
        return True

    def _push(self, job: _Job) -> None:
        with self._cond:
            heapq.heappush(self._heap, job)
            if self._heap[0] is job:
                self._cond.notify()

    # ---- timer -------------------------------------------------------------------------

    def _timer_loop(self) -> None:
        while not self._stop.is_set():
            due: list[_Job] = []
            with self._cond:
                while not self._stop.is_set():
                    delay = self._heap[0].due - time.time() if self._heap else 1.0
                    if self._heap and delay <= 0:
                        break
                    self._cond.wait(min(delay, 1.0))
                if self._stop.is_set():
                    return
                now = time.time()
                while self._heap and self._heap[0].due <= now:
                    due.append(heapq.heappop(self._heap))
            # Start every due invocation first, then plan the next fires: planning
            # (next_runs) must not delay the fires that are due now.
            fired: list[tuple[Entry, _Job]] = []
            for job in due:
                if job.kind == "invoke":
                    self._pool.submit(self._invoke, job)
                    continue
                invoke = self._on_fire(job)
                if invoke is not None:
                    assert invoke.entry is not None
                    fired.append((invoke.entry, invoke))
            for entry, invoke in fired:
                with self._cond:
                    has_next = self._plan_next(entry, after_fire=invoke.scheduled)
                invoke.last = entry.one_off or not has_next
                invoke.planned.set()

    def _on_fire(self, job: _Job) -> _Job | None:
        """A fire is due: start the invocation (now, or after the flexible window's
        random delay). The caller plans the entry's next fire."""
        with self._cond:
            entry = self.index.get(job.name)
            if entry is None or entry.generation != job.generation or entry.state != "ENABLED":
                return None
            self.last_fired[entry.name] = job.scheduled
        delay = random.uniform(0, entry.flex_minutes * 60) if entry.flex_minutes else 0.0
        invoke = _Job(
            job.due + delay,
            next(self._seq),
            "invoke",
            entry.name,
            entry.generation,
            job.scheduled,
            entry=entry,
            execution_id=str(uuid.uuid4()),
        )
        self.stats.fired += 1
        if delay:
            self._push(invoke)
        else:
            self._pool.submit(self._invoke, invoke)
        return invoke

    # ---- invocation --------------------------------------------------------------------

    def _input(self, entry: Entry, job: _Job) -> str:
        text = str(entry.target.get("Input") or "{}")
        for token, value in (
            ("<aws.scheduler.schedule-arn>", entry.arn),
            ("<aws.scheduler.scheduled-time>", iso_z(job.scheduled)),
            ("<aws.scheduler.execution-id>", job.execution_id),
            ("<aws.scheduler.attempt-number>", str(job.attempt)),
        ):
            text = text.replace(token, value)
        return text

    def _invoke(self, job: _Job) -> None:
        entry = job.entry
        assert entry is not None
        self.stats.lateness_ms.append((time.time() - job.due) * 1000)
        payload = self._input(entry, job)
        try:
            event: Any = json.loads(payload)
        except ValueError:
            event = payload
        try:
            self.invoker(entry.target.get("Arn", ""), event)
        except Exception as exc:
            self._failed(entry, job, payload, exc)
            return
        if job.planned.wait(5) and job.last:
            self._complete(entry)

    def _failed(self, entry: Entry, job: _Job, payload: str, exc: Exception) -> None:
        if self._stop.is_set():
            return  # the stack is stopping: not the target's failure, nothing to dead-letter
        policy = entry.target.get("RetryPolicy") or {}
        max_retries = int(policy.get("MaximumRetryAttempts", 185))
        max_age = float(policy.get("MaximumEventAgeInSeconds", 86400))
        age = (datetime.now(UTC) - job.scheduled).total_seconds()
        retries_done = job.attempt - 1
        if retries_done < max_retries and age < max_age and not self._stop.is_set():
            delay = retry_delay(job.attempt, self.retry_scale_s)
            self.stats.retried += 1
            self.log(
                f"scheduler {entry.name} attempt {job.attempt} failed "
                f"({type(exc).__name__}: {exc}); retry in {delay:.1f}s"
            )
            self._push(
                _Job(
                    time.time() + delay,
                    next(self._seq),
                    "invoke",
                    job.name,
                    job.generation,
                    job.scheduled,
                    entry=entry,
                    attempt=job.attempt + 1,
                    execution_id=job.execution_id,
                    last=job.last,
                    planned=job.planned,
                )
            )
            return
        self._dead_letter(entry, job, payload, exc)
        if job.planned.wait(5) and job.last:
            self._complete(entry)

    def _dead_letter(self, entry: Entry, job: _Job, payload: str, exc: Exception) -> None:
        dlq_arn = (entry.target.get("DeadLetterConfig") or {}).get("Arn")
        self.stats.dead_lettered += 1
        if not dlq_arn:
            self.log(f"scheduler {entry.name} gave up after {job.attempt} attempt(s); no DLQ")
            return
        code = getattr(exc, "code", None) or type(exc).__name__
        attributes = {
            "ERROR_CODE": str(code),
            "ERROR_MESSAGE": str(exc)[:1000] or type(exc).__name__,
            "EXECUTION_ID": job.execution_id,
            "RETRY_ATTEMPTS": str(job.attempt - 1),
            "TARGET_ARN": str(entry.target.get("Arn", "")),
            "SCHEDULE_ARN": entry.arn,
            "GROUP": entry.group,
        }
        try:
            url = self.sqs.get_queue_url(QueueName=dlq_arn.rsplit(":", 1)[-1])["QueueUrl"]
            self.sqs.send_message(
                QueueUrl=url,
                MessageBody=payload,
                MessageAttributes={
                    k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()
                },
            )
            self.log(f"scheduler {entry.name} gave up after {job.attempt} attempt(s); sent to DLQ")
        except Exception as send_exc:
            self.log(f"scheduler {entry.name}: DLQ send failed: {send_exc}")

    def _complete(self, entry: Entry) -> None:
        if entry.action_after_completion != "DELETE":
            return
        try:
            self.scheduler.delete_schedule(GroupName=entry.group, Name=entry.name)
            self.stats.deleted += 1
            self.on_change()
        except self.scheduler.exceptions.ResourceNotFoundException:
            pass  # the executor (or the API) removed it first
        except Exception as exc:
            self.log(f"scheduler {entry.name}: delete after completion failed: {exc}")

    # ---- introspection -------------------------------------------------------------------

    def persistent_state(self) -> dict[str, dict[str, datetime]]:
        """What the state file keeps per entry: its rate() anchor and last fire."""
        with self._cond:
            state: dict[str, dict[str, datetime]] = {}
            for name, entry in self.index.items():
                state[name] = {"anchor": self._anchor(entry)}
            for name, fired in self.last_fired.items():
                if name in self.index:
                    state.setdefault(name, {})["last_fired"] = fired
            return state

    def pending(self) -> int:
        with self._cond:
            return len(self._heap)
