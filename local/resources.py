"""Creates what template.yaml declares, against whatever endpoint boto3 is pointed at
(moto's server for the local stack, moto's in-process mock for the tests), and derives
each function's environment from the same template. One source, so local and tests
cannot drift from deploy."""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from local.options import DEFAULT_STACK as DEFAULT_STACK  # re-exported: callers import it here
from local.template import (
    ACCOUNT_ID,
    REGION,
    ROOT,
    Resolver,
    load_template,
    resources_of_type,
)

FUNCTION_TYPE = "AWS::Serverless::Function"


@dataclass
class Stack:
    """Local physical ids of the template's resources and each function's environment."""

    name: str
    template: dict[str, Any]
    resolver: Resolver
    environments: dict[str, dict[str, str]] = field(default_factory=dict)
    # logical id -> (handler module path on disk, "module.function")
    handlers: dict[str, tuple[str, str]] = field(default_factory=dict)

    def ref(self, logical_id: str) -> str:
        return self.resolver.ref(logical_id)

    def att(self, logical_id: str, attribute: str) -> str:
        return self.resolver.get_att(logical_id, attribute)

    @property
    def function_names(self) -> dict[str, str]:
        """Function name -> logical id (what the Lambda emulator serves)."""
        return {self.ref(logical): logical for logical in self.handlers}

    def load_handler(self, logical_id: str) -> Callable[[dict[str, Any], Any], Any]:
        code_dir, handler = self.handlers[logical_id]
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)
        module_name, func_name = handler.rsplit(".", 1)
        module = importlib.import_module(module_name)
        func: Callable[[dict[str, Any], Any], Any] = getattr(module, func_name)
        return func


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"


def plan(stack_name: str = DEFAULT_STACK, parameters: dict[str, str] | None = None) -> Stack:
    """Name every resource and resolve every function's environment (no AWS calls)."""
    template = load_template()
    resolver = Resolver(template, stack_name, parameters=dict(parameters or {}))
    stack = Stack(stack_name, template, resolver)
    for logical, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {}) or {}
        kind = resource["Type"]
        default_name = f"{stack_name}-{logical}"
        if kind == "AWS::DynamoDB::Table":
            name = props.get("TableName", default_name)
            resolver.physical[logical] = name
            resolver.attributes[(logical, "Arn")] = _arn("dynamodb", f"table/{name}")
        elif kind == "AWS::SNS::Topic":
            name = resolver.resolve(props.get("TopicName", default_name))
            resolver.physical[logical] = _arn("sns", name)
            resolver.attributes[(logical, "TopicName")] = name
            resolver.attributes[(logical, "TopicArn")] = _arn("sns", name)
        elif kind == "AWS::SQS::Queue":
            name = resolver.resolve(props.get("QueueName", default_name))
            resolver.physical[logical] = f"http://localhost/{ACCOUNT_ID}/{name}"
            resolver.attributes[(logical, "Arn")] = _arn("sqs", name)
            resolver.attributes[(logical, "QueueName")] = name
            resolver.attributes[(logical, "QueueUrl")] = resolver.physical[logical]
        elif kind == "AWS::Scheduler::ScheduleGroup":
            name = resolver.resolve(props.get("Name", default_name))
            resolver.physical[logical] = name
            resolver.attributes[(logical, "Arn")] = _arn("scheduler", f"schedule-group/{name}")
        elif kind == "AWS::IAM::Role":
            name = resolver.resolve(props.get("RoleName", default_name))
            resolver.physical[logical] = name
            resolver.attributes[(logical, "Arn")] = f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"
        elif kind == FUNCTION_TYPE:
            name = resolver.resolve(props.get("FunctionName", default_name))
            resolver.physical[logical] = name
            resolver.attributes[(logical, "Arn")] = _arn("lambda", f"function:{name}")
        elif kind == "AWS::KMS::Key":
            resolver.physical[logical] = f"{stack_name}-{logical}".lower()
            resolver.attributes[(logical, "Arn")] = _arn("kms", f"key/{resolver.physical[logical]}")
        else:
            resolver.physical[logical] = default_name
            resolver.attributes[(logical, "Arn")] = _arn("local", default_name)

    globals_env = (
        template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    for logical, resource in resources_of_type(template, FUNCTION_TYPE).items():
        props = resource.get("Properties", {})
        own_env = props.get("Environment", {}).get("Variables", {})
        env = {k: str(resolver.resolve(v)) for k, v in {**globals_env, **own_env}.items()}
        stack.environments[logical] = env
        code_dir = str((ROOT / props["CodeUri"]).resolve())
        stack.handlers[logical] = (code_dir, props["Handler"])
    return stack


def provision(stack: Stack) -> None:
    """Create the stateful resources of the template (idempotent)."""
    for logical, resource in resources_of_type(stack.template, "AWS::DynamoDB::Table").items():
        _create_table(stack.ref(logical), stack.resolver.resolve(resource["Properties"]))
    for logical in resources_of_type(stack.template, "AWS::SNS::Topic"):
        boto3.client("sns").create_topic(Name=stack.att(logical, "TopicName"))
    for logical in resources_of_type(stack.template, "AWS::SQS::Queue"):
        url = boto3.client("sqs").create_queue(QueueName=stack.att(logical, "QueueName"))[
            "QueueUrl"
        ]
        # The endpoint decides the real URL; keep what it says.
        stack.resolver.physical[logical] = url
        stack.resolver.attributes[(logical, "QueueUrl")] = url
    scheduler = boto3.client("scheduler")
    for logical in resources_of_type(stack.template, "AWS::Scheduler::ScheduleGroup"):
        name = stack.ref(logical)
        # moto's CreateScheduleGroup replaces an existing group (and drops its schedules)
        # instead of raising ConflictException, so look before creating.
        try:
            scheduler.get_schedule_group(Name=name)
        except scheduler.exceptions.ResourceNotFoundException:
            with contextlib.suppress(scheduler.exceptions.ConflictException):
                scheduler.create_schedule_group(Name=name)
    iam = boto3.client("iam")
    for logical, resource in resources_of_type(stack.template, "AWS::IAM::Role").items():
        props = stack.resolver.resolve(resource["Properties"])
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_role(
                RoleName=stack.ref(logical),
                AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]),
            )


def _create_table(name: str, props: dict[str, Any]) -> None:
    client = boto3.client("dynamodb")
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    try:
        client.create_table(**kwargs)
    except client.exceptions.ResourceInUseException:
        return
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
