"""docs/calendars.md: every preview request it shows answers what it shows, and every
phrase of its plain-English table compiles to the rules it names."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from jobscheduler.expressions import compile_schedule
from tests.integration.api.conftest import Api

PAGE = (Path(__file__).resolve().parents[3] / "docs" / "calendars.md").read_text()
EXAMPLES = re.findall(
    r"```http\nPOST /schedules/preview\n(.*?)```\n\n```json\n(.*?)```", PAGE, flags=re.DOTALL
)


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) == 3


@pytest.mark.parametrize(("request_text", "answer_text"), EXAMPLES)
def test_each_preview_example_answers_as_shown(
    api: Api, request_text: str, answer_text: str
) -> None:
    result = api.request("preview", body=json.loads(request_text))
    assert result.status == 200, result.text
    shown: dict[str, Any] = json.loads(answer_text)
    assert {key: result.json[key] for key in shown} == shown


PHRASES = re.findall(r"^\| `([^`]+ except [^`]+)` \| (.+?) \|$", PAGE, flags=re.MULTILINE)


def test_the_phrase_table_is_read() -> None:
    assert len(PHRASES) == 7


@pytest.mark.parametrize(("phrase", "rules"), PHRASES)
def test_each_phrase_compiles_to_its_rules(phrase: str, rules: str) -> None:
    compiled = compile_schedule(phrase, "UTC", holiday_country="US")
    found = [rule.model_dump(exclude_defaults=True, by_alias=True) for rule in compiled.exclude]
    documented = re.findall(r"`(\{.*?\})`", rules)
    if documented:
        assert found == [json.loads(text) for text in documented]
    elif "holiday_country" in rules:
        assert found == [{"holidays": "US"}]
    else:
        assert len(found) == 3
