"""Schedules as code: the file format, its JSON Schema, validation and normalization.

A file is ``schedules:`` followed by a list of create bodies (POST /schedules). The body's
schema is the API's own pydantic model (``ScheduleCreate``), generated into
``create_body.schema.json``; a test keeps that copy equal to the model, so the CLI needs
no import of the server's code and cannot drift from it unnoticed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from pydantic import AnyUrl, BaseModel, ConfigDict, Field, ValidationError

# The tag that marks a schedule as managed by a schedules file (tag keys cannot hold ':').
MANAGED_TAG = "managed-by"
MANAGED_VALUE = "jobsched"

# The fields of a create body, in the order a file lists them.
SPEC_FIELDS = (
    "name",
    "description",
    "schedule",
    "timezone",
    "start_at",
    "end_at",
    "max_runs",
    "task",
    "retry",
    "overlap",
    "notify_started",
    "flexible_window_minutes",
    "priority",
    "tags",
    "exclude",
    "holiday_country",
    "notify_started",
    "missed_run_grace_seconds",
    "pause_after_failures",
)


class SpecError(Exception):
    """A file that cannot be applied: every problem, each with its location."""

    def __init__(self, path: str, problems: list[str]) -> None:
        super().__init__(f"{path}: {len(problems)} problem(s)")
        self.path = path
        self.problems = problems


class ScheduleFile(BaseModel):
    """The top level of a schedules file."""

    model_config = ConfigDict(extra="forbid", title="jobsched schedules file")

    schedules: list[dict[str, Any]] = Field(
        description="Schedules, each a POST /schedules body; `name` is required and unique "
        "within the file, and is how `jobsched apply` matches a schedule to this entry."
    )


@cache
def create_body_schema() -> dict[str, Any]:
    text = resources.files("jobsched").joinpath("create_body.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def file_schema() -> dict[str, Any]:
    """The JSON Schema of a schedules file (for editors: yaml-language-server, VS Code)."""
    body = dict(create_body_schema())
    defs = body.pop("$defs", {})
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **ScheduleFile.model_json_schema(),
    }
    schema["$defs"] = {**defs, "ScheduleCreate": body}
    schema["properties"]["schedules"]["items"] = {"$ref": "#/$defs/ScheduleCreate"}
    return schema


def read_document(path: Path) -> Any:
    try:
        text = path.read_text()
    except OSError as error:
        raise SpecError(str(path), [f"cannot read the file: {error.strerror or error}"]) from None
    try:
        # YAML is a superset of JSON: one parser reads both.
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise SpecError(str(path), [f"{where}not valid YAML/JSON: {problem}"]) from None


def _location(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def load_file(path: Path) -> list[dict[str, Any]]:
    """The file's schedules, validated; SpecError lists every problem before any call."""
    document = read_document(path)
    problems: list[str] = []
    try:
        parsed = ScheduleFile.model_validate(document)
    except ValidationError as error:
        for item in error.errors():
            problems.append(f"{_location(item['loc'])}: {item['msg']}")
        raise SpecError(str(path), problems) from None
    validator = Draft202012Validator(create_body_schema())
    seen: dict[str, int] = {}
    for index, entry in enumerate(parsed.schedules):
        for where, message in _schema_problems(validator, entry):
            problems.append(f"{_location(['schedules', index, *where])}: {_short(message)}")
        name = entry.get("name")
        if isinstance(name, str):
            if name in seen:
                problems.append(
                    f"schedules[{index}].name: {name!r} is already the name of schedules[{seen[name]}]"
                    " (names are unique within a file)"
                )
            else:
                seen[name] = index
        tags = entry.get("tags")
        if isinstance(tags, dict) and MANAGED_TAG in tags and tags[MANAGED_TAG] != MANAGED_VALUE:
            problems.append(
                f"schedules[{index}].tags.{MANAGED_TAG}: reserved for jobsched "
                f"(it marks the schedules a file manages); remove it"
            )
    if problems:
        raise SpecError(str(path), problems)
    return parsed.schedules


def _schema_problems(validator: Any, instance: Any) -> list[tuple[list[Any], str]]:
    """Schema errors as (path, message). A tagged union (the task) is explained from the
    branch its ``type`` names, not as "not valid under any of the given schemas"."""
    found: list[tuple[list[Any], str]] = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        path = list(error.absolute_path)
        discriminator = error.schema.get("discriminator") if error.validator == "oneOf" else None
        if not discriminator or not isinstance(error.instance, dict):
            found.append((path, error.message))
            continue
        tag = discriminator["propertyName"]
        mapping: dict[str, str] = discriminator["mapping"]
        kind = error.instance.get(tag)
        if kind not in mapping:
            found.append(([*path, tag], f"{kind!r} is not one of {sorted(mapping)}"))
            continue
        branch = {"$defs": create_body_schema()["$defs"], "$ref": mapping[kind]}
        for sub_path, message in _schema_problems(Draft202012Validator(branch), error.instance):
            found.append(([*path, *sub_path], message))
    return found


