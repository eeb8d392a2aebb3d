"""What `jobsched apply` will do: match a file's schedules to the tenant's, diff them.

Pure functions of (file entries, schedules from the API): no I/O, so the plan can be
tested exhaustively and printed before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from jobsched.spec import MANAGED_TAG, MANAGED_VALUE, SPEC_FIELDS, current_state, desired_state

# PATCH clears these with null; the others always hold a value.
NULLABLE_FIELDS = frozenset({"description", "start_at", "end_at", "max_runs"})


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Step:
    action: Action
    name: str
    schedule_id: str | None = None
    version: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    changes: tuple[FieldChange, ...] = ()
    adopt: bool = False


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    unchanged: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(self.steps)

    def count(self, action: Action) -> int:
        return sum(1 for step in self.steps if step.action == action)


def is_managed(schedule: dict[str, Any]) -> bool:
    tags = schedule.get("tags") or {}
    return bool(tags.get(MANAGED_TAG) == MANAGED_VALUE)


def diff(old: Any, new: Any, path: str = "") -> list[FieldChange]:
    """Field-by-field differences; dicts recurse, anything else compares whole."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[FieldChange] = []
        for key in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{key}" if path else str(key)
            changes += diff(old.get(key), new.get(key), sub)
        return changes
    return [] if old == new else [FieldChange(path, old, new)]


def _with_marker(tags: dict[str, str] | None) -> dict[str, str]:
    return {**(tags or {}), MANAGED_TAG: MANAGED_VALUE}


def build_plan(
    entries: list[dict[str, Any]], schedules: list[dict[str, Any]], *, prune: bool
) -> Plan:
    """Match by name among the managed schedules; an unmanaged schedule of that name (only
    one) is adopted; with ``prune``, managed schedules the file no longer lists go."""
    managed: dict[str, list[dict[str, Any]]] = {}
    unmanaged: dict[str, list[dict[str, Any]]] = {}
    for schedule in schedules:
        bucket = managed if is_managed(schedule) else unmanaged
        bucket.setdefault(str(schedule["name"]), []).append(schedule)
    steps: list[Step] = []
    unchanged: list[str] = []
    notes: list[str] = []
    for entry in entries:
        name = str(entry["name"])
        desired = desired_state(entry)
        body = {k: v for k, v in entry.items() if k in SPEC_FIELDS}
        body["tags"] = _with_marker(body.get("tags"))
        candidates = managed.pop(name, [])
        adopt = False
        if not candidates and len(unmanaged.get(name, [])) == 1:
            candidates, adopt = unmanaged.pop(name), True
        elif not candidates and unmanaged.get(name):
            notes.append(
                f"{len(unmanaged[name])} unmanaged schedules are named {name!r}: "
                "a new one is created and they are left alone"
            )
        if not candidates:
            steps.append(Step(Action.CREATE, name, body=body))
            continue
        current, extras = candidates[0], candidates[1:]
        for extra in extras:
            # Two managed schedules with one name (created outside apply): keep the first.
            managed.setdefault(name, []).append(extra)
        changes = diff(current_state(current), desired)
        if adopt:
            changes.append(FieldChange(f"tags.{MANAGED_TAG}", None, MANAGED_VALUE))
        if not changes:
            unchanged.append(name)
            continue
        changed_top = {change.path.split(".", 1)[0] for change in changes}
        patch: dict[str, Any] = {}
        for key in SPEC_FIELDS:
            if key not in changed_top:
                continue
            if key == "tags":
                patch["tags"] = _with_marker(desired.get("tags"))
            elif key in body:
                patch[key] = body[key]
            elif key in NULLABLE_FIELDS:
                patch[key] = None
            else:
                patch[key] = desired[key]
        steps.append(
            Step(
                Action.UPDATE,
                name,
                schedule_id=str(current["id"]),
                version=int(current["version"]),
                body=patch,
                changes=tuple(changes),
                adopt=adopt,
            )
        )
    leftovers = [s for group in managed.values() for s in group]
    for schedule in sorted(leftovers, key=lambda s: (str(s["name"]), str(s["id"]))):
        if prune:
            steps.append(
                Step(
                    Action.DELETE,
                    str(schedule["name"]),
                    schedule_id=str(schedule["id"]),
                    version=int(schedule["version"]),
                )
            )
        else:
            notes.append(
                f"{schedule['name']!r} ({schedule['id']}) is managed but not in the file: "
                "kept (--prune deletes it)"
            )
    return Plan(tuple(steps), tuple(unchanged), tuple(notes))
