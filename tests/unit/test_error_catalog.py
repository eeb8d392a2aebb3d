"""One error catalog: errors.py owns every code, its status and its description; the
API's reference page and its OpenAPI document show every code; no code lives elsewhere.
Also: the OpenAPI document's security schemes, headers and statuses, and one version."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
import tomllib
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest

import jobscheduler
from jobscheduler import errors
from jobscheduler.errors import CATALOG, DomainError, catalog_markdown, render_into
from local.template import load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "layers" / "common" / "jobscheduler", ROOT / "functions"]


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    import api_handler
    from routes.openapi_doc import API_TITLE, API_VERSION

    document = api_handler.app.get_openapi_json_schema(title=API_TITLE, version=API_VERSION)
    return dict(json.loads(document))


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


# --- the catalog -------------------------------------------------------------------------


def test_every_code_has_a_status_and_a_description() -> None:
    assert len(CATALOG) >= 28
    for code, spec in CATALOG.items():
        assert re.fullmatch(r"[a-z][a-z_]*[a-z]", code), code
        assert 400 <= spec.status <= 599, code
        assert len(spec.description) > 20, f"{code}: say what it means and what to do"
        assert spec.error.code == code
        assert spec.error.status == spec.status


def test_a_code_given_by_name_answers_with_its_catalog_status() -> None:
    # e.g. a Conflict raised with another code still answers that code's status.
    for code, spec in CATALOG.items():
        assert DomainError("x", code=code).status == spec.status, code
        assert errors.Conflict("x", code=code).status == spec.status, code


def test_a_code_cannot_be_defined_twice() -> None:
    with pytest.raises(TypeError, match="defined twice"):
        type("Again", (DomainError,), {"code": "not_found", "__doc__": "Again."})
    assert CATALOG["not_found"].error is errors.NotFound


def _modules() -> Iterator[str]:
    yield from (info.name for info in pkgutil.walk_packages(jobscheduler.__path__, "jobscheduler."))
    yield from ("api_handler", "executor_handler")
    yield from (
        f"routes.{path.stem}"
        for path in (ROOT / "functions" / "api" / "routes").glob("*.py")
        if path.stem != "__init__"
    )


def _subclasses(cls: type[DomainError]) -> Iterator[type[DomainError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_error_class_is_defined_in_errors_py() -> None:
    for name in _modules():
        importlib.import_module(name)
    elsewhere = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _subclasses(DomainError)
        if cls.__module__ != "jobscheduler.errors" and not cls.__module__.startswith("tests.")
    ]
    assert not elsewhere, f"define error codes in jobscheduler/errors.py: {elsewhere}"


def _code_literals(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """`code="..."` keywords, `{"code": "..."}` dicts and `error_response(s, "...")`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "code":
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                yield node.value.lineno, node.value.value
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "code"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    yield value.lineno, value.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "error_response"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
        ):
            yield node.args[1].lineno, str(node.args[1].value)


def test_no_code_is_spelled_outside_the_catalog() -> None:
    unknown = []
    for source in SOURCES:
        for path in source.rglob("*.py"):
            for line, code in _code_literals(ast.parse(path.read_text(encoding="utf-8"))):
                if code not in CATALOG:
                    unknown.append(f"{path.relative_to(ROOT)}:{line}: {code!r}")
    assert not unknown, f"add these codes to jobscheduler/errors.py: {unknown}"


