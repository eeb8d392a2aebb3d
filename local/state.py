"""Keeps the local stack's state in a JSON file across restarts (moto has no persistence).

What matters to a user: the table's items, the Scheduler entries, the SNS http(s)
subscriptions, the webhook signing secrets (SSM parameters under the stack's prefix),
and, for the Scheduler emulator, the last fire of each entry (so a one-off does not fire
twice) and each entry's original creation time (the rate() anchor, since a restored
entry gets a new CreationDate). Written atomically (temp file + rename).

The caller takes the snapshot while no handler runs (see local.functions.SnapshotGate),
so items and entries are seen at one moment; a snapshot reads only the entries that
are new or changed since the previous one, so it stays short.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

VERSION = 1
_SCHEDULE_FIELDS = (
    "Description",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "FlexibleTimeWindow",
    "Target",
    "State",
    "ActionAfterCompletion",
    "KmsKeyArn",
)


def _encode(value: Any) -> Any:
    """JSON-safe form of DynamoDB attribute values (bytes become tagged base64)."""
    if isinstance(value, bytes):
        return {"__b64__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__b64__"}:
            return base64.b64decode(value["__b64__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _dt(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


class StateStore:
    def __init__(
        self,
        path: Path,
        *,
        clients: dict[str, Any],
        table_name: str,
        group: str,
        topic_arn: str,
        secret_prefix: str,
    ) -> None:
        self.path = path
        self.c = clients
        self.table_name = table_name
        self.group = group
        self.topic_arn = topic_arn
        self.secret_prefix = secret_prefix
        # Entry name -> (ListSchedules' LastModificationDate and State, saved form).
        self._entries: dict[str, tuple[str, dict[str, Any]]] = {}

    # ---- snapshot ------------------------------------------------------------------------

    def snapshot(self, emulator_state: dict[str, dict[str, datetime]]) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        for page in self.c["dynamodb"].get_paginator("scan").paginate(TableName=self.table_name):
            items.extend(page.get("Items", []))
        schedules = self._schedules()
        subscriptions: list[dict[str, str]] = []
        for page in (
            self.c["sns"]
            .get_paginator("list_subscriptions_by_topic")
            .paginate(TopicArn=self.topic_arn)
        ):
            for sub in page.get("Subscriptions", []):
                if sub["Protocol"] in ("http", "https"):
                    subscriptions.append({"Protocol": sub["Protocol"], "Endpoint": sub["Endpoint"]})
        parameters: list[dict[str, str]] = []
        with contextlib.suppress(Exception):  # an endpoint without SSM: nothing to keep
            for page in (
                self.c["ssm"]
                .get_paginator("get_parameters_by_path")
                .paginate(Path=self.secret_prefix, Recursive=True, WithDecryption=True)
            ):
                for param in page.get("Parameters", []):
                    parameters.append(
                        {"Name": param["Name"], "Type": param["Type"], "Value": param["Value"]}
                    )
        snapshot: dict[str, Any] = _encode(
            {
                "version": VERSION,
                "table_items": items,
                "schedules": schedules,
                "sns_subscriptions": subscriptions,
                "ssm_parameters": parameters,
                "scheduler": {
                    name: {k: v.isoformat() for k, v in values.items()}
                    for name, values in emulator_state.items()
                },
            }
        )
        return snapshot

    def warm_up(self) -> None:
        """One cheap read of each service the snapshot uses, outside any snapshot."""
        with contextlib.suppress(Exception):
            self.c["ssm"].get_parameters_by_path(Path=self.secret_prefix, MaxResults=1)

    def _schedules(self) -> list[dict[str, Any]]:
        scheduler = self.c["scheduler"]
        schedules: list[dict[str, Any]] = []
        seen: dict[str, tuple[str, dict[str, Any]]] = {}
        for page in scheduler.get_paginator("list_schedules").paginate(GroupName=self.group):
            for summary in page.get("Schedules", []):
                name = summary["Name"]
                # moto stamps LastModificationDate in microseconds: a changed entry
                # always shows a new one.
                version = f"{summary.get('LastModificationDate')}|{summary.get('State')}"
                cached = self._entries.get(name)
                if cached is not None and cached[0] == version:
                    saved = cached[1]
                else:
                    try:
                        detail = scheduler.get_schedule(GroupName=self.group, Name=name)
                    except scheduler.exceptions.ResourceNotFoundException:
                        continue
                    saved = {
                        "Name": detail["Name"],
                        "CreationDate": detail.get("CreationDate"),
                        "StartDate": detail.get("StartDate"),
                        "EndDate": detail.get("EndDate"),
                        **{f: detail[f] for f in _SCHEDULE_FIELDS if detail.get(f) is not None},
                    }
                seen[name] = (version, saved)
                schedules.append(saved)
        self._entries = seen
        return schedules

    @staticmethod
    def dumps(snapshot: dict[str, Any]) -> str:
        return json.dumps(snapshot, indent=1, sort_keys=True)

    def save(self, emulator_state: dict[str, dict[str, datetime]]) -> int:
        """Snapshot and write; returns the number of bytes written."""
        return self.write(self.dumps(self.snapshot(emulator_state)))

    def write(self, data: str) -> int:
        """Write atomically (a reader, or a crash, sees the old file or the new one)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".state-", dir=str(self.path.parent))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return len(data)

    # ---- restore -------------------------------------------------------------------------

    def load(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        data = json.loads(self.path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError(f"{self.path}: not a state file of version {VERSION}")
        decoded: dict[str, Any] = _decode(data)
        return decoded

    def restore(self, data: dict[str, Any]) -> dict[str, dict[str, datetime]]:
        """Recreate what the snapshot holds; returns the emulator's per-entry state
        ({"anchors": {name: dt}, "last_fired": {name: dt}})."""
        ddb = self.c["dynamodb"]
        items = data.get("table_items", [])
        for start in range(0, len(items), 25):
            requests: dict[str, Any] = {
                self.table_name: [
                    {"PutRequest": {"Item": item}} for item in items[start : start + 25]
                ]
            }
            while requests:
                response = ddb.batch_write_item(RequestItems=requests)
                requests = response.get("UnprocessedItems") or {}
        scheduler = self.c["scheduler"]
        anchors: dict[str, datetime] = {}
        now = datetime.now(UTC)
        for entry in data.get("schedules", []):
            kwargs: dict[str, Any] = {
                "GroupName": self.group,
                "Name": entry["Name"],
                **{f: entry[f] for f in _SCHEDULE_FIELDS if entry.get(f) is not None},
            }
            kwargs.setdefault("FlexibleTimeWindow", {"Mode": "OFF"})
            start_date = _dt(entry.get("StartDate"))
            end_date = _dt(entry.get("EndDate"))
            # Scheduler refuses a StartDate more than 5 minutes in the past; a past one
            # only mattered as the rate() anchor, which we keep below.
            if start_date is not None and start_date > now - timedelta(minutes=4):
                kwargs["StartDate"] = start_date
            if end_date is not None:
                kwargs["EndDate"] = end_date
            created = _dt(entry.get("CreationDate"))
            anchor = start_date or created
            if anchor is not None:
                anchors[entry["Name"]] = anchor
            with contextlib.suppress(scheduler.exceptions.ConflictException):
                scheduler.create_schedule(**kwargs)
        for sub in data.get("sns_subscriptions", []):
            self.c["sns"].subscribe(
                TopicArn=self.topic_arn, Protocol=sub["Protocol"], Endpoint=sub["Endpoint"]
            )
        for param in data.get("ssm_parameters", []):
            self.c["ssm"].put_parameter(
                Name=param["Name"], Type=param["Type"], Value=param["Value"], Overwrite=True
            )
        emulator = data.get("scheduler", {})
        last_fired = {
            name: dt
            for name, values in emulator.items()
            if (dt := _dt(values.get("last_fired"))) is not None
        }
        for name, values in emulator.items():
            if (anchor_dt := _dt(values.get("anchor"))) is not None:
                anchors[name] = anchor_dt
        return {"anchors": anchors, "last_fired": last_fired}
