"""compile_schedule: any accepted input form -> EventBridge expression(s) + description."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jobscheduler.errors import InvalidExpression
from jobscheduler.expressions import recurring
from jobscheduler.expressions.describe import describe
from jobscheduler.expressions.eventbridge import (
    CronSpec,
    RateSpec,
    looks_like_eventbridge,
    parse_expression,
)
from jobscheduler.expressions.except_clause import parse_except, split_except
from jobscheduler.expressions.natural import (
    OneOff,
    from_wall,
    looks_like_iso,
    parse_english_one_off,
    parse_iso,
)
from jobscheduler.expressions.policy import SchedulePolicy
from jobscheduler.expressions.preview import next_runs
from jobscheduler.expressions.unix_cron import compile_unix, looks_like_cron
from jobscheduler.expressions.zones import UTC, validate_timezone
from jobscheduler.models.calendars import ExclusionRule
from jobscheduler.models.schedules import ScheduleKind

SourceForm = Literal["unix_cron", "eventbridge", "iso8601", "natural_one_off", "natural_recurring"]
_MAX_LENGTH = 256
_DEFAULT_POLICY = SchedulePolicy()
_HINT = "try 'in 5 minutes', 'tomorrow at 9am', 'every day at 9am', '0 9 * * 1-5' or 'rate(1 hour)'"


class CompiledSchedule(BaseModel):
    """What a schedule string compiles to; ``expressions`` are in ``timezone``."""

    model_config = ConfigDict(frozen=True)

    kind: ScheduleKind
    expressions: list[str]
    timezone: str
    description: str
    source_form: SourceForm
    # Exclusions the text names ("... except US holidays"); applied when fires arrive.
    exclude: list[ExclusionRule] = Field(default_factory=list)


def _utc(value: datetime) -> datetime:
    # Naive datetimes are taken as UTC (the API only passes aware ones).
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _min_gap_seconds(specs: list[CronSpec]) -> int:
    """Shortest wall-clock gap between two runs of the crons (their union)."""
    times = sorted({h * 60 + m for s in specs for h in s.hours for m in s.minutes})
    if len(times) == 1:
        return 86400
    gaps = [b - a for a, b in itertools.pairwise(times)]
    gaps.append(1440 - times[-1] + times[0])
    return min(gaps) * 60


def _refuse_undocumented(spec: CronSpec, source: str) -> None:
    """Scheduler documents L and nW in day-of-month, L and # in day-of-week, and not
    LW: a new schedule may not rely on it (stored ones still preview)."""
    if spec.dom == ("LW", 0):
        raise InvalidExpression(
            f"{source!r}: 'LW' (last weekday of the month) is not in EventBridge "
            "Scheduler's documented cron syntax (it documents L, nW and d#n), so it is "
            "not accepted; 'L' is the last day of the month and '6L' its last Friday",
        )


def _always_fires(expression: str) -> bool:
    """True when a recurring expression certainly has future runs: a rate, or a cron
    without a year limit whose day/month combination exists (checked when parsed; a
    nW/LW/dL/d#n day exists in some month of any month set)."""
    parsed = parse_expression(expression)
    if isinstance(parsed, RateSpec):
        return True
    return isinstance(parsed, CronSpec) and len(parsed.years) == 230


def _check_interval(seconds: int, policy: SchedulePolicy, source: str) -> None:
    if seconds < policy.min_interval_seconds:
        limit = policy.min_interval_seconds
        shown = f"{limit // 60} minutes" if limit % 60 == 0 else f"{limit} seconds"
        raise InvalidExpression(
            f"{source!r} runs every {seconds} seconds; the minimum interval between runs "
            f"is {shown}",
            suggestion=f"every {limit // 60} minutes" if limit % 60 == 0 else None,
        )


def _one_off(
    one_off: OneOff,
    source: str,
    form: SourceForm,
    now: datetime,
    policy: SchedulePolicy,
    start_at: datetime | None,
    end_at: datetime | None,
) -> CompiledSchedule:
    if one_off.instant <= now:
        raise InvalidExpression(
            f"{source!r} is in the past ({one_off.instant:%Y-%m-%d %H:%M:%S} UTC; now is "
            f"{now:%Y-%m-%d %H:%M:%S} UTC); a one-off must be in the future",
            suggestion="in 5 minutes",
        )
    if one_off.instant - now > timedelta(days=policy.max_one_off_days):
        raise InvalidExpression(
            f"{source!r} is more than {policy.max_one_off_days} days ahead; the farthest a "
            "one-off may be scheduled",
        )
    if (start_at is not None and one_off.instant < start_at) or (
        end_at is not None and one_off.instant > end_at
    ):
        raise InvalidExpression(
            f"{source!r} ({one_off.instant:%Y-%m-%d %H:%M:%S} UTC) falls outside "
            "start_at/end_at, so it would never run",
        )
    expressions = [one_off.expression]
    return CompiledSchedule(
        kind=ScheduleKind.ONE_TIME,
        expressions=expressions,
        timezone=one_off.timezone,
        description=describe(expressions, one_off.timezone),
        source_form=form,
    )


def _recurring(
    expressions: list[str],
    gap: int,
    source: str,
    form: SourceForm,
    timezone: str,
    now: datetime,
    policy: SchedulePolicy,
    start_at: datetime | None,
    end_at: datetime | None,
) -> CompiledSchedule:
    _check_interval(gap, policy, source)
    # When nothing can stop it, the (croniter) look-ahead is skipped: compile stays cheap.
    can_stop = (
        start_at is not None or end_at is not None or not all(_always_fires(e) for e in expressions)
    )
    if can_stop and not next_runs(
        expressions, timezone, after=now, count=1, start_at=start_at, end_at=end_at, anchor=now
    ):
        window = " between start_at and end_at" if start_at or end_at else ""
        raise InvalidExpression(f"{source!r} never runs after now{window}")
    return CompiledSchedule(
        kind=ScheduleKind.RECURRING,
        expressions=expressions,
        timezone=timezone,
        description=describe(expressions, timezone),
        source_form=form,
    )


def compile_schedule(
    schedule: str,
    timezone: str = "UTC",
    *,
    now: datetime | None = None,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
    policy: SchedulePolicy | None = None,
    holiday_country: str | None = None,
) -> CompiledSchedule:
    """Compile a schedule string (any accepted form) for EventBridge Scheduler.

    A trailing ``except ...`` clause becomes ``exclude`` rules (``holiday_country`` is
    the country of a bare "except holidays").

    Raises ``InvalidExpression`` for anything refused (``code="invalid_timezone"`` for an
    unknown zone); the message names the problem and ``suggestion`` proposes a fix that
    compiles as it is (a suggestion that would not is dropped, never shown).
    """
    now_utc = _utc(now) if now is not None else datetime.now(UTC)
    try:
        return _compile_with_exclusions(
            schedule, timezone, now_utc, start_at, end_at, policy, holiday_country
        )
    except InvalidExpression as error:
        if error.suggestion is not None and not _suggestion_works(
            error, schedule, timezone, now_utc, start_at, end_at, policy, holiday_country
        ):
            _drop_suggestion(error)
        raise


def _suggestion_works(
    error: InvalidExpression,
    schedule: str,
    timezone: str,
    now: datetime,
    start_at: datetime | None,
    end_at: datetime | None,
    policy: SchedulePolicy | None,
    holiday_country: str | None,
) -> bool:
    suggestion = error.suggestion
    assert suggestion is not None
    try:
        if error.code == "invalid_timezone":
            validate_timezone(suggestion)
        elif suggestion != schedule:
            _compile_with_exclusions(
                suggestion, timezone, now, start_at, end_at, policy, holiday_country
            )
        else:
            return False
    except InvalidExpression:
        return False
    return True


def _drop_suggestion(error: InvalidExpression) -> None:
    error.suggestion = None
    if isinstance(error.details, dict):
        error.details = {k: v for k, v in error.details.items() if k != "suggestion"} or None


def _compile_with_exclusions(
    schedule: str,
    timezone: str,
    now_utc: datetime,
    start_at: datetime | None,
    end_at: datetime | None,
    policy: SchedulePolicy | None,
    holiday_country: str | None,
) -> CompiledSchedule:
    text = " ".join(schedule.split())
    head, clause = split_except(text)
    if clause is None:
        return _compile(schedule, timezone, now_utc, start_at, end_at, policy)
    compiled = _compile(head, timezone, now_utc, start_at, end_at, policy)
    if compiled.kind != ScheduleKind.RECURRING:
        raise InvalidExpression(
            f"{text!r}: 'except' applies to recurring schedules; a one-off runs once",
            suggestion=head,
        )
    rules = parse_except(clause.lower(), text, country=holiday_country)
    description = f"{compiled.description}, except {clause}"
    return compiled.model_copy(update={"exclude": rules, "description": description})


def _compile(
    schedule: str,
    timezone: str,
    now_utc: datetime,
    start_at: datetime | None,
    end_at: datetime | None,
    policy: SchedulePolicy | None,
) -> CompiledSchedule:
    tz_name = validate_timezone(timezone)
    policy = policy or _DEFAULT_POLICY
    start, end = _window(start_at, end_at, now_utc)
    text = _schedule_text(schedule)
    form: SourceForm
    if looks_like_eventbridge(text):
        parsed = parse_expression(text)
        if isinstance(parsed, datetime):
            one_off = from_wall(parsed, tz_name, text)
            return _one_off(one_off, text, "eventbridge", now_utc, policy, start, end)
        if isinstance(parsed, CronSpec):
            _refuse_undocumented(parsed, text)
        form = "eventbridge"
        expressions, gap = _expressions_and_gap(parsed)
    elif looks_like_cron(text):
        form = "unix_cron"
        expressions, gap = _expressions_and_gap(compile_unix(text))
    elif looks_like_iso(text):
        return _one_off(parse_iso(text, tz_name), text, "iso8601", now_utc, policy, start, end)
    elif recurring.is_recurring_phrase(lowered := text.lower()):
        form = "natural_recurring"
        expressions, gap = _expressions_and_gap(recurring.parse_recurring(lowered, text))
    else:
        one_off = parse_english_one_off(text, tz_name, now_utc)
        return _one_off(one_off, text, "natural_one_off", now_utc, policy, start, end)
    return _recurring(expressions, gap, text, form, tz_name, now_utc, policy, start, end)


def _window(
    start_at: datetime | None, end_at: datetime | None, now_utc: datetime
) -> tuple[datetime | None, datetime | None]:
    """start_at/end_at in UTC, refused when no run could fall between them."""
    start = _utc(start_at) if start_at is not None else None
    end = _utc(end_at) if end_at is not None else None
    if start is not None and end is not None and end <= start:
        raise InvalidExpression("end_at must be after start_at")
    if end is not None and end <= now_utc:
        raise InvalidExpression("end_at is in the past, so the schedule would never run")
    return start, end


def _schedule_text(schedule: str) -> str:
    text = " ".join(schedule.split())
    if not text:
        raise InvalidExpression("the schedule is empty", suggestion=_HINT)
    if len(text) > _MAX_LENGTH:
        raise InvalidExpression(f"the schedule is longer than {_MAX_LENGTH} characters")
    return text


def _expressions_and_gap(parsed: RateSpec | CronSpec | list[CronSpec]) -> tuple[list[str], int]:
    """The expressions to create, and the shortest gap between two of their runs."""
    if isinstance(parsed, RateSpec):
        return [parsed.render()], parsed.seconds
    specs = [parsed] if isinstance(parsed, CronSpec) else parsed
    return [spec.render() for spec in specs], _min_gap_seconds(specs)