def _spelled_statuses(tree: ast.AST) -> Iterator[tuple[int, int, str]]:
    """`error_response(HTTPStatus.X, "code", ...)`: the status written next to a code."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "error_response"
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Attribute)
            and isinstance(node.args[0].value, ast.Name)
            and node.args[0].value.id == "HTTPStatus"
            and isinstance(node.args[1], ast.Constant)
        ):
            status = HTTPStatus[node.args[0].attr].value
            yield node.lineno, status, str(node.args[1].value)


def test_a_status_written_next_to_a_code_is_the_catalogs() -> None:
    wrong = []
    for source in SOURCES:
        for path in source.rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for line, status, code in _spelled_statuses(tree):
                if code in CATALOG and CATALOG[code].status != status:
                    wrong.append(f"{path.relative_to(ROOT)}:{line}: {code} is {status}")
    assert not wrong, f"errors.py says otherwise: {wrong}"
    sample = ast.parse('error_response(HTTPStatus.CONFLICT, "not_found", "m")\n')
    assert list(_spelled_statuses(sample)) == [(1, 409, "not_found")]


def test_the_literal_scan_finds_what_it_should() -> None:
    tree = ast.parse(
        'raise Conflict("m", code="made_up")\n'
        'body = {"error": {"code": "also_made_up"}}\n'
        'error_response(400, "third_one", "m")\n'
    )
    found = sorted(code for _, code in _code_literals(tree))
    assert found == ["also_made_up", "made_up", "third_one"]


# --- docs/errors.md ------------------------------------------------------------------------


def test_docs_errors_page_is_generated_from_the_catalog() -> None:
    page = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert render_into(page) == page, (
        "docs/errors.md is out of date: run `python -m jobscheduler.errors docs/errors.md`"
    )
    for code, spec in CATALOG.items():
        assert f"| {spec.status} | `{code}` |" in page, code


def test_render_into_replaces_only_the_table() -> None:
    page = "intro\n<!-- catalog:begin -->\nold\n<!-- catalog:end -->\noutro\n"
    rendered = render_into(page)
    assert rendered.startswith("intro\n<!-- catalog:begin -->\n| Status |")
    assert rendered.endswith("<!-- catalog:end -->\noutro\n")
    assert catalog_markdown() in rendered
    with pytest.raises(ValueError, match="markers"):
        render_into("no markers here")


# --- the OpenAPI document ------------------------------------------------------------------


def test_openapi_document_names_every_code(openapi: dict[str, Any]) -> None:
    enum = openapi["components"]["schemas"]["ErrorInfo"]["properties"]["code"]["enum"]
    assert sorted(enum) == sorted(CATALOG)
    for code, spec in CATALOG.items():
        described = [
            f"{method} {path}"
            for path, method, operation in operations(openapi)
            if f"`{code}`"
            in operation["responses"].get(str(spec.status), {}).get("description", "")
        ]
        assert described, f"no route declares {spec.status} with {code}"


def test_openapi_declares_the_security_schemes(openapi: dict[str, Any]) -> None:
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["jwt"] | {"description": ""} == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "",
    }
    assert schemes["sigv4"]["type"] == "apiKey"
    assert schemes["sigv4"]["in"] == "header"
    assert schemes["sigv4"]["name"] == "Authorization"
    assert schemes["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    assert openapi["security"] == [{"jwt": []}, {"sigv4": []}]


def test_public_routes_are_the_templates(openapi: dict[str, Any]) -> None:
    routes = resources_of_type(load_template(), "AWS::ApiGatewayV2::Route")
    public = {
        tuple(props["RouteKey"].split(" ", 1))
        for props in (r["Properties"] for r in routes.values())
        if props.get("AuthorizationType") == "NONE"
    }
    in_document = {(method.upper(), path) for path, method, _ in operations(openapi)}
    marked = {
        (method.upper(), path)
        for path, method, operation in operations(openapi)
        if operation.get("security") == []
    }
    assert marked == public & in_document
    assert ("GET", "/health") in marked


def test_every_route_declares_what_it_can_answer(openapi: dict[str, Any]) -> None:
    for path, method, operation in operations(openapi):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        for status in ("405", "413", "500"):
            assert status in responses, (where, status)
        assert "Allow" in responses["405"]["headers"], where
        if operation.get("security") != []:
            assert "401" in responses, where
        if "requestBody" in operation:
            for status in ("400", "415", "422"):
                assert status in responses, (where, status)
        for status, response in responses.items():
            if status[0] in "45" and path != "/health":
                assert "ErrorBody" in json.dumps(response), (where, status)
        if "503" in responses and "ErrorBody" in json.dumps(responses["503"]):
            assert "Retry-After" in responses["503"]["headers"], where


def test_create_declares_its_headers(openapi: dict[str, Any]) -> None:
    created = openapi["paths"]["/schedules"]["post"]["responses"]["201"]["headers"]
    assert {"Location", "Idempotent-Replayed"} <= set(created)


def test_swagger_ui_gets_the_same_document() -> None:
    import api_handler
    from routes.openapi_doc import API_TITLE, API_VERSION

    spec = api_handler.app.get_openapi_schema(title=API_TITLE, version=API_VERSION)
    dumped = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert set(dumped["components"]["securitySchemes"]) == {"jwt", "sigv4"}


# --- one version -----------------------------------------------------------------------------


def test_one_version_everywhere(openapi: dict[str, Any]) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["version"] == jobscheduler.__version__
    assert openapi["info"]["version"] == jobscheduler.__version__
    health = (ROOT / "layers/common/jobscheduler/logic/health.py").read_text(encoding="utf-8")
    assert "version=__version__" in health
    assert "SERVICE_VERSION" not in (ROOT / "template.yaml").read_text(encoding="utf-8")
