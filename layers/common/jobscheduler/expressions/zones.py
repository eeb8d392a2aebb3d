"""IANA time zones: validation (with a suggestion) and cached ZoneInfo objects."""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError, available_timezones

from jobscheduler.errors import InvalidExpression, InvalidTimezone

_NAME = re.compile(r"^[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*$")
# Files in the zone database that are not zones a user means.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory", "leapseconds", "tzdata.zi"})


@lru_cache(maxsize=64)
def _all_zones_by_lower() -> dict[str, str]:
    # Slow (walks the database): only used to suggest a fix for a name that failed.
    return {name.lower(): name for name in available_timezones()}


# Abbreviations name an offset, often ambiguous (CST, IST) and never a place's daylight
# saving rules: refused with a city zone that follows them. Etc/GMT+5 (sign inverted,
# POSIX style) remains for a fixed offset.
ABBREVIATIONS: dict[str, tuple[str, str]] = {
    "est": ("America/New_York", "Etc/GMT+5"),
    "edt": ("America/New_York", "Etc/GMT+4"),
    "cst": ("America/Chicago", "Etc/GMT+6"),
    "cdt": ("America/Chicago", "Etc/GMT+5"),
    "mst": ("America/Denver", "Etc/GMT+7"),
    "mdt": ("America/Denver", "Etc/GMT+6"),
    "pst": ("America/Los_Angeles", "Etc/GMT+8"),
    "pdt": ("America/Los_Angeles", "Etc/GMT+7"),
    "akst": ("America/Anchorage", "Etc/GMT+9"),
    "hst": ("Pacific/Honolulu", "Etc/GMT+10"),
    "bst": ("Europe/London", "Etc/GMT-1"),
    "wet": ("Europe/Lisbon", "Etc/GMT"),
    "west": ("Europe/Lisbon", "Etc/GMT-1"),
    "cet": ("Europe/Paris", "Etc/GMT-1"),
    "cest": ("Europe/Paris", "Etc/GMT-2"),
    "met": ("Europe/Paris", "Etc/GMT-1"),
    "eet": ("Europe/Athens", "Etc/GMT-2"),
    "eest": ("Europe/Athens", "Etc/GMT-3"),
    "msk": ("Europe/Moscow", "Etc/GMT-3"),
    "ist": ("Asia/Kolkata", "Etc/GMT-5"),  # also Irish and Israel time: ambiguous
    "sgt": ("Asia/Singapore", "Etc/GMT-8"),
    "hkt": ("Asia/Hong_Kong", "Etc/GMT-8"),
    "jst": ("Asia/Tokyo", "Etc/GMT-9"),
    "kst": ("Asia/Seoul", "Etc/GMT-9"),
    "awst": ("Australia/Perth", "Etc/GMT-8"),
    "acst": ("Australia/Adelaide", "Etc/GMT-9"),
    "aest": ("Australia/Sydney", "Etc/GMT-10"),
    "aedt": ("Australia/Sydney", "Etc/GMT-11"),
    "nzst": ("Pacific/Auckland", "Etc/GMT-12"),
    "nzdt": ("Pacific/Auckland", "Etc/GMT-13"),
    "est5edt": ("America/New_York", "Etc/GMT+5"),
    "cst6cdt": ("America/Chicago", "Etc/GMT+6"),
    "mst7mdt": ("America/Denver", "Etc/GMT+7"),
    "pst8pdt": ("America/Los_Angeles", "Etc/GMT+8"),
}
# A country with several zones: the one most people there mean (else zone.tab's first).
_COUNTRY_CHOICE = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "RU": "Europe/Moscow",
    "MX": "America/Mexico_City",
    "CN": "Asia/Shanghai",
    "ID": "Asia/Jakarta",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "DE": "Europe/Berlin",
    "AR": "America/Argentina/Buenos_Aires",
    "KZ": "Asia/Almaty",
    "NZ": "Pacific/Auckland",
    "CL": "America/Santiago",
    "EC": "America/Guayaquil",
    "UA": "Europe/Kyiv",
}
_COUNTRY_ALIASES = {
    "usa": "US",
    "america": "US",
    "uk": "GB",
    "united kingdom": "GB",
    "us": "US",
    "united states of america": "US",
    "england": "GB",
    "britain": "GB",
    "great britain": "GB",
    "scotland": "GB",
    "wales": "GB",
    "holland": "NL",
    "south korea": "KR",
    "korea": "KR",
    "russia": "RU",
    "vietnam": "VN",
    "iran": "IR",
    "taiwan": "TW",
}


def abbreviation_refusal(name: str) -> InvalidExpression | None:
    """The refusal for a zone abbreviation (EST, PST, CET...), or None."""
    found = ABBREVIATIONS.get(name.lower())
    if found is None:
        return None
    city, fixed = found
    return InvalidExpression(
        f"{name!r} is a time zone abbreviation, not a place: it does not say whose "
        "daylight saving rules apply (and some abbreviations mean several zones); use a "
        f"city zone such as {city!r}, or {fixed!r} for a fixed offset all year",
        code="invalid_timezone",
        suggestion=city,
    )


def _tab_lines(name: str) -> list[list[str]]:
    """Rows of a zone-database table (tzdata package, else the system database)."""
    text = ""
    try:
        text = (resources.files("tzdata") / "zoneinfo" / name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        for base in TZPATH:
            path = Path(base) / name
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                break
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def _places() -> dict[str, str]:
    """Lower-case city and country names -> the IANA zone to suggest."""
    places: dict[str, str] = {}
    for name in available_timezones():
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/")):
            places.setdefault(name.rsplit("/", 1)[1].lower().replace("_", " "), name)
    first_zone: dict[str, str] = {}
    for row in _tab_lines("zone.tab"):
        if len(row) >= 3:
            first_zone.setdefault(row[0], row[2])
    codes: dict[str, str] = {}
    for row in _tab_lines("iso3166.tab"):
        if len(row) >= 2:
            codes[row[1].strip().lower()] = row[0]
    codes.update(_COUNTRY_ALIASES)
    for country, code in codes.items():
        chosen = _COUNTRY_CHOICE.get(code) or first_zone.get(code)
        if chosen is not None:
            places.setdefault(country, chosen)
    return places


def place_zone(name: str) -> str | None:
    """The IANA zone for a city or country name ("Paris", "new york", "Japan")."""
    return _places().get(" ".join(name.lower().replace("_", " ").split()))


def _refuse(name: str) -> InvalidExpression:
    abbreviation = abbreviation_refusal(name)
    if abbreviation is not None:
        return abbreviation
    place = place_zone(name)
    if place is not None:
        return InvalidExpression(
            f"unknown timezone {name!r}: time zones are IANA names; for {name!r} that is {place!r}",
            code="invalid_timezone",
            suggestion=place,
        )
    zones = _all_zones_by_lower()
    suggestion = None
    close = difflib.get_close_matches(name.lower().replace(" ", "_"), list(zones), n=1, cutoff=0.8)
    if close:
        suggestion = zones[close[0]]
    return InvalidTimezone(
        f"unknown timezone {name!r}; use an IANA name such as 'America/New_York' or 'UTC'",
        suggestion=suggestion,
    )


@lru_cache(maxsize=512)
def validate_timezone(name: str) -> str:
    """Return the canonical IANA name for ``name`` or raise ``InvalidExpression``."""
    if (
        not name
        or len(name) > 64
        or _NAME.match(name) is None
        or name in _NOT_ZONES
        or name.lower() in ABBREVIATIONS
    ):
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
