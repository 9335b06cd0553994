"""A scenario's properties and property tests, read as the proposal writes them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.errors import SpecError
from twinsight.explore.properties.states import path_between
from twinsight.explore.properties.transitions import planned
from twinsight.explore.properties.verdict import classify
from twinsight.spec import parse_spec
from twinsight.spec.properties import (
    MAX_OPERATIONS,
    Concurrency,
    Idempotency,
    Transitions,
    Unchecked,
    scenario_properties,
)

HEAD = """feature: F
scenarios:
  - name: Create
    when: {text: I create, request: {method: POST, path: /tasks}}
    then: [It is made]
"""


def test_the_proposal_s_properties_load_typed() -> None:
    spec = parse_spec(
        HEAD
        + """    properties:
      - idempotency: {description: Same task twice, key: [title, due_date]}
      - state_transitions:
          valid: [{from: pending, to: [done, cancelled]}]
          invalid: [{from: done, to: pending}]
      - referential_integrity: {property: "for_all(x): exists(x)"}
    property_tests:
      - name: Concurrent
        property: final_state(parallel_execute(ops)) == final_state(sequential_execute(ops))
        generators: {operations: {size: {min: 10, max: 1000}}}
"""
    )
    s = spec.scenarios[0]
    found = scenario_properties(s.name, s.properties, s.property_tests)
    assert found[0] == Idempotency("Create", "Same task twice", ("title", "due_date"))
    assert found[1] == Transitions(
        "Create", {"pending": ("done", "cancelled")}, {"done": ("pending",)}
    )
    assert isinstance(found[2], Unchecked)
    assert found[2].title == "referential_integrity"
    assert found[3] == Concurrency("Create", "Concurrent", 10, MAX_OPERATIONS)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("- idempotency: {key: title}", "[0] idempotency.key: expected a list of field names"),
        ("- state_transitions: {allowed: []}", "[0] state_transitions: expected 'valid'"),
        ("- state_transitions: {valid: [{from: a}]}", "[0] state_transitions.valid[1]: expected"),
        ("- {idempotency: {}, state_transitions: {}}", "[0] a property is a mapping with one key"),
    ],
)
def test_a_malformed_property_is_named_where_it_stands(item: str, message: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_spec(HEAD + "    properties:\n      " + item + "\n", "s.yaml")
    assert f"s.yaml:7:7: scenarios[0].properties: {message}" in str(raised.value)


def test_transitions_are_planned_once_each_valid_first() -> None:
    declared = Transitions("S", {"a": ("b", "c"), "b": ("c",)}, {"c": ("a", "b"), "a": ("b",)})
    trials = [t.what for t in planned(declared)]
    assert trials == [
        "a -> b (valid)",
        "a -> c (valid)",
        "b -> c (valid)",
        "c -> a (invalid)",
        "c -> b (invalid)",
    ]


states = st.sampled_from("abcde")


@given(st.dictionaries(states, st.lists(states, max_size=4).map(tuple)), states, states)
def test_a_route_only_takes_valid_transitions_and_is_shortest(
    valid: dict[str, tuple[str, ...]], start: str, goal: str
) -> None:
    route = path_between(valid, start, goal)
    if route is None:
        return
    here = start
    for there in route:
        assert there in valid.get(here, ())
        here = there
    assert here == goal
    assert len(route) <= len(valid) + 1
    assert len(set(route)) == len(route)


def test_the_verdict_is_differential() -> None:
    assert [classify(a, b) for a in (True, False) for b in (True, False)] == [
        "match",
        "regression",
        "explained",
        "spec_conflict",
    ]
