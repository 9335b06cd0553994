from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.jsondiff import JsonDifference, apply, diff, render_path

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(-3, 3, allow_nan=False)
    | st.text("ab", max_size=2)
)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text("xyz", max_size=2), children, max_size=4)
    ),
    max_leaves=20,
)


@given(documents)
def test_a_document_does_not_differ_from_itself(a: Any) -> None:
    assert diff(a, a) == []


@given(documents, documents)
def test_diff_is_symmetric_up_to_missing_and_extra(a: Any, b: Any) -> None:
    # the same differences, listed in another order
    assert sorted(map(repr, diff(b, a))) == sorted(repr(d.swapped()) for d in diff(a, b))


@given(documents, documents)
def test_applying_the_differences_rebuilds_the_candidate(a: Any, b: Any) -> None:
    rebuilt = apply(a, diff(a, b))
    assert diff(rebuilt, b) == []


def test_kinds() -> None:
    legacy = {"id": 1, "title": "x", "tags": ["a", "b"], "done": False, "n": 1, "gone": 1}
    candidate = {"id": "1", "title": "y", "tags": ["b", "a"], "done": False, "n": 1.0, "new": 2}
    found = {(render_path(d.path), d.kind) for d in diff(legacy, candidate)}
    assert found == {
        ("body.id", "type"),
        ("body.title", "changed"),
        ("body.tags", "order"),
        ("body.gone", "missing"),
        ("body.new", "extra"),
    }


def test_strict_numbers_and_booleans_are_not_numbers() -> None:
    assert diff(1, 1.0) == []
    assert diff(1, 1.0, strict_numbers=True) == [JsonDifference((), "changed", 1, 1.0)]
    assert diff(True, 1) == [JsonDifference((), "type", True, 1)]


def test_arrays_of_other_lengths_report_the_tail() -> None:
    assert diff([1, 2, 3], [1, 5]) == [
        JsonDifference((1,), "changed", 2, 5),
        JsonDifference((2,), "missing", 3, None),
    ]


def test_paths_render_readably() -> None:
    assert render_path(("items", 3, "id")) == "body.items[3].id"
    assert render_path(("a b", "c-d")) == 'body["a b"]["c-d"]'
