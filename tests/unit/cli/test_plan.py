"""jobsched's plan/diff logic and file format (no network: pure functions)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from jobsched import spec
from jobsched.plan import Action, FieldChange, build_plan, diff, is_managed

MARKER = {spec.MANAGED_TAG: spec.MANAGED_VALUE}


def entry(name: str = "report", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "schedule": "every day at 9am",
        "timezone": "Europe/Paris",
        "task": {"type": "http", "url": "https://example.com/hook"},
    }
    body.update(changes)
    return body


def server(body: dict[str, Any], *, sid: str = "sch_1", managed: bool = True) -> dict[str, Any]:
    """What the API answers for ``body``: defaults filled, URL normalized, server fields."""
    stored: dict[str, Any] = spec.normalize(copy.deepcopy(body), spec.create_body_schema())
    tags = dict(stored.get("tags") or {})
    if managed:
        tags.update(MARKER)
    stored["tags"] = tags
    stored.update(
        id=sid,
        status="ACTIVE",
        kind="recurring",
        expressions=["cron(0 9 * * ? *)"],
        version=3,
        total_runs=7,
        next_run_at="2026-12-01T08:00:00Z",
        created_at="2026-11-01T00:00:00Z",
        updated_at="2026-11-02T00:00:00Z",
    )
    return stored


def test_the_vendored_body_schema_is_the_api_model() -> None:
    from jobscheduler.models.schedules import ScheduleCreate

    assert spec.create_body_schema() == ScheduleCreate.model_json_schema()


def test_file_schema_validates_the_example_and_names_every_field() -> None:
    schema = spec.file_schema()
    Draft202012Validator.check_schema(schema)
    example = Path(__file__).resolve().parents[3] / "examples" / "schedules.yaml"
    document = spec.read_document(example)
    assert list(Draft202012Validator(schema).iter_errors(document)) == []
    item = schema["$defs"]["ScheduleCreate"]
    assert set(item["properties"]) == set(spec.SPEC_FIELDS)
    assert schema["required"] == ["schedules"]
    bad = {"schedules": [{"name": "x", "task": {"type": "http"}, "colour": "red"}]}
    messages = [e.message for e in Draft202012Validator(schema).iter_errors(bad)]
    assert messages, "an invalid file must fail the published schema"


def test_load_file_reports_every_problem_with_its_location(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "schedules:\n"
        "  - name: a\n    schedule: every day\n    task: {type: http, url: https://x.io}\n"
        "  - name: a\n    schedule: every day\n    task: {type: http}\n"
        "  - schedule: every day\n    task: {type: carrier-pigeon}\n    priority: 99\n"
        "  - name: b\n    schedule: every day\n    task: {type: sqs, queue_url: q, message: 1}\n"
        "    tags: {managed-by: someone-else}\n    colour: red\n"
    )
    with pytest.raises(spec.SpecError) as caught:
        spec.load_file(path)
    problems = "\n".join(caught.value.problems)
    assert "schedules[1].task: 'url' is a required property" in problems
    assert "schedules[1].name: 'a' is already the name of schedules[0]" in problems
    assert "schedules[2]: 'name' is a required property" in problems
    assert "schedules[2].priority: 99 is greater than the maximum of 10" in problems
    assert "schedules[2].task.type: 'carrier-pigeon' is not one of ['eventbridge'," in problems
    assert "schedules[3].task.queue_url" in problems
    assert "schedules[3].tags.managed-by: reserved" in problems
    assert "schedules[3]: Additional properties are not allowed ('colour'" in problems
    assert not any(p.startswith("schedules[0]") for p in caught.value.problems)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("schedules: [\n", "line 2"),
        ("just a string", "(top level)"),
        ("schedules: {a: 1}", "schedules: Input should be a valid list"),
        ("{}", "schedules: Field required"),
        ("schedules: []\nother: 1", "other: Extra inputs are not permitted"),
    ],
)
def test_load_file_refuses_malformed_documents(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(text)
    with pytest.raises(spec.SpecError) as caught:
        spec.load_file(path)
    assert expected in "\n".join(caught.value.problems)


def test_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(spec.SpecError) as caught:
        spec.load_file(tmp_path / "absent.yaml")
    assert "cannot read the file" in caught.value.problems[0]


def test_json_files_load_too(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"schedules": [entry()]}))
    assert spec.load_file(path) == [entry()]


def test_create_when_nothing_matches_and_the_marker_is_added() -> None:
    plan = build_plan([entry("a"), entry("b", tags={"team": "x"})], [], prune=True)
    assert [(s.action, s.name) for s in plan.steps] == [(Action.CREATE, "a"), (Action.CREATE, "b")]
    assert plan.steps[0].body["tags"] == MARKER
    assert plan.steps[1].body["tags"] == {"team": "x", **MARKER}
    assert plan.has_changes


def test_same_schedule_written_differently_is_no_change() -> None:
    stored = server(entry())
    spelled = entry(
        task={"type": "http", "url": "https://EXAMPLE.com/hook", "method": "post"},
        retry={},
        tags={},
        priority=5,
        overlap="skip",
        description=None,
    )
    plan = build_plan([spelled], [stored], prune=True)
    assert plan.steps == ()
    assert plan.unchanged == ("report",)
    assert not plan.has_changes


def test_datetimes_compare_as_instants() -> None:
    stored = server(entry(start_at="2026-12-01T08:00:00Z"))
    same = entry(start_at="2026-12-01T09:00:00+01:00")
    assert build_plan([same], [stored], prune=False).steps == ()
    later = entry(start_at="2026-12-01T10:00:00+01:00")
    [step] = build_plan([later], [stored], prune=False).steps
    assert step.changes == (
        FieldChange("start_at", "2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z"),
    )
    assert step.body == {"start_at": "2026-12-01T10:00:00+01:00"}


def test_update_lists_each_changed_field_and_sends_only_those() -> None:
    stored = server(entry(description="old", tags={"team": "a"}))
    wanted = entry(
        schedule="every day at 10am",
        task={"type": "http", "url": "https://example.com/hook", "timeout_seconds": 30},
        tags={"team": "b"},
    )
    [step] = build_plan([wanted], [stored], prune=False).steps
    assert step.action == Action.UPDATE
    assert (step.schedule_id, step.version) == ("sch_1", 3)
    assert {c.path: (c.old, c.new) for c in step.changes} == {
        "description": ("old", None),
        "schedule": ("every day at 9am", "every day at 10am"),
        "task.timeout_seconds": (10.0, 30),
        "tags.team": ("a", "b"),
    }
    # description left the file: cleared with null; the marker survives a tag change.
    assert step.body == {
        "description": None,
        "schedule": "every day at 10am",
        "task": wanted["task"],
        "tags": {"team": "b", **MARKER},
    }


def test_a_removed_field_goes_back_to_its_default() -> None:
    stored = server(entry(priority=9, overlap="allow", retry={"max_attempts": 5}))
    [step] = build_plan([entry()], [stored], prune=False).steps
    assert {c.path for c in step.changes} == {"priority", "overlap", "retry.max_attempts"}
    assert step.body["priority"] == 5
    assert step.body["overlap"] == "skip"
    assert step.body["retry"]["max_attempts"] != 5


def test_task_type_change_shows_both_tasks_fields() -> None:
    stored = server(entry())
    sqs = {"type": "sqs", "queue_url": "https://sqs.local/q", "message": {"a": 1}}
    [step] = build_plan([entry(task=sqs)], [stored], prune=False).steps
    paths = {c.path for c in step.changes}
    assert {"task.type", "task.url", "task.queue_url", "task.message"} <= paths
    assert step.body == {"task": sqs}


def test_prune_deletes_only_managed_schedules_not_in_the_file() -> None:
    kept = server(entry("kept"), sid="sch_kept")
    gone = server(entry("gone"), sid="sch_gone")
    foreign = server(entry("foreign"), sid="sch_foreign", managed=False)
    without = build_plan([entry("kept")], [kept, gone, foreign], prune=False)
    assert without.steps == ()
    assert any("'gone'" in note and "--prune" in note for note in without.notes)
    plan = build_plan([entry("kept")], [kept, gone, foreign], prune=True)
    assert [(s.action, s.schedule_id, s.version) for s in plan.steps] == [
        (Action.DELETE, "sch_gone", 3)
    ]


def test_an_unmanaged_schedule_of_the_same_name_is_adopted() -> None:
    foreign = server(entry(), managed=False)
    [step] = build_plan([entry()], [foreign], prune=True).steps
    assert step.action == Action.UPDATE
    assert step.adopt
    assert step.changes == (FieldChange("tags.managed-by", None, "jobsched"),)
    assert step.body == {"tags": MARKER}


def test_several_unmanaged_namesakes_are_left_alone() -> None:
    one = server(entry(), sid="sch_a", managed=False)
    two = server(entry(), sid="sch_b", managed=False)
    plan = build_plan([entry()], [one, two], prune=True)
    assert [(s.action, s.schedule_id) for s in plan.steps] == [(Action.CREATE, None)]
    assert "2 unmanaged schedules" in plan.notes[0]


def test_duplicate_managed_names_keep_the_first_and_prune_the_rest() -> None:
    first = server(entry(), sid="sch_a")
    second = server(entry(), sid="sch_b")
    plan = build_plan([entry()], [first, second], prune=True)
    assert plan.unchanged == ("report",)
    assert [(s.action, s.schedule_id) for s in plan.steps] == [(Action.DELETE, "sch_b")]


def test_diff_recurses_into_mappings_only() -> None:
    assert diff({"a": {"b": 1, "c": [1]}}, {"a": {"b": 2, "c": [1, 2]}}) == [
        FieldChange("a.b", 1, 2),
        FieldChange("a.c", [1], [1, 2]),
    ]
    assert diff({"a": 1}, {"a": 1}) == []
    assert diff({"a": {"x": 1}}, {"a": None}) == [FieldChange("a", {"x": 1}, None)]
    assert diff({}, {"n": 0}) == [FieldChange("n", None, 0)]


def test_export_entries_apply_as_no_change() -> None:
    bodies = [
        entry("a"),
        entry("b", description="d", priority=2, tags={"k": "v"}, max_runs=4),
        entry(
            "c",
            task={
                "type": "sequence",
                "steps": [
                    {"id": "one", "task": {"type": "http", "url": "https://a.io"}},
                    {
                        "id": "two",
                        "task": {"type": "lambda", "function": "f"},
                        "depends_on": ["one"],
                    },
                ],
            },
        ),
        entry("d", task={"type": "eventbridge", "source": "me", "detail_type": "t"}),
    ]
    stored = [server(b, sid=f"sch_{b['name']}") for b in bodies]
    exported = [spec.export_entry(s) for s in stored]
    assert exported[0] == {
        "name": "a",
        "schedule": "every day at 9am",
        "timezone": "Europe/Paris",
        "task": {"type": "http", "url": "https://example.com/hook"},
    }
    assert "managed-by" not in json.dumps(exported)
    plan = build_plan(exported, stored, prune=True)
    assert plan.steps == ()
    assert plan.unchanged == ("a", "b", "c", "d")


def test_is_managed() -> None:
    assert is_managed({"tags": MARKER})
    assert not is_managed({"tags": {"managed-by": "terraform"}})
    assert not is_managed({"tags": None})
