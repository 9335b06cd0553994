"""Strategies and operations from a spec, without servers."""

from typing import Any

from hypothesis import find, given, settings

from twinsight.examples.tasks import files
from twinsight.explore.driver import created_id
from twinsight.explore.machine import stateful
from twinsight.explore.operations import operations, vocabulary
from twinsight.explore.search import request_strategy
from twinsight.explore.strategies import body_strategy, boundary_lengths, value_strategy
from twinsight.records import Body, Response
from twinsight.spec import Input, InputConstraints, load_spec

SPEC = load_spec(files() / "spec.yaml")
TITLE = Input(
    name="title", type="string", constraints=InputConstraints(min_length=1, max_length=255)
)
NOTE = Input(name="note", type="string", optional=True)


def test_boundary_lengths_straddle_each_bound_and_reach_far_past_them() -> None:
    assert boundary_lengths(TITLE.constraints) == [0, 1, 2, 127, 254, 255, 256, 10_000]
    assert boundary_lengths(None) == [0, 1, 10_000]


def test_a_title_within_bounds_in_characters_but_not_in_bytes_is_reached() -> None:
    found = find(value_strategy(TITLE), lambda t: len(t) <= 255 < len(t.encode()))
    assert len(found) <= 255 < len(found.encode())


def test_edge_cases_are_reached() -> None:
    strategy = value_strategy(TITLE)
    for wanted in (
        lambda t: "DROP TABLE" in t,
        lambda t: any("\u0590" <= c <= "\u06ff" for c in t),  # Hebrew or Arabic
        lambda t: any(ord(c) > 0xFFFF for c in t),  # emoji
        lambda t: t != t.strip(),
        lambda t: len(t) > 1000,
    ):
        find(strategy, wanted, settings=settings(max_examples=500))


@given(body_strategy((TITLE, NOTE)))
def test_bodies_always_carry_required_inputs(body: dict[str, Any]) -> None:
    assert "title" in body
    assert set(body) <= {"title", "note"}


def test_optional_inputs_are_left_out_and_sent_as_null() -> None:
    find(body_strategy((TITLE, NOTE)), lambda b: "note" not in b)
    find(body_strategy((TITLE, NOTE)), lambda b: "note" in b and b["note"] is None)


def test_the_example_spec_gives_one_operation_per_binding_with_its_inputs() -> None:
    found = {op.name: op for op in operations(SPEC)}
    assert list(found) == [
        "POST /tasks",
        "POST /tasks/{id}/complete",
        "GET /tasks",
        "GET /tasks/{id}",
        "PATCH /tasks/{id}",
        "GET /health",
    ]
    assert [i.name for i in found["POST /tasks"].inputs] == ["title", "description", "due_date"]
    assert found["GET /tasks"].role == "list"
    assert found["GET /tasks"].query_fields == ("status",)
    assert found["PATCH /tasks/{id}"].role == "act"
    assert found["PATCH /tasks/{id}"].body_fields == ("status",)
    assert [op.name for op in stateful(list(found.values()))] == list(found)[:5]


def test_vocabulary_comes_from_the_operation_s_own_resource() -> None:
    listing = next(op for op in operations(SPEC) if op.name == "GET /tasks")
    words = vocabulary(SPEC, listing)
    assert words["status"] == ("pending", "in_progress", "completed", "cancelled")
    assert "ok" in vocabulary(SPEC)["status"]  # GET /health's, for the spec as a whole


@given(request_strategy(operations(SPEC)[1], {}))
def test_generated_paths_keep_the_template_shape(step: Any) -> None:
    parts = step.path.split("/")
    assert parts[1] == "tasks"
    assert parts[3] == "complete"
    assert len(parts) == 4
    assert parts[2]


def test_created_ids_come_from_the_body_or_the_location() -> None:
    made = Response("legacy", 201, body=Body(b'{"id": 17}'))
    assert created_id(made) == "17"
    located = Response("legacy", 201, (("Location", "/tasks/abc"),), Body(b"[]"))
    assert created_id(located) == "abc"
    assert created_id(Response("legacy", 400, body=Body(b'{"id": 1}'))) is None
