"""A schedule's exclusions in force: those of ``exclude`` and those its words name."""

from __future__ import annotations

from collections.abc import Sequence

from jobscheduler.models.calendars import ExclusionRule


def effective_exclusions(
    explicit: Sequence[ExclusionRule], from_text: Sequence[ExclusionRule]
) -> list[ExclusionRule]:
    """Both lists, explicit first; a holiday rule is checked against the holiday data
    (422 for an unknown country or subdivision) before anything is written."""
    rules = [*explicit, *from_text]
    if rules:
        from jobscheduler.expressions.calendar import check_rules

        check_rules(rules)
    return rules
