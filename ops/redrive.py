"""Re-deliver the dead-letter queue's messages to the executor (`make redrive`).

Each message body is an executor payload (Scheduler's dead letters carry the target
input; Lambda's async dead letters carry the event). Each is invoked synchronously, so
the executor's answer says what happened:

- ran: the fire ran now (SUCCEEDED, or FAILED/TIMED_OUT as a recorded run),
- duplicate: it had already run (the claim refused it: safe to repeat a redrive),
- failed again: the invocation itself failed (the message stays in the queue).

A message is deleted once the executor has recorded it (ran or duplicate).

    python -m ops.redrive --queue-url URL --function NAME_OR_ARN [--max N] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

Invoker = Callable[[dict[str, Any]], dict[str, Any]]
_RECORDED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "SKIPPED"}


@dataclass
class RedriveReport:
    ran: int = 0
    duplicate: int = 0
    failed_again: int = 0
    unreadable: int = 0
    details: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ran": self.ran,
            "duplicate": self.duplicate,
            "failed_again": self.failed_again,
            "unreadable": self.unreadable,
        }


def lambda_invoker(function: str, lambda_client: Any | None = None) -> Invoker:
    client = lambda_client or boto3.client("lambda")

    def invoke(payload: dict[str, Any]) -> dict[str, Any]:
        response = client.invoke(
            FunctionName=function,
            InvocationType="RequestResponse",
            Payload=json.dumps(payload).encode(),
        )
        body = json.loads(response["Payload"].read() or b"{}")
        if response.get("FunctionError"):
            return {"status": "ERROR", "detail": body.get("errorMessage")}
        return dict(body)

    return invoke


def _classify(report: RedriveReport, payload: dict[str, Any], answer: dict[str, Any]) -> bool:
    """Counts the answer; True when the executor recorded the fire (delete the message)."""
    status = str(answer.get("status", "ERROR"))
    report.details.append({"schedule_id": payload.get("schedule_id"), "status": status})
    if status == "DUPLICATE":
        report.duplicate += 1
        return True
    if status in _RECORDED:
        report.ran += 1
        return True
    report.failed_again += 1
    return False


def redrive(
    queue_url: str,
    invoke: Invoker,
    *,
    sqs_client: Any | None = None,
    max_messages: int = 1000,
    dry_run: bool = False,
) -> RedriveReport:
    sqs = sqs_client or boto3.client("sqs")
    report = RedriveReport()
    seen = 0
    while seen < max_messages:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, max_messages - seen),
            WaitTimeSeconds=0,
            # Long enough to run one batch; a message not deleted comes back later.
            VisibilityTimeout=900,
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            seen += 1
            try:
                payload = json.loads(message["Body"])
            except ValueError:
                report.unreadable += 1
                continue
            if not isinstance(payload, dict):
                report.unreadable += 1
                continue
            if dry_run:
                report.details.append({"schedule_id": payload.get("schedule_id")})
                continue
            try:
                answer = invoke(payload)
            except Exception as exc:  # noqa: BLE001 (any failure: report it, keep the message)
                answer = {"status": "ERROR", "detail": f"{type(exc).__name__}: {exc}"}
            if _classify(report, payload, answer):
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.redrive", description=__doc__)
    parser.add_argument("--queue-url", required=True, help="the DLQ (output DeadLetterQueueUrl)")
    parser.add_argument(
        "--function", required=True, help="the executor (output ExecutorFunctionArn)"
    )
    parser.add_argument("--max", type=int, default=1000, help="messages to read at most")
    parser.add_argument("--dry-run", action="store_true", help="read and count, invoke nothing")
    args = parser.parse_args(argv)
    report = redrive(
        args.queue_url, lambda_invoker(args.function), max_messages=args.max, dry_run=args.dry_run
    )
    sys.stdout.write(json.dumps(report.as_dict()) + "\n")
    return 1 if report.failed_again else 0


if __name__ == "__main__":
    sys.exit(main())
