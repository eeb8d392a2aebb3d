"""Single-table key design. Every key starts with the tenant.

Item               PK                         SK                   GSI1PK / GSI1SK                       GSI2PK / GSI2SK
schedule           TENANT#{t}                 SCHEDULE#{id}        TENANT#{t}#LIVE|DELETED / {name}#{id}  -
tenant counter     TENANT#{t}                 QUOTA                -                                      -
idempotency key    TENANT#{t}                 IDEMPOTENCY#{key}    -                                      -
execution          TENANT#{t}#SCHEDULE#{id}   EXEC#{execution_id}  -                                      TENANT#{t}#EXECUTIONS / EXEC#{execution_id}#{id}

- A page of a tenant's schedules is a Query on GSI1 (LIVE partition, sorted by name, so
  a name prefix is a begins_with key condition). GET one schedule is a GetItem.
- A page of a schedule's executions is a Query on the execution partition, newest first
  (execution ids sort by scheduled time), since/until become a BETWEEN on SK.
- A page of a tenant's executions across schedules (GET /executions) is a Query on GSI2:
  one partition per tenant, sorted by execution id (that is, by time) then schedule id,
  so since/until are the same BETWEEN as above.
- The claim of a scheduled run is a conditional put on EXEC#{execution_id}, where the id
  is derived from the scheduled time: two deliveries of one fire meet the same item.
- Idempotency records (POST /schedules with Idempotency-Key) live 24 h: ``expires_at``.
- Execution items carry ``expires_at`` (epoch seconds), the table's TTL attribute.
"""

from __future__ import annotations

from datetime import datetime

# Execution ids are a domain notion (models.ids); re-exported for the stores.
from jobscheduler.models.ids import id_stamp as _stamp
from jobscheduler.models.ids import manual_execution_id as manual_execution_id
from jobscheduler.models.ids import retry_execution_id as retry_execution_id
from jobscheduler.models.ids import scheduled_execution_id as scheduled_execution_id

PK = "PK"
SK = "SK"
GSI1 = "GSI1"
GSI1PK = "GSI1PK"
GSI1SK = "GSI1SK"
GSI2 = "GSI2"
GSI2PK = "GSI2PK"
GSI2SK = "GSI2SK"
TTL_ATTRIBUTE = "expires_at"


def tenant_pk(tenant: str) -> str:
    return f"TENANT#{tenant}"


def schedule_sk(schedule_id: str) -> str:
    return f"SCHEDULE#{schedule_id}"


def schedule_key(tenant: str, schedule_id: str) -> dict[str, str]:
    return {PK: tenant_pk(tenant), SK: schedule_sk(schedule_id)}


def schedule_gsi1pk(tenant: str, deleted: bool) -> str:
    return f"TENANT#{tenant}#{'DELETED' if deleted else 'LIVE'}"


def schedule_gsi1sk(name: str, schedule_id: str) -> str:
    return f"{name}#{schedule_id}"


def quota_key(tenant: str) -> dict[str, str]:
    return {PK: tenant_pk(tenant), SK: "QUOTA"}


def idempotency_key(tenant: str, key: str) -> dict[str, str]:
    """The record of one client Idempotency-Key of POST /schedules (carries expires_at)."""
    return {PK: tenant_pk(tenant), SK: f"IDEMPOTENCY#{key}"}


def executions_pk(tenant: str, schedule_id: str) -> str:
    return f"TENANT#{tenant}#SCHEDULE#{schedule_id}"


def execution_sk(execution_id: str) -> str:
    return f"EXEC#{execution_id}"


def execution_key(tenant: str, schedule_id: str, execution_id: str) -> dict[str, str]:
    return {PK: executions_pk(tenant, schedule_id), SK: execution_sk(execution_id)}


def tenant_executions_pk(tenant: str) -> str:
    """GSI2 partition: every execution of the tenant, whatever its schedule."""
    return f"TENANT#{tenant}#EXECUTIONS"


def tenant_execution_sk(schedule_id: str, execution_id: str) -> str:
    """GSI2 sort key: starts like execution_sk, so execution_sk_bound bounds it too."""
    return f"{execution_sk(execution_id)}#{schedule_id}"


def execution_sk_bound(moment: datetime, *, upper: bool) -> str:
    """SK bound for since/until filters (inclusive): '~' sorts after every id suffix."""
    return execution_sk(_stamp(moment) + ("~" if upper else ""))
