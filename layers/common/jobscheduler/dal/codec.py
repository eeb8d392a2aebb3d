"""Converts pydantic models to DynamoDB items and back.

DynamoDB's resource API wants Decimal for numbers and returns Decimal; pydantic wants
int/float. Converting through JSON (``model_dump_json`` then ``parse_float=Decimal``)
keeps one serialization path for every model.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from jobscheduler.dal import keys
from jobscheduler.errors import ValidationFailed
from jobscheduler.models.schedules import RetryPolicy, Schedule, ScheduleStatus, empty_key_path


def to_dynamo(model: BaseModel) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(model.model_dump_json(exclude_none=True), parse_float=Decimal)
    return data


def from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [from_dynamo(item) for item in value]
    if isinstance(value, dict):
        return {key: from_dynamo(item) for key, item in value.items()}
    return value


_SCHEDULE_KEY_ATTRS = (keys.PK, keys.SK, keys.GSI1PK, keys.GSI1SK)
# Fields left out of the item while they hold their default (the model restores it on
# read; an update that sets one back to it REMOVEs the attribute). Every run writes the
# schedule item twice, billed per started KB of the larger of its old and new size, so
# ~180 bytes of defaults can double what a run costs (docs/benchmarks.md).
_EMPTY_BY_DEFAULT = ("exclude", "exclusions", "tags")
_DEFAULT_RETRY = to_dynamo(RetryPolicy())


def schedule_to_item(schedule: Schedule) -> dict[str, Any]:
    """The full item of a schedule: its fields, the tenant, and the table/index keys."""
    item = to_dynamo(schedule)
    for name in _EMPTY_BY_DEFAULT:
        if not item.get(name):
            item.pop(name, None)
    if item.get("retry") == _DEFAULT_RETRY:
        del item["retry"]
    # DynamoDB refuses a map with an empty key (moto stores it, and then cannot read the
    # item back): the models refuse them, and no write path may get one past this point.
    where = empty_key_path(item, "schedule")
    if where is not None:
        raise ValidationFailed(
            f"{where} has an empty key; every key needs at least one character",
            details=[{"loc": where.split("."), "msg": "empty key"}],
        )
    item["tenant"] = schedule.tenant  # excluded from the API shape, kept in the item
    item.update(keys.schedule_key(schedule.tenant, schedule.id))
    item[keys.GSI1PK] = keys.schedule_gsi1pk(
        schedule.tenant, schedule.status == ScheduleStatus.DELETED
    )
    item[keys.GSI1SK] = keys.schedule_gsi1sk(schedule.name, schedule.id)
    # The executor's high-water mark of claimed fires (dal/runs.py), empty until the
    # first: its presence tells the executor that no run predates it. Updates write
    # only the fields they change, so they never touch it.
    item["claimed_through"] = ""
    return item


def schedule_from_item(item: dict[str, Any]) -> Schedule:
    data = {k: v for k, v in from_dynamo(item).items() if k not in _SCHEDULE_KEY_ATTRS}
    return Schedule.model_validate(data)
