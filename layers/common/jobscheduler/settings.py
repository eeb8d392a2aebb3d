"""Runtime settings, validated once per process from the environment.

Read lazily through ``get_settings()`` (never at import time) so tests and the local
stack can set the environment first.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

# Environment variable -> settings field. One table so template.yaml, the local stack
# and the tests can check that every variable the code reads is declared.
ENV_VARS: dict[str, str] = {
    "TABLE_NAME": "table_name",
    "TOPIC_ARN": "topic_arn",
    "SCHEDULE_GROUP": "schedule_group",
    "EXECUTOR_FUNCTION_ARN": "executor_function_arn",
    "SCHEDULER_ROLE_ARN": "scheduler_role_arn",
    "DLQ_ARN": "dlq_arn",
    "OWN_FUNCTIONS": "own_functions",
    "ALARM_TOPICS": "alarm_topics",
    "TENANT_CLAIM": "tenant_claim",
    "MAX_SCHEDULES_PER_TENANT": "max_schedules_per_tenant",
    "MIN_INTERVAL_SECONDS": "min_interval_seconds",
    "MAX_ONE_OFF_DAYS": "max_one_off_days",
    "EXECUTION_RETENTION_DAYS": "execution_retention_days",
    "WEBHOOK_SECRET_PREFIX": "webhook_secret_prefix",
    "ALLOW_LOOPBACK_TARGETS": "allow_loopback_targets",
    "HTTP_MAX_RESPONSE_BYTES": "http_max_response_bytes",
    "RECONCILE_SETTLE_SECONDS": "reconcile_settle_seconds",
    "MISSED_RUN_GRACE_SECONDS": "missed_run_grace_seconds",
    "RECONCILE_MAX_REPAIRS": "reconcile_max_repairs",
    "RECONCILE_SWEEP_BATCH": "reconcile_sweep_batch",
    "RECONCILER_FUNCTION_ARN": "reconciler_function_arn",
    "CONSOLE_COGNITO_DOMAIN": "console_cognito_domain",
    "CONSOLE_COGNITO_CLIENT_ID": "console_cognito_client_id",
    "MAX_SUBSCRIPTIONS_PER_TENANT": "max_subscriptions_per_tenant",
    "TENANT_TOPIC_PREFIX": "tenant_topic_prefix",
    "TENANT_TOPIC_CACHE_SECONDS": "tenant_topic_cache_seconds",
    "EVENTS_KMS_KEY_ID": "events_kms_key_id",
}


class Settings(BaseModel):
    """Everything the functions read from their environment."""

    model_config = ConfigDict(frozen=True)

    table_name: str = "job-scheduler"
    topic_arn: str = ""
    schedule_group: str = "job-scheduler"
    executor_function_arn: str = ""
    reconciler_function_arn: str = ""
    scheduler_role_arn: str = ""
    dlq_arn: str = ""
    # The stack's own functions (names and logical ids, comma separated) and alarm topics
    # (ARNs): with the topic, DLQ and table, what no task may target.
    own_functions: str = ""
    alarm_topics: str = ""
    # JWT claim that names the tenant (IAM auth uses the caller's principal instead).
    tenant_claim: str = "sub"
    max_schedules_per_tenant: int = Field(default=1000, ge=1)
    # Policy: the shortest interval between two runs of one schedule.
    min_interval_seconds: int = Field(default=60, ge=60)
    # Policy: the farthest a one-off may lie in the future (5 years).
    max_one_off_days: int = Field(default=1826, ge=1)
    execution_retention_days: int = Field(default=30, ge=1)
    # SSM SecureString parameter prefix; the tenant's webhook signing secret is
    # ``{prefix}{tenant}`` and is never stored in the schedule item.
    webhook_secret_prefix: str = "/job-scheduler/webhook-secrets/"  # noqa: S105 (a path, not a secret)
    # Local-only escape hatch for HTTP tasks aimed at loopback test servers.
    allow_loopback_targets: bool = False
    http_max_response_bytes: int = Field(default=1_048_576, ge=1024)
    # Reconciler: how long after a write the item and its entries must agree (and how
    # old a PENDING item is before its creation is rolled back).
    reconcile_settle_seconds: int = Field(default=180, ge=10, le=3600)
    # A run is missed when it has not happened this long after its time (a schedule's
    # missed_run_grace_seconds overrides it).
    missed_run_grace_seconds: int = Field(default=600, ge=60, le=86400)
    # Upper bound of schedules one pass looks at (per index), so a pass stays bounded.
    reconcile_max_repairs: int = Field(default=500, ge=1, le=10_000)
    # Scheduler entries one sweep invocation checks (the slow, full pass).
    reconcile_sweep_batch: int = Field(default=200, ge=1, le=5000)
    # The web console's Cognito hosted UI (authorization code with PKCE); empty: the
    # console offers only a pasted token.
    console_cognito_domain: str = ""
    console_cognito_client_id: str = ""
    # Event subscriptions (docs/subscriptions.md). At most 200: every subscription has a
    # filter policy, and SNS allows 200 per topic by default (one topic per tenant).
    max_subscriptions_per_tenant: int = Field(default=10, ge=1, le=200)
    # Name prefix of the per-tenant topics; empty: the events topic's name + "-t-".
    tenant_topic_prefix: str = ""
    # How long a process remembers that a tenant has no topic (0: ask on every event).
    tenant_topic_cache_seconds: int = Field(default=60, ge=0, le=3600)
    # KMS key of the per-tenant topics (the events topic's key).
    events_kms_key_id: str = ""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values = {field: env[var] for var, field in ENV_VARS.items() if env.get(var, "") != ""}
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


def reset_settings() -> None:
    """Forget cached settings (tests and the local stack change the environment)."""
    get_settings.cache_clear()
