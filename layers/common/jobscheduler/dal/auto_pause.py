"""The executor's one write to pause a schedule that keeps failing (rare path).

The executor has no Scheduler permissions beyond deleting finished entries, so it
writes the item only: PAUSED, the note, and a check marker due now with
``apply_entries`` set; the reconciler's next pass disables the entries (without
counting it as drift). Fires in between meet a PAUSED item and are skipped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from jobscheduler.aws import error_code
from jobscheduler.dal import keys, reconcile_index
from jobscheduler.dal.executions import schedule_table
from jobscheduler.dal.failures import unavailable
from jobscheduler.models.schedules import ScheduleStatus

APPLY_ENTRIES = "apply_entries"


def pause_item(tenant: str, schedule_id: str, *, version: int, note: str, now: datetime) -> bool:
    """PAUSED if still ACTIVE at ``version``; False when a concurrent change won."""
    check = reconcile_index.check_attributes(schedule_id, now)
    values: dict[str, Any] = {
        ":paused": ScheduleStatus.PAUSED.value,
        ":active": ScheduleStatus.ACTIVE.value,
        ":note": note,
        ":now": reconcile_index.iso(now),
        ":version": version,
        ":next": version + 1,
        ":check_pk": check[reconcile_index.CHECK_PK],
        ":check_at": check[reconcile_index.CHECK_AT],
        ":apply": True,
    }
    with unavailable("pause schedule"):
        try:
            schedule_table().update_item(
                Key=keys.schedule_key(tenant, schedule_id),
                UpdateExpression=(
                    "SET #status = :paused, pause_note = :note, updated_at = :now, "
                    "version = :next, #cpk = :check_pk, #cat = :check_at, #apply = :apply "
                    "REMOVE next_run_at"
                ),
                ConditionExpression="#status = :active AND version = :version",
                ExpressionAttributeNames={
                    "#status": "status",
                    "#cpk": reconcile_index.CHECK_PK,
                    "#cat": reconcile_index.CHECK_AT,
                    "#apply": APPLY_ENTRIES,
                },
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
    return True
