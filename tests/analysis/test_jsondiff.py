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


def _folded(d: JsonDifference) -> str:
    # Items paired by a key sit at the legacy's index: seen from the other side, at the other
    # one's. Everything else about the difference must mirror.
    path = tuple("*" if isinstance(step, int) else step for step in d.path)
    return repr(JsonDifference(path, d.kind, d.legacy, d.candidate))


@given(documents, documents)
def test_diff_is_symmetric_up_to_missing_and_extra(a: Any, b: Any) -> None:
    # the same differences, listed in another order
    assert sorted(map(_folded, diff(b, a))) == sorted(_folded(d.swapped()) for d in diff(a, b))


keyed = st.lists(
    st.fixed_dictionaries({"name": st.text("pqr", min_size=1, max_size=3), "n": st.integers(0, 3)}),
    min_size=2,
    max_size=5,
    unique_by=lambda item: item["name"],
)


def test_items_are_paired_only_by_a_name_that_says_identity() -> None:
    # `role` is unique on both sides by chance: pairing by it would blame the wrong field.
    legacy = [{"user": "ann", "role": "admin"}, {"user": "bob", "role": "viewer"}]
    candidate = [{"user": "ann", "role": "viewer"}, {"user": "bob", "role": "admin"}]
    assert {render_path(d.path) for d in diff(legacy, candidate)} == {
        "body[0].role",
        "body[1].role",
    }


def test_paired_items_that_gain_a_field_rebuild() -> None:
    a = [{"id": 1}, {"id": 2}]
    b = [{"id": 2, "x": 9}, {"id": 1}]
    assert diff(apply(a, diff(a, b)), b) == []


@given(keyed, st.randoms(use_true_random=False), st.integers(0, 4))
def test_keyed_items_reordered_and_changed_pair_up(items: Any, random: Any, bump: int) -> None:
    moved = [dict(item) for item in items]
    random.shuffle(moved)
    moved[0]["n"] += bump
    if bump % 2:
        moved[-1]["extra"] = bump  # a paired item may gain a field too
    found = diff(items, moved)
    assert diff(apply(items, found), moved) == []
    assert len([d for d in found if d.kind == "changed"]) <= 1  # only the bumped item
    assert len([d for d in found if d.kind == "extra"]) <= 1


@given(documents, documents)
def test_applying_the_differences_rebuilds_the_candidate(a: Any, b: Any) -> None:
    rebuilt = apply(a, diff(a, b))
    assert diff(rebuilt, b) == []


def test_objects_reordered_and_changed_are_compared_with_their_counterparts() -> None:
    legacy = {"data": [{"id": "a1", "name": "apple", "p": 1}, {"id": "b1", "name": "fig", "p": 9}]}
    candidate = {
        "data": [{"id": "b2", "name": "fig", "p": 7}, {"id": "a2", "name": "apple", "p": 1}]
    }
    found = diff(legacy, candidate)
    assert [(render_path(d.path), d.kind, d.legacy, d.candidate) for d in found[:-1]] == [
        ("body.data[0].id", "changed", "a1", "a2"),
        ("body.data[1].id", "changed", "b1", "b2"),
        ("body.data[1].p", "changed", 9, 7),
    ]
    assert (render_path(found[-1].path), found[-1].kind) == ("body.data", "order")
    # With no key that pairs them, items compare index by index.
    unkeyed = {"data": [legacy["data"][0], {"x": 1}]}
    assert {render_path(d.path) for d in diff(legacy, unkeyed)} == {
        "body.data[1].id",
        "body.data[1].name",
        "body.data[1].p",
        "body.data[1].x",
    }


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