def _short(message: str) -> str:
    return message if len(message) <= 200 else message[:197] + "..."


# --- normalization: the same schedule compares equal whichever way it was written -------


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    root = create_body_schema()
    while "$ref" in node:
        ref = str(node["$ref"])
        base = {k: v for k, v in node.items() if k != "$ref"}
        target = root["$defs"][ref.rsplit("/", 1)[-1]]
        node = {**target, **base}
    return node


def _variant(node: dict[str, Any], value: Any) -> dict[str, Any] | None:
    """The branch of a union (oneOf/anyOf) that describes ``value``."""
    node = _resolve(node)
    branches = node.get("oneOf") or node.get("anyOf")
    if not branches:
        return node
    discriminator = node.get("discriminator", {})
    if isinstance(value, dict) and discriminator:
        ref = discriminator.get("mapping", {}).get(value.get(discriminator.get("propertyName")))
        return _resolve({"$ref": ref}) if ref else None
    if value is None:
        return None
    for branch in branches:
        resolved = _resolve(branch)
        if resolved.get("type") != "null":
            return _variant(resolved, value)
    return None


def normalize(value: Any, node: dict[str, Any] | None) -> Any:
    """``value`` with the schema's defaults filled in and the server's canonical spellings
    (upper-case HTTP methods, URLs as pydantic writes them, datetimes in UTC)."""
    schema = _variant(node, value) if node is not None else None
    if schema is None:
        return value
    if isinstance(value, dict) and "properties" in schema:
        out: dict[str, Any] = {}
        properties: dict[str, Any] = schema["properties"]
        for key, sub in properties.items():
            if key in value:
                out[key] = normalize(value[key], sub)
            elif "default" in sub:
                out[key] = normalize(sub["default"], sub)
            else:
                resolved = _resolve(sub)
                if resolved.get("type") == "object" and key not in schema.get("required", []):
                    out[key] = normalize({}, sub)
                elif resolved.get("type") == "array" and key not in schema.get("required", []):
                    out[key] = []
        for key in value.keys() - properties.keys():
            out[key] = value[key]
        return out
    if isinstance(value, list) and "items" in schema:
        return [normalize(item, schema["items"]) for item in value]
    if isinstance(value, str):
        if schema.get("format") == "uri":
            try:
                return str(AnyUrl(value))
            except ValueError:
                return value
        if schema.get("format") == "date-time":
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
            if moment.tzinfo is not None:
                return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
            return value
        if "enum" in schema and value not in schema["enum"] and value.upper() in schema["enum"]:
            return value.upper()
    return value


def desired_state(entry: dict[str, Any]) -> dict[str, Any]:
    """A file entry as the server will store it, without the managed-by marker."""
    state = normalize(dict(entry), create_body_schema())
    tags = dict(state.get("tags") or {})
    tags.pop(MANAGED_TAG, None)
    state["tags"] = tags
    return {key: state.get(key) for key in SPEC_FIELDS}


def current_state(schedule: dict[str, Any]) -> dict[str, Any]:
    """A schedule from the API, reduced to the fields of a create body."""
    spec = {key: schedule.get(key) for key in SPEC_FIELDS if key in schedule}
    return desired_state(spec)


def export_entry(schedule: dict[str, Any]) -> dict[str, Any]:
    """A schedule as a file entry: only what differs from the defaults, marker removed."""
    state = current_state(schedule)
    defaults = desired_state({"name": state["name"], "schedule": "", "task": state["task"]})
    out: dict[str, Any] = {}
    for key in SPEC_FIELDS:
        value = state.get(key)
        if key in ("name", "schedule", "task") or value != defaults.get(key):
            out[key] = compact_task(value) if key == "task" else value
    return out


def compact_task(value: Any) -> Any:
    """A task without the fields its schema fills in anyway, ``type`` first (keeps
    exported files and tables short)."""
    if not isinstance(value, dict):
        return value
    bare = normalize({"type": value.get("type")}, create_body_schema()["properties"]["task"])
    rest = {
        key: item
        for key, item in value.items()
        if key != "type" and (key not in bare or bare[key] != item)
    }
    return {"type": value.get("type"), **rest}


def dump_document(entries: list[dict[str, Any]], fmt: str) -> str:
    document = {"schedules": entries}
    if fmt == "json":
        return json.dumps(document, indent=2) + "\n"
    header = (
        "# yaml-language-server: $schema=schedules.schema.json\n"
        "# Written by `jobsched export`; apply with `jobsched apply -f FILE`.\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
