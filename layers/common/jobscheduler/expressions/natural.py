"""One-off times: ISO 8601 datetimes and plain English ("tomorrow at 9am").

dateparser reads the English; it is imported here, inside the function, and nowhere
else: it costs ~80 ms to import and more on its first parse, and the executor and the
Scheduler emulator, which only evaluate cron/rate/at, must never pay for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jobscheduler.errors import InvalidExpression
from jobscheduler.expressions.zones import UTC, gap_shift, is_ambiguous, wall_to_utc, zone

_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$"
)
# "in 5 minutes", "5 minutes from now": plain arithmetic on the instant, done here
# because it is exact across DST (2 hours means 2 real hours) and ~100x faster.
_RELATIVE = re.compile(
    r"^(?:in\s+(?P<n1>\d+|an?|one)\s+(?P<u1>[a-z]+)|(?P<n2>\d+|an?|one)\s+(?P<u2>[a-z]+)\s+from\s+now)$"
)
_UNITS = {
    "second": 1,
    "sec": 1,
    "minute": 60,
    "min": 60,
    "hour": 3600,
    "hr": 3600,
    "day": 86400,
    "week": 604800,
}
_TIME_ONLY = re.compile(r"^(?:at\s+)?(?:\d{1,2}(?::\d{2})?\s*(?:am|pm)?|noon|midnight)$")


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


def _relative(text: str, now: datetime, timezone: str) -> OneOff | None:
    match = _RELATIVE.match(text)
    if match is None:
        return None
    number = match.group("n1") or match.group("n2")
    unit = (match.group("u1") or match.group("u2")).rstrip("s") or "s"
    if unit not in _UNITS:
        return None
    amount = 1 if number in ("a", "an", "one") else int(number)
    seconds = amount * _UNITS[unit]
    if seconds == 0:
        raise InvalidExpression(f"{text!r} is now, not in the future", suggestion="in 1 minute")
    return from_instant(now + timedelta(seconds=seconds), timezone)


def _prepare(text: str) -> str:
    """Small rewrites for phrases dateparser does not know."""
    text = re.sub(r"\btonight\b", "today", text)
    if text == "today":
        # "tonight" alone: this evening, 20:00 (documented).
        text = "today at 8pm"
    text = re.sub(r"\bthis (morning|afternoon|evening)\b", "today", text)
    return re.sub(r"\b(\d{1,2})\s*o'?clock\b", r"\1:00", text)


def parse_english_one_off(text: str, timezone: str, now: datetime) -> OneOff:
    """Plain-English one-off, preferring the future, relative to ``now`` in ``timezone``."""
    lowered = " ".join(text.lower().split()).rstrip(".!")
    relative = _relative(lowered, now, timezone)
    if relative is not None:
        return relative
    if not re.search(r"[a-z]", lowered):
        raise InvalidExpression(
            f"{text!r} is not a schedule we understand",
            suggestion="try 'in 5 minutes', 'tomorrow at 9am', '0 9 * * 1-5' or 'every day at 9am'",
        )
    import dateparser

    tz = zone(timezone)
    local_now = now.astimezone(tz).replace(tzinfo=None, microsecond=0)
    settings: dict[str, Any] = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": local_now,
        "TIMEZONE": timezone,
        "RETURN_AS_TIMEZONE_AWARE": True,
    }
    prepared = _prepare(lowered)
    result = dateparser.parse(prepared, languages=["en"], settings=settings)
    if result is None:
        raise InvalidExpression(
            f"{text!r} is not a schedule we understand",
            suggestion="try 'in 5 minutes', 'tomorrow at 9am', '0 9 * * 1-5' or 'every day at 9am'",
        )
    if getattr(result.tzinfo, "zone", None) == timezone:
        # No zone in the text: dateparser's tzinfo is a pytz zone that is not normalised
        # for DST, so take the wall time and apply Scheduler's rules ourselves.
        wall = result.replace(tzinfo=None)
        if wall <= local_now and _TIME_ONLY.match(lowered):
            wall += timedelta(days=1)  # "at 9am" said after 9am means tomorrow
        one_off = from_wall(wall, timezone, text)
    else:
        one_off = from_instant(result, timezone)
    return one_off
