"""IANA time zones: validation (with a suggestion) and cached ZoneInfo objects."""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from jobscheduler.errors import InvalidExpression, InvalidTimezone

_NAME = re.compile(r"^[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*$")
# Files in the zone database that are not zones a user means.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory", "leapseconds", "tzdata.zi"})


@lru_cache(maxsize=64)
def _all_zones_by_lower() -> dict[str, str]:
    # Slow (walks the database): only used to suggest a fix for a name that failed.
    return {name.lower(): name for name in available_timezones()}


def _refuse(name: str) -> InvalidExpression:
    zones = _all_zones_by_lower()
    suggestion = None
    close = difflib.get_close_matches(name.lower().replace(" ", "_"), list(zones), n=1)
    if close:
        suggestion = zones[close[0]]
    return InvalidTimezone(
        f"unknown timezone {name!r}; use an IANA name such as 'America/New_York' or 'UTC'",
        suggestion=suggestion,
    )


@lru_cache(maxsize=512)
def validate_timezone(name: str) -> str:
    """Return the canonical IANA name for ``name`` or raise ``InvalidExpression``."""
    if not name or len(name) > 64 or _NAME.match(name) is None or name in _NOT_ZONES:
        raise _refuse(name)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # Accept a wrong case ("europe/london") by looking the name up.
        canonical = _all_zones_by_lower().get(name.lower())
        if canonical is None:
            raise _refuse(name) from None
        return canonical
    return name


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(validate_timezone(name))


UTC = ZoneInfo("UTC")


def wall_to_utc(wall: datetime, tz: ZoneInfo) -> datetime | None:
    """UTC instant of a naive local wall time, as Scheduler runs it.

    A wall time that does not exist (spring forward) gives ``None`` (not run); one that
    occurs twice (fall back) gives its first occurrence (fold=0).
    """
    local = wall.replace(tzinfo=tz, fold=0)
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != wall:
        return None
    return instant


def is_ambiguous(wall: datetime, tz: ZoneInfo) -> bool:
    return (
        wall.replace(tzinfo=tz, fold=0).utcoffset() != wall.replace(tzinfo=tz, fold=1).utcoffset()
        and wall_to_utc(wall, tz) is not None
    )


def gap_shift(wall: datetime, tz: ZoneInfo) -> timedelta:
    """How far clocks jumped at a non-existent wall time (usually one hour)."""
    before = wall.replace(tzinfo=tz, fold=0).utcoffset() or timedelta(0)
    after = wall.replace(tzinfo=tz, fold=1).utcoffset() or timedelta(0)
    return abs(after - before)
