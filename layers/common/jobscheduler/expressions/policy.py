"""Policy limits applied when a schedule is compiled (settings with defaults)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SchedulePolicy(BaseModel):
    """Shortest interval between two runs and the farthest a one-off may lie ahead.

    Build it from settings: ``SchedulePolicy(min_interval_seconds=s.min_interval_seconds,
    max_one_off_days=s.max_one_off_days)``.
    """

    model_config = ConfigDict(frozen=True)

    min_interval_seconds: int = Field(default=60, ge=60)
    max_one_off_days: int = Field(default=1826, ge=1)
