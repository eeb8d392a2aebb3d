"""One-off times: ISO 8601 datetimes and plain English ("tomorrow at 9am").

The English is read by our own grammar (english_one_off), which understands every
word or refuses the phrase; a general date parser would guess (``at 9`` -> September).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from jobscheduler.errors import InvalidExpression
from jobscheduler.expressions.english_one_off import read_one_off
from jobscheduler.expressions.zones import UTC, gap_shift, is_ambiguous, wall_to_utc, zone

_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$"
)


@dataclass(frozen=True, slots=True)
class OneOff:
    """When a one-off runs: the instant and how to write it as at() in a zone."""

    instant: datetime  # aware UTC
    wall: datetime  # naive wall time in ``timezone``
    timezone: str

    @property
    def expression(self) -> str:
        return f"at({self.wall:%Y-%m-%dT%H:%M:%S})"


def from_instant(instant: datetime, timezone: str) -> OneOff:
    """An exact instant as at() in ``timezone``.

    If that wall time occurs twice in the zone (fall back), at() would be ambiguous, so
    the one-off is written in UTC instead: it then fires at exactly the instant asked.
    """
    tz = zone(timezone)
    instant = instant.astimezone(UTC).replace(microsecond=0)
    wall = instant.astimezone(tz).replace(tzinfo=None)
    if is_ambiguous(wall, tz):
        return OneOff(instant, instant.replace(tzinfo=None), "UTC")
    return OneOff(instant, wall, timezone)


def from_wall(wall: datetime, timezone: str, source: str) -> OneOff:
    """A local wall time in ``timezone``: refused if it does not exist that day (spring
    forward); the first occurrence if it occurs twice (as Scheduler runs it)."""
    tz = zone(timezone)
    wall = wall.replace(microsecond=0, tzinfo=None)
    instant = wall_to_utc(wall, tz)
    if instant is None:
        later = wall + gap_shift(wall, tz)
        raise InvalidExpression(
            f"{source!r}: {wall:%Y-%m-%d %H:%M} does not exist in {timezone} "
            "(the clocks skip it for daylight saving time)",
            suggestion=f"{later:%Y-%m-%dT%H:%M:%S}",
        )
    return OneOff(instant, wall, timezone)


def looks_like_iso(text: str) -> bool:
    return _ISO.match(text.strip()) is not None


def parse_iso(text: str, timezone: str) -> OneOff:
    stripped = text.strip()
    try:
        parsed = datetime.fromisoformat(stripped)
    except ValueError as exc:
        raise InvalidExpression(f"{text!r} is not a real date/time: {exc}") from None
    if parsed.tzinfo is None:
        return from_wall(parsed, timezone, text)
    return from_instant(parsed, timezone)


def parse_english_one_off(text: str, timezone: str, now: datetime) -> OneOff:
    """A plain-English one-off relative to ``now`` in ``timezone`` (english_one_off)."""
    reading = read_one_off(text, now, timezone, text)
    if reading.offset is not None:
        # Exact elapsed time: "in 2 hours" is 2 real hours, across DST too.
        return from_instant(now + reading.offset, timezone)
    assert reading.wall is not None
    if reading.zone != timezone:
        # A zone in the phrase: that wall time there, written in the schedule's zone.
        return from_instant(from_wall(reading.wall, reading.zone, text).instant, timezone)
    return from_wall(reading.wall, timezone, text)
