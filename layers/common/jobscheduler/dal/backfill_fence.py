"""The fence a backfilled fire puts up before it claims its record.

A scheduled fire of an overlap=skip schedule claims by holding the schedule item and
raising its ``claimed_through`` mark (dal/runs.py); it never looks at execution records
until it finishes. A backfill of fire X claims the record EXEC#X (as an overlap=allow
fire would), so the two must meet on the schedule item first:

* the fence raises ``claimed_through`` to X if it is lower, so no scheduled delivery of
  X can claim it afterwards (a late retry of X is then "superseded");
* it refuses when the schedule is held by X itself (the scheduled run of X is in flight)
  or last finished X.

After the fence, the record claim (a conditional PutItem on EXEC#X, the same item a
finished scheduled run writes) decides between the backfill and any other delivery:
exactly one runs the fire.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from jobscheduler.aws import error_code
from jobscheduler.dal import keys
from jobscheduler.dal.executions import plain_item, schedule_table


def fence(tenant: str, schedule_id: str, execution_id: str) -> bool:
    """False when the scheduled path has this fire (running, or finished last)."""
    try:
        schedule_table().update_item(
            Key=keys.schedule_key(tenant, schedule_id),
            UpdateExpression="SET claimed_through = :id",
            ConditionExpression="attribute_exists(#pk)"
            " AND (attribute_not_exists(claimed_through) OR claimed_through < :id)"
            " AND (attribute_not_exists(running_execution) OR running_execution <> :id)",
            ExpressionAttributeNames={"#pk": keys.PK},
            ExpressionAttributeValues={":id": execution_id},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise
        current = plain_item(error.response.get("Item"))
        if not current:
            return True  # gone: the claim meets no schedule and skips it
        if current.get("running_execution") == execution_id:
            return False
        if current.get("last_finished") == execution_id:
            return False
        # Already at or past X: no scheduled delivery can claim X any more; the record
        # claim decides between this backfill and any other.
    return True
