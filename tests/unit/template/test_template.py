"""template.yaml's production properties, checked statically: runtime, auth, durability,
encryption, least privilege, alarms, outputs, and that the local stack is built from it.
(sam validate, cfn-lint and checkov run in `make template-check`, not here.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jobscheduler.dal import keys
from local.resources import plan
from local.template import load_template, resources_of_type

TEMPLATE = load_template()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
PARAMETERS: dict[str, dict[str, Any]] = TEMPLATE["Parameters"]
GLOBALS: dict[str, Any] = TEMPLATE["Globals"]["Function"]

# Actions without resource-level permissions: the only ones allowed on Resource "*".
# (EMF metrics go through the logs, so cloudwatch:PutMetricData is not needed at all.)
NO_RESOURCE_LEVEL_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "scheduler:ListSchedules",
}
NO_VALUE = {"Ref": "AWS::NoValue"}


def props(logical: str) -> dict[str, Any]:
    found: dict[str, Any] = RESOURCES[logical].get("Properties", {})
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def sub_text(value: Any) -> str:
    """The text of a literal or of a Fn::Sub (what an ARN pattern looks like)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value:
        spec = value["Fn::Sub"]
        return spec if isinstance(spec, str) else str(spec[0])
    return ""


def policy_documents() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(logical id, kind, document) for every policy document of the template."""
    for logical, resource in RESOURCES.items():
        kind = resource["Type"]
        p = resource.get("Properties", {})
        if kind == "AWS::IAM::Role":
            yield logical, "trust", p["AssumeRolePolicyDocument"]
            for policy in p.get("Policies", []):
                yield logical, "identity", policy["PolicyDocument"]
        elif kind == "AWS::IAM::Policy" or kind == "AWS::IAM::ManagedPolicy":
            yield logical, "identity", p["PolicyDocument"]
        elif kind == "AWS::Serverless::Function":
            for policy in as_list(p.get("Policies", [])):
                if isinstance(policy, dict) and "Statement" in policy:
                    yield logical, "identity", policy
        elif kind == "AWS::KMS::Key":
            yield logical, "key", p["KeyPolicy"]
        elif kind in ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
            yield logical, "resource", p["PolicyDocument"]


def statements() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for logical, kind, document in policy_documents():
        for statement in as_list(document["Statement"]):
            yield logical, kind, statement


def role_statements(role: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in props(role)["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def allowed_actions(role: str) -> set[str]:
    return {
        action
        for statement in role_statements(role)
        if statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
    }


def statement_for(role: str, action: str) -> dict[str, Any]:
    found = [
        s
        for s in role_statements(role)
        if s["Effect"] == "Allow" and action in as_list(s["Action"])
    ]
    assert len(found) == 1, f"{role}: {action} is granted by {len(found)} statements"
    return found[0]


# ----------------------------------------------------------------- runtime


def test_runtime_architecture_tracing_and_powertools_globals() -> None:
    assert GLOBALS["Runtime"] == "python3.13"
    assert GLOBALS["Architectures"] == ["arm64"]
    assert GLOBALS["Tracing"] == "Active"
    env = GLOBALS["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"] == "job-scheduler"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "JobScheduler"
    assert env["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    assert env["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
    for logical in resources_of_type(TEMPLATE, "AWS::Serverless::Function"):
        p = props(logical)
        assert "Runtime" not in p, logical
        assert "Architectures" not in p, logical
        assert p["LoggingConfig"]["LogGroup"]["Ref"] in RESOURCES


def test_log_groups_have_retention_and_encryption() -> None:
    groups = resources_of_type(TEMPLATE, "AWS::Logs::LogGroup")
    assert {"ApiLogGroup", "ExecutorLogGroup", "HttpApiAccessLogGroup"} <= set(groups)
    for logical in groups:
        assert props(logical)["RetentionInDays"] == {"Ref": "LogRetentionDays"}, logical
        assert props(logical)["KmsKeyId"] == {"Fn::GetAtt": ["EncryptionKey", "Arn"]}, logical


def test_executor_async_failures_reach_the_dlq() -> None:
    p = props("ExecutorFunction")
    assert p["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
    }
    assert "sqs:SendMessage" in allowed_actions("ExecutorFunctionRole")


# ----------------------------------------------------------------- HTTP API


def test_api_auth_is_jwt_or_iam_by_parameter() -> None:
    assert PARAMETERS["AuthMode"]["AllowedValues"] == ["JWT", "IAM"]
    assert TEMPLATE["Conditions"]["UseJwt"] == {"Fn::Equals": [{"Ref": "AuthMode"}, "JWT"]}
    authorizer = RESOURCES["HttpApiJwtAuthorizer"]
    assert authorizer["Condition"] == "UseJwt"
    assert authorizer["Properties"]["AuthorizerType"] == "JWT"
    assert authorizer["Properties"]["JwtConfiguration"] == {
        "Issuer": {"Ref": "JwtIssuer"},
        "Audience": {"Ref": "JwtAudience"},
    }
    # A JWT deployment without issuer/audience is refused before anything is created.
    assert "JwtNeedsIssuerAndAudience" in TEMPLATE["Rules"]


def test_every_route_but_health_docs_and_console_requires_the_chosen_auth() -> None:
    routes = resources_of_type(TEMPLATE, "AWS::ApiGatewayV2::Route")
    keys_to_auth = {r["Properties"]["RouteKey"]: r["Properties"] for r in routes.values()}
    public = {
        "GET /health",
        "GET /docs",
        "GET /openapi.json",
        "GET /console",
        "GET /console/{proxy+}",
    }
    assert set(keys_to_auth) == {"ANY /{proxy+}", *public}
    proxy = keys_to_auth["ANY /{proxy+}"]
    assert proxy["AuthorizationType"] == {"Fn::If": ["UseJwt", "JWT", "AWS_IAM"]}
    assert proxy["AuthorizerId"] == {
        "Fn::If": ["UseJwt", {"Ref": "HttpApiJwtAuthorizer"}, NO_VALUE]
    }
    for key in public:
        assert keys_to_auth[key]["AuthorizationType"] == "NONE", key
        assert props("HttpApiStage")["RouteSettings"][key]["ThrottlingRateLimit"] <= 10, key
    for route in routes.values():
        assert route["Properties"]["Target"] == {"Fn::Sub": "integrations/${HttpApiIntegration}"}
    integration = props("HttpApiIntegration")
    # The alias: SnapStart (ApiSnapStart) only serves published versions.
    assert integration["IntegrationUri"] == {"Ref": "ApiFunction.Alias"}
    api = props("ApiFunction")
    assert api["AutoPublishAlias"] == "live"
    assert api["SnapStart"] == {"ApplyOn": {"Ref": "ApiSnapStart"}}
    assert TEMPLATE["Parameters"]["ApiSnapStart"]["Default"] == "None"  # off by default
    assert props("ApiFunctionInvokePermission")["FunctionName"] == {"Ref": "ApiFunction.Alias"}
    assert integration["PayloadFormatVersion"] == "2.0"


def test_api_throttling_access_logs_and_cors_off_by_default() -> None:
    stage = props("HttpApiStage")
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
        "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"},
    }
    assert stage["AccessLogSettings"]["DestinationArn"] == {
        "Fn::GetAtt": ["HttpApiAccessLogGroup", "Arn"]
    }
    assert "$context.requestId" in stage["AccessLogSettings"]["Format"]
    assert PARAMETERS["CorsAllowedOrigins"]["Default"] == ""
    cors = props("HttpApi")["CorsConfiguration"]["Fn::If"]
    assert cors[0] == "HasCors"
    assert cors[2] == NO_VALUE
    assert cors[1]["AllowOrigins"] == {"Ref": "CorsAllowedOrigins"}


def test_only_api_gateway_of_this_api_may_invoke_the_api_function() -> None:
    permission = props("ApiFunctionInvokePermission")
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert "${HttpApi}" in sub_text(permission["SourceArn"])


# ----------------------------------------------------------------- data


def test_table_durability_and_key_schema() -> None:
    table = RESOURCES["Table"]
    p = table["Properties"]
    assert table["DeletionPolicy"] == "Retain"
    assert p["BillingMode"] == "PAY_PER_REQUEST"
    assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert p["SSESpecification"]["SSEEnabled"] is True
    assert p["SSESpecification"]["KMSMasterKeyId"] == {"Ref": "EncryptionKey"}
    assert p["TimeToLiveSpecification"] == {"AttributeName": keys.TTL_ATTRIBUTE, "Enabled": True}
    assert p["DeletionProtectionEnabled"] == {"Ref": "TableDeletionProtection"}
    assert PARAMETERS["TableDeletionProtection"]["AllowedValues"] == ["true", "false"]
    assert p["KeySchema"] == [
        {"AttributeName": keys.PK, "KeyType": "HASH"},
        {"AttributeName": keys.SK, "KeyType": "RANGE"},
    ]
    assert [index["IndexName"] for index in p["GlobalSecondaryIndexes"]] == [
        keys.GSI1,
        keys.GSI2,
        "GSI3",
        "GSI4",
    ]
    assert p["GlobalSecondaryIndexes"][0]["KeySchema"] == [
        {"AttributeName": keys.GSI1PK, "KeyType": "HASH"},
        {"AttributeName": keys.GSI1SK, "KeyType": "RANGE"},
    ]
    assert p["GlobalSecondaryIndexes"][1]["KeySchema"] == [
        {"AttributeName": keys.GSI2PK, "KeyType": "HASH"},
        {"AttributeName": keys.GSI2SK, "KeyType": "RANGE"},
    ]
    assert "LocalSecondaryIndexes" not in p


def test_topics_and_queue_are_encrypted_and_the_dlq_keeps_14_days() -> None:
    for topic in resources_of_type(TEMPLATE, "AWS::SNS::Topic"):
        assert props(topic)["KmsMasterKeyId"] == {"Ref": "EncryptionKey"}, topic
    dlq = props("DeadLetterQueue")
    assert dlq["KmsMasterKeyId"] == {"Ref": "EncryptionKey"}
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert props("EncryptionKey")["EnableKeyRotation"] is True


def test_dlq_policy_lets_only_this_groups_schedules_in_and_requires_tls() -> None:
    policy = props("DeadLetterQueuePolicy")
    assert policy["Queues"] == [{"Ref": "DeadLetterQueue"}]
    allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage"
    assert sub_text(allow["Condition"]["ArnLike"]["aws:SourceArn"]).endswith(
        ":schedule/${ScheduleGroup}/*"
    )
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


# ----------------------------------------------------------------- least privilege


def test_no_wildcard_actions_anywhere() -> None:
    for logical, kind, statement in statements():
        for action in as_list(statement.get("Action", [])):
            assert "*" not in action, f"{logical} ({kind}) grants the wildcard action {action}"
        assert "NotAction" not in statement, logical


def test_resource_star_only_for_actions_without_resource_level_permissions() -> None:
    for logical, kind, statement in statements():
        if kind in ("trust", "key"):
            continue  # trust policies have no Resource; in a key policy "*" is the key
        if statement["Effect"] != "Allow":
            continue
        if "*" in as_list(statement["Resource"]):
            actions = set(as_list(statement["Action"]))
            assert actions <= NO_RESOURCE_LEVEL_ACTIONS, f"{logical}: {actions} on *"


def test_wildcards_in_arns_are_in_the_resource_part_only() -> None:
    """arn:partition:service:region:account:resource: never a wildcard region/account."""
    for logical, _, statement in statements():
        for resource in as_list(statement.get("Resource", [])):
            text = sub_text(resource)
            for pseudo in ("Partition", "Region", "AccountId"):  # their "::" is not a separator
                text = text.replace(f"${{AWS::{pseudo}}}", pseudo.lower())
            if text.startswith("arn:") and "*" in text:
                partition, service, region, account = text.split(":")[1:5]
                for part in (partition, service, region, account):
                    assert "*" not in part, f"{logical}: {text}"


def test_no_allow_to_everyone() -> None:
    for logical, _, statement in statements():
        if statement["Effect"] == "Allow":
            assert statement.get("Principal") not in ("*", {"AWS": "*"}), logical


def test_scheduler_role_trusts_only_this_groups_schedules_and_only_invokes_the_executor() -> None:
    (trust,) = props("SchedulerRole")["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    source_arns = [sub_text(arn) for arn in as_list(trust["Condition"]["ArnLike"]["aws:SourceArn"])]
    assert source_arns
    assert all("${ScheduleGroup}" in arn for arn in source_arns)
    assert allowed_actions("SchedulerRole") == {
        "lambda:InvokeFunction",
        "sqs:SendMessage",
        "kms:GenerateDataKey",
        "kms:Decrypt",
    }
    invoke = statement_for("SchedulerRole", "lambda:InvokeFunction")
    assert invoke["Resource"][0] == {"Fn::GetAtt": ["ExecutorFunction", "Arn"]}
    assert sub_text(invoke["Resource"][1]) == "${ExecutorFunction.Arn}:*"
    dlq = statement_for("SchedulerRole", "sqs:SendMessage")
    assert dlq["Resource"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}


GROUP_SCHEDULES = (
    "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${ScheduleGroup}/*"
)


def test_api_role_manages_schedules_of_its_group_and_passes_only_the_scheduler_role() -> None:
    for action in (
        "scheduler:CreateSchedule",
        "scheduler:UpdateSchedule",
        "scheduler:DeleteSchedule",
        "scheduler:GetSchedule",
    ):
        assert sub_text(statement_for("ApiFunctionRole", action)["Resource"]) == GROUP_SCHEDULES
    group = statement_for("ApiFunctionRole", "scheduler:GetScheduleGroup")
    assert group["Resource"] == {"Fn::GetAtt": ["ScheduleGroup", "Arn"]}
    pass_role = statement_for("ApiFunctionRole", "iam:PassRole")
    assert pass_role["Resource"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}
    }
    run_now = statement_for("ApiFunctionRole", "lambda:InvokeFunction")
    # The executor (run-now, replay) and the reconciler (which paces a backfill).
    assert run_now["Resource"] == [
        {"Fn::GetAtt": ["ExecutorFunction", "Arn"]},
        {"Fn::GetAtt": ["ReconcilerFunction", "Arn"]},
    ]
    assert not {a for a in allowed_actions("ApiFunctionRole") if a.startswith("scheduler:")} - {
        "scheduler:CreateSchedule",
        "scheduler:UpdateSchedule",
        "scheduler:DeleteSchedule",
        "scheduler:GetSchedule",
        "scheduler:GetScheduleGroup",
    }


def test_executor_role_scope() -> None:
    actions = allowed_actions("ExecutorFunctionRole")
    assert not {a for a in actions if a.startswith(("scheduler:", "iam:"))} - {
        "scheduler:DeleteSchedule"
    }
    assert sub_text(
        statement_for("ExecutorFunctionRole", "scheduler:DeleteSchedule")["Resource"]
    ) == (GROUP_SCHEDULES)
    targets = statement_for("ExecutorFunctionRole", "states:StartExecution")
    for resource in targets["Resource"]:
        text = sub_text(resource)
        assert ":${AWS::Region}:${AWS::AccountId}:" in text, text
        assert text.endswith("${TaskTargetPrefix}*"), text
    # A lambda task must never reach the stack's own functions.
    denies = [s for s in role_statements("ExecutorFunctionRole") if s["Effect"] == "Deny"]
    denied = {sub_text(r) for s in denies for r in as_list(s["Resource"])}
    assert any(text.endswith(":function:${AWS::StackName}-api") for text in denied)
    assert sub_text(props("ApiFunction")["FunctionName"]) == "${AWS::StackName}-api"
    assert sub_text(props("ExecutorFunction")["FunctionName"]) == "${AWS::StackName}-executor"


@pytest.mark.parametrize("role", ["ApiFunctionRole", "ExecutorFunctionRole"])
def test_function_roles_write_only_their_own_logs_and_secrets(role: str) -> None:
    logs = statement_for(role, "logs:PutLogEvents")
    log_group = "ApiLogGroup" if role == "ApiFunctionRole" else "ExecutorLogGroup"
    assert logs["Resource"] == {"Fn::GetAtt": [log_group, "Arn"]}
    secrets = statement_for(role, "ssm:PutParameter")
    assert sub_text(secrets["Resource"]).endswith(":parameter/${AWS::StackName}/webhook-secrets/*")
    table = statement_for(role, "dynamodb:PutItem")
    assert "dynamodb:Scan" not in as_list(table["Action"])


# ----------------------------------------------------------------- alarms and outputs


def _alarm(namespace: str, metric: str, dimension_ref: str) -> dict[str, Any]:
    for alarm in resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm").values():
        p: dict[str, Any] = alarm["Properties"]
        refs = [str(d["Value"]) for d in p["Dimensions"]]
        if (
            p["Namespace"] == namespace
            and p["MetricName"] == metric
            and any(dimension_ref in ref for ref in refs)
        ):
            return p
    raise AssertionError(f"no alarm on {namespace} {metric} for {dimension_ref}")


@pytest.mark.parametrize(
    ("namespace", "metric", "target"),
    [
        ("AWS/Lambda", "Errors", "ExecutorFunction"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "DeadLetterQueue"),
        ("AWS/Lambda", "Throttles", "ApiFunction"),
        ("AWS/Lambda", "Throttles", "ExecutorFunction"),
        ("AWS/ApiGateway", "5xx", "HttpApi"),
    ],
)
def test_alarm_fires_above_zero_and_notifies_only_when_configured(
    namespace: str, metric: str, target: str
) -> None:
    alarm = _alarm(namespace, metric, target)
    assert alarm["Threshold"] == 0
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    condition, with_email, without_email = alarm["AlarmActions"]["Fn::If"]
    assert condition == "HasAlarmEmail"
    assert {"Ref": "AlarmTopic"} in with_email["Fn::If"][1]
    assert without_email == {"Fn::If": ["HasAlarmTopicArn", [{"Ref": "AlarmTopicArn"}], NO_VALUE]}
    if namespace == "AWS/ApiGateway":
        assert {"Name": "Stage", "Value": "$default"} in alarm["Dimensions"]
        assert props("HttpApiStage")["StageName"] == "$default"


def test_alarm_destinations_are_optional_parameters() -> None:
    assert PARAMETERS["AlarmEmail"]["Default"] == ""
    assert PARAMETERS["AlarmTopicArn"]["Default"] == ""
    assert RESOURCES["AlarmTopic"]["Condition"] == "HasAlarmEmail"


def test_outputs_a_user_and_an_end_to_end_test_need() -> None:
    outputs = TEMPLATE["Outputs"]
    for name in (
        "ApiUrl",
        "TableName",
        "TopicArn",
        "DeadLetterQueueUrl",
        "DeadLetterQueueArn",
        "ScheduleGroupName",
        "ExecutorFunctionArn",
        "ApiFunctionName",
    ):
        assert name in outputs, name
    assert sub_text(outputs["ApiUrl"]["Value"]).startswith("https://${HttpApi}.execute-api.")


# ----------------------------------------------------------------- local stack


LOCAL_RESOLVED_TYPES = (
    "AWS::DynamoDB::Table",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::Scheduler::ScheduleGroup",
    "AWS::IAM::Role",
    "AWS::Serverless::Function",
)
NAME_PROPERTIES = ("TableName", "TopicName", "QueueName", "Name", "RoleName", "FunctionName")


def _contains(value: Any, key: str) -> bool:
    if isinstance(value, dict):
        return key in value or any(_contains(v, key) for v in value.values())
    if isinstance(value, list):
        return any(_contains(v, key) for v in value)
    return False


def test_no_conditions_where_the_local_resolver_reads() -> None:
    """local/template.py resolves Ref/GetAtt/Sub/Join only: keep Fn::If and NoValue out
    of function environments, resource names and role properties."""
    for logical, resource in RESOURCES.items():
        if resource["Type"] not in LOCAL_RESOLVED_TYPES:
            continue
        # (A conditional resource is fine: the local stack simply always creates it.)
        p = resource.get("Properties", {})
        checked = [p.get(name) for name in NAME_PROPERTIES]
        checked.append(p.get("Environment"))
        if resource["Type"] == "AWS::IAM::Role":
            checked.append(p)
        for value in checked:
            assert not _contains(value, "Fn::If"), logical
            assert not _has_no_value(value), logical
    assert not _contains(GLOBALS.get("Environment"), "Fn::If")


def _has_no_value(value: Any) -> bool:
    if value == NO_VALUE:
        return True
    if isinstance(value, dict):
        return any(_has_no_value(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_no_value(v) for v in value)
    return False


def test_local_plan_covers_every_resource_and_resolves_the_same_environment() -> None:
    stack = plan("tmpl-test")
    for kind in LOCAL_RESOLVED_TYPES:
        for logical in resources_of_type(TEMPLATE, kind):
            assert logical in stack.resolver.physical, logical
    assert set(stack.environments) == {"ApiFunction", "ExecutorFunction", "ReconcilerFunction"}
    for logical, env in stack.environments.items():
        own = props(logical).get("Environment", {}).get("Variables", {})
        declared = {**GLOBALS["Environment"]["Variables"], **own}
        assert set(env) == set(declared), logical
        assert env == {k: str(stack.resolver.resolve(v)) for k, v in declared.items()}
        assert env["TABLE_NAME"] == stack.ref("Table")
        assert env["TOPIC_ARN"] == stack.ref("EventsTopic")
        assert env["SCHEDULE_GROUP"] == stack.ref("ScheduleGroup") == "tmpl-test"
        assert env["WEBHOOK_SECRET_PREFIX"] == "/tmpl-test/webhook-secrets/"
    api = stack.environments["ApiFunction"]
    assert api["EXECUTOR_FUNCTION_ARN"] == stack.att("ExecutorFunction", "Arn")
    assert api["EXECUTOR_FUNCTION_ARN"].endswith(":function:tmpl-test-executor")
    assert api["SCHEDULER_ROLE_ARN"] == stack.att("SchedulerRole", "Arn")
    assert api["DLQ_ARN"] == stack.att("DeadLetterQueue", "Arn")
    assert stack.function_names == {
        "tmpl-test-api": "ApiFunction",
        "tmpl-test-executor": "ExecutorFunction",
        "tmpl-test-reconciler": "ReconcilerFunction",
    }


def test_local_plan_honours_parameter_overrides() -> None:
    stack = plan("tmpl-test", parameters={"TenantClaim": "custom:tenant", "LogLevel": "DEBUG"})
    assert stack.environments["ApiFunction"]["TENANT_CLAIM"] == "custom:tenant"
    assert stack.environments["ExecutorFunction"]["POWERTOOLS_LOG_LEVEL"] == "DEBUG"


def test_moto_resources_match_the_template(aws: Any) -> None:
    """What the tests and the local stack run against is what template.yaml declares."""
    import boto3

    stack = aws
    description = boto3.client("dynamodb").describe_table(TableName=stack.ref("Table"))["Table"]
    table = props("Table")
    assert description["KeySchema"] == table["KeySchema"]
    assert [i["IndexName"] for i in description["GlobalSecondaryIndexes"]] == [
        "GSI1",
        "GSI2",
        "GSI3",
        "GSI4",
    ]
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName=stack.ref("Table"))
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
    topics = [t["TopicArn"] for t in boto3.client("sns").list_topics()["Topics"]]
    assert stack.ref("EventsTopic") in topics
    queue_url = boto3.client("sqs").get_queue_url(
        QueueName=stack.att("DeadLetterQueue", "QueueName")
    )["QueueUrl"]
    assert queue_url == stack.ref("DeadLetterQueue")
    group = boto3.client("scheduler").get_schedule_group(Name=stack.ref("ScheduleGroup"))
    assert group["Name"] == stack.ref("ScheduleGroup")


# ----------------------------------------------------------------- the stack is no target


def _executor_denies(action: str) -> set[str]:
    return {
        sub_text(resource)
        for statement in role_statements("ExecutorFunctionRole")
        if statement["Effect"] == "Deny" and action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }


def test_every_function_of_the_stack_is_named_for_the_code_and_denied_to_the_executor() -> None:
    own = sub_text(GLOBALS["Environment"]["Variables"]["OWN_FUNCTIONS"]).split(",")
    denied = _executor_denies("lambda:InvokeFunction")
    functions = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
    assert functions
    for logical, resource in functions.items():
        name = sub_text(resource["Properties"].get("FunctionName"))
        assert name, f"{logical} needs a FunctionName the code and the denies can name"
        assert logical in own, logical
        assert name in own, name
        base = (
            f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{name}"
        )
        assert {base, base + ":*"} <= denied, logical
    assert "lambda:InvokeFunctionUrl" in {
        a
        for s in role_statements("ExecutorFunctionRole")
        if s["Effect"] == "Deny"
        for a in as_list(s["Action"])
    }


def test_alarm_topics_are_named_for_the_code_and_denied_to_the_executor() -> None:
    alarm_topic = (
        "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}-alarms"
    )
    assert sub_text(props("AlarmTopic")["TopicName"]) == "${AWS::StackName}-alarms"
    topics = sub_text(GLOBALS["Environment"]["Variables"]["ALARM_TOPICS"]).split(",")
    assert topics == [alarm_topic, "${AlarmTopicArn}"]
    assert alarm_topic in _executor_denies("sns:Publish")
    # The alarm topic given as a parameter: denied by a policy that exists only with it.
    given = RESOURCES["ExecutorDeniedAlarmTopicArn"]
    assert given["Condition"] == "HasAlarmTopicArn"
    assert given["Properties"]["Roles"] == [{"Ref": "ExecutorFunctionRole"}]
    [statement] = given["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == {"Ref": "AlarmTopicArn"}


def test_both_functions_know_the_dlq_and_the_lifecycle_topic() -> None:
    variables = GLOBALS["Environment"]["Variables"]
    assert variables["DLQ_ARN"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    assert variables["TOPIC_ARN"] == {"Ref": "EventsTopic"}
    assert variables["TABLE_NAME"] == {"Ref": "Table"}


def test_only_the_stacks_roles_may_publish_lifecycle_events() -> None:
    statements_ = props("EventsTopicPolicy")["PolicyDocument"]["Statement"]
    roles = [
        {"Fn::GetAtt": ["ApiFunctionRole", "Arn"]},
        {"Fn::GetAtt": ["ExecutorFunctionRole", "Arn"]},
        {"Fn::GetAtt": ["ReconcilerFunctionRole", "Arn"]},
    ]
    [allow] = [s for s in statements_ if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"AWS": roles}
    assert allow["Action"] == "sns:Publish"
    [deny] = [
        s for s in statements_ if s["Effect"] == "Deny" and "ArnNotEquals" in s.get("Condition", {})
    ]
    assert deny["Principal"] == "*"
    assert deny["Action"] == "sns:Publish"
    assert deny["Resource"] == {"Ref": "EventsTopic"}
    assert deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == roles


# What the executor's code calls (besides the task targets): nothing more is granted.
EXECUTOR_NEEDS = {
    "logs:CreateLogStream",  # the Lambda service writes its logs with this role
    "logs:PutLogEvents",
    "xray:PutTraceSegments",  # Tracing: Active
    "xray:PutTelemetryRecords",
    "dynamodb:GetItem",  # read_schedule
    "dynamodb:PutItem",  # claim, skipped and final records
    "dynamodb:UpdateItem",  # schedule lease, counters, completion
    "sns:Publish",  # lifecycle events (and sns tasks)
    "scheduler:DeleteSchedule",  # entries of a completed schedule
    "ssm:GetParameter",  # the tenant's signing secret
    "ssm:PutParameter",  # ... created on first use
    "sqs:SendMessage",  # Lambda's async DLQ (and sqs tasks)
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:DescribeKey",
    # task targets
    "lambda:InvokeFunction",
    "events:PutEvents",
    "states:StartExecution",
}


def test_executor_role_has_only_what_its_code_uses() -> None:
    assert allowed_actions("ExecutorFunctionRole") == EXECUTOR_NEEDS
    table = statement_for("ExecutorFunctionRole", "dynamodb:GetItem")
    assert table["Resource"] == {"Fn::GetAtt": ["Table", "Arn"]}  # no index: no Query


TENANT_TOPICS = (
    "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}-tenant-events-*"
)
SUBSCRIPTION_ACTIONS = {
    "sns:CreateTopic",
    "sns:Subscribe",
    "sns:Unsubscribe",
    "sns:GetSubscriptionAttributes",
    "sns:ListSubscriptionsByTopic",
}


def test_api_role_subscribes_only_on_this_stacks_tenant_topics() -> None:
    """The API may manage subscriptions on the stack's per-tenant topics (their ARNs and
    their subscriptions' ARNs share the prefix), nothing else; the executor may only
    publish there, and the functions agree on the prefix."""
    for role in ("ApiFunctionRole", "ExecutorFunctionRole"):
        for statement in role_statements(role):
            actions = set(as_list(statement["Action"]))
            if actions & SUBSCRIPTION_ACTIONS:
                assert role == "ApiFunctionRole", (role, actions)
                assert statement["Effect"] == "Allow"
                assert [sub_text(r) for r in as_list(statement["Resource"])] == [TENANT_TOPICS]
    assert allowed_actions("ApiFunctionRole") >= SUBSCRIPTION_ACTIONS
    assert "sns:SetSubscriptionAttributes" not in allowed_actions("ApiFunctionRole")
    [publish] = [s for s in role_statements("ExecutorFunctionRole") if s.get("Sid") == "Events"]
    assert TENANT_TOPICS in {sub_text(r) for r in as_list(publish["Resource"])}
    env = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert TENANT_TOPICS.endswith("${AWS::AccountId}:" + sub_text(env["TENANT_TOPIC_PREFIX"]) + "*")
    limit = TEMPLATE["Parameters"]["MaxSubscriptionsPerTenant"]
    assert limit["MaxValue"] == 200  # SNS: 200 filter policies per topic by default
