"""Read one schedule or a page of a tenant's schedules."""

from __future__ import annotations

from jobscheduler.logic.schedules.common import load
from jobscheduler.models.api import ScheduleListQuery
from jobscheduler.models.pagination import Page
from jobscheduler.models.schedules import Schedule, ScheduleStatus
from jobscheduler.wiring import schedule_store as store


def get(tenant: str, schedule_id: str) -> Schedule:
    return load(tenant, schedule_id)


def list_schedules(tenant: str, query: ScheduleListQuery) -> Page[Schedule]:
    tag = None
    if query.tag is not None:
        key, _, value = query.tag.partition(":")
        tag = (key, value)
    deleted = query.status == ScheduleStatus.DELETED
    return store.list_page(
        tenant,
        deleted=deleted,
        limit=query.limit,
        cursor=query.cursor,
        name_prefix=query.name_prefix,
        status=None if deleted else query.status,
        task_type=query.task_type,
        tag=tag,
    )
