"""The desired state of an EventBridge Scheduler entry: a pure value the logic builds
and the Scheduler adapter writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

EntryState = Literal["ENABLED", "DISABLED"]


@dataclass(frozen=True)
class EntrySpec:
    """The desired state of one Scheduler entry (a pure value the logic builds)."""

    tenant: str
    schedule_id: str
    part: int
    name: str
    expression: str
    timezone: str
    state: EntryState
    one_off: bool
    flexible_window_minutes: int
    max_retries: int
    max_event_age_seconds: int
    start_date: datetime | None = None
    end_date: datetime | None = None
