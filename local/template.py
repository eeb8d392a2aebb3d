"""Reads template.yaml and resolves the intrinsic functions the local stack needs.

Written by hand (not cfn-lint's or samtranslator's parser) because we only need the
resource properties and the functions' environment, resolved against local physical
ids; the translators would pull in far more and still not know our local ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short tags into their long form."""


def _tag(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {"Ref": value} if name == "Ref" else {name: value}

    return construct


for _short in (
    "Ref",
    "Sub",
    "GetAtt",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Join",
    "Select",
    "Split",
    "FindInMap",
    "ImportValue",
    "Base64",
    "Condition",
    "GetAZs",
):
    _long = (
        "Ref" if _short == "Ref" else ("Condition" if _short == "Condition" else f"Fn::{_short}")
    )
    _CfnLoader.add_constructor(f"!{_short}", _tag(_long))


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 (SafeLoader subclass)
    assert isinstance(data, dict)
    return data


@dataclass
class Resolver:
    """Resolves Ref / GetAtt / Sub against parameter defaults and local physical ids."""

    template: dict[str, Any]
    stack_name: str
    physical: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)

    def pseudo(self, name: str) -> str | None:
        return {
            "AWS::StackName": self.stack_name,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }.get(name)

    def ref(self, name: str) -> str:
        pseudo = self.pseudo(name)
        if pseudo is not None:
            return pseudo
        if name in self.parameters:
            return self.parameters[name]
        params = self.template.get("Parameters", {})
        if name in params:
            return str(params[name].get("Default", ""))
        if name in self.physical:
            return self.physical[name]
        raise KeyError(f"cannot resolve Ref {name!r} locally")

    def get_att(self, name: str, attribute: str) -> str:
        if (name, attribute) in self.attributes:
            return self.attributes[(name, attribute)]
        raise KeyError(f"cannot resolve GetAtt {name}.{attribute} locally")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.ref(value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            name, attribute = value["Fn::GetAtt"]
            return self.get_att(name, attribute)
        if set(value) == {"Fn::Sub"}:
            return self.sub(value["Fn::Sub"])
        if set(value) == {"Fn::Join"}:
            sep, items = value["Fn::Join"]
            return sep.join(str(self.resolve(item)) for item in items)
        return {key: self.resolve(item) for key, item in value.items()}

    def sub(self, spec: str | list[Any]) -> str:
        text, extra = (spec, {}) if isinstance(spec, str) else (spec[0], spec[1])

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in extra:
                return str(self.resolve(extra[token]))
            if "." in token and not token.startswith("AWS::"):
                name, attribute = token.split(".", 1)
                return self.get_att(name, attribute)
            return self.ref(token)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template.get("Resources", {}).items()
        if resource.get("Type") == kind
    }
