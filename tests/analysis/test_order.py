"""Order: the same items in another order are one `order` difference, noise `inferred: unstable
order` only where the legacy itself answered a request and its repeat in several orders."""

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.diff import Difference, Message
from twinsight.analysis.inference import Evidence, infer
from twinsight.analysis.jsondiff import JsonDifference, diff
from twinsight.analysis.judge import Judge
from twinsight.analysis.order import OrderEvidence, UnstableOrder, arrays_in, request_identity
from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.records import Exchange
from twinsight.spec.inputs import RequestView
from twinsight.store import new_id
from twinsight.testing import answer, write_store

ENDPOINT = "GET /tasks/{id}"
REQUEST = RequestView.of("GET", "/tasks/1", "", (), b"")
UNSTABLE = UnstableOrder(frozenset({(ENDPOINT, "body.tags")}))
items = st.one_of(
    st.integers(-3, 3),
    st.text("ab", max_size=2),
    st.dictionaries(st.sampled_from("xyz"), st.integers(0, 2), max_size=3),
)


JUDGE = Judge(unstable=UNSTABLE)


def judged(legacy: Any, candidate: Any) -> list[Any]:
    found = JUDGE.judge(
        REQUEST,
        Message(200, body=orjson.dumps(legacy)),
        Message(200, body=orjson.dumps(candidate)),
        endpoint=ENDPOINT,
    )
    return [(j.difference.location, j.difference.kind, j.noise) for j in found.differences]


# one `order` difference at the array


def test_objects_in_another_order_are_one_order_difference() -> None:
    a = [{"id": 1, "tags": ["x"]}, {"id": 2, "tags": []}]
    b = [{"tags": [], "id": 2}, {"tags": ["x"], "id": 1.0}]  # key order and 1.0 do not count
    assert diff({"tasks": a}, {"tasks": b}) == [JsonDifference(("tasks",), "order", a, b)]


@given(st.lists(items, min_size=2, max_size=6), st.randoms(use_true_random=False))
def test_a_permutation_is_one_order_difference_or_none(a: list[Any], random: Any) -> None:
    b = random.sample(a, len(a))
    found = diff({"v": a}, {"v": b})
    assert found in ([], [JsonDifference(("v",), "order", a, b)])


def test_arrays_in_name_their_location_groups() -> None:
    document = {"tasks": [{"tags": ["a", "b"]}, {"tags": ["c"]}], "one": [1]}
    assert [group for group, _ in arrays_in(document)] == ["body.tasks", "body.tasks[*].tags"]


# the evidence: a request and its own repeat


def observed(*answers: tuple[str, Any]) -> UnstableOrder:
    evidence = OrderEvidence()
    for path, document in answers:
        evidence.observe(ENDPOINT, request_identity("GET", path, "", None), document)
    return evidence.unstable()


def test_a_repeat_answered_in_another_order_shows_the_legacy_unstable() -> None:
    found = observed(("/tasks/1", {"tags": ["a", "b"]}), ("/tasks/1", {"tags": ["b", "a"]}))
    assert found.locations == {(ENDPOINT, "body.tags")}
    assert found.groups(ENDPOINT) == {"body.tags"}
    assert found.groups("GET /other") == frozenset()
    # one field of one resource: the other endpoints of /tasks share it, others do not
    assert found.groups("POST /tasks") == {"body.tags"}
    assert found.groups("GET /lists/{id}") == frozenset()


def test_a_whole_body_array_is_not_carried_to_other_endpoints() -> None:
    found = observed(("/tasks/1", ["a", "b"]), ("/tasks/1", ["b", "a"]))
    assert found.groups(ENDPOINT) == {"body"}
    assert found.groups("GET /tasks") == frozenset()


def test_a_stable_legacy_or_other_requests_show_nothing() -> None:
    same = observed(("/tasks/1", {"tags": ["a", "b"]}), ("/tasks/1", {"tags": ["a", "b"]}))
    assert same.locations == frozenset()
    # two requests listing the same items in other orders may mean it (`?sort=desc`)
    other = observed(("/tasks/1", {"tags": ["a", "b"]}), ("/tasks/2", {"tags": ["b", "a"]}))
    assert other.locations == frozenset()
    # other items at the same request: the set changed, not its order
    changed = observed(("/tasks/1", {"tags": ["a", "b"]}), ("/tasks/1", {"tags": ["b", "c"]}))
    assert changed.locations == frozenset()


def test_an_encoded_slash_is_another_request_than_a_real_one() -> None:
    # Under `/files/{name}` these are one endpoint, but `a%2Fb` may be routed raw and
    # `a%252Fb` is another name: lists in other orders there are no repeat's.
    for one, other in [("/files/a%2Fb", "/files/a/b"), ("/files/a%2Fb", "/files/a%252Fb")]:
        assert request_identity("GET", one, "", None) != request_identity("GET", other, "", None)
        found = observed((one, {"tags": ["a", "b"]}), (other, {"tags": ["b", "a"]}))
        assert found.locations == frozenset()
    again = observed(("/files/a%2Fb", {"tags": ["a", "b"]}), ("/files/a%2Fb", {"tags": ["b", "a"]}))
    assert again.locations == {(ENDPOINT, "body.tags")}


# judging


def test_order_is_noise_only_where_the_legacy_is_unstable() -> None:
    order = Difference("body.tags", "order", ["a", "b"], ["b", "a"])
    assert infer(order, Evidence(unstable=frozenset({"body.tags"}))) == "unstable order"
    assert infer(order, Evidence(unstable=frozenset({"body.other"}))) is None
    assert judged({"tags": ["a", "b"]}, {"tags": ["b", "a"]}) == [
        ("body.tags", "order", "inferred: unstable order")
    ]
    assert judged({"x": ["a", "b"]}, {"x": ["b", "a"]}) == [("body.x", "order", None)]


def test_a_multiset_change_at_an_unstable_location_is_never_noise() -> None:
    # safeguard: an item added, removed or changed is a divergence wherever order wanders
    assert judged({"tags": ["a", "b"]}, {"tags": ["b", "a", "c"]}) == [
        ("body.tags[0]", "changed", None),
        ("body.tags[1]", "changed", None),
        ("body.tags[2]", "extra", None),
    ]
    assert all(noise is None for *_, noise in judged({"tags": ["a", "b"]}, {"tags": ["b"]}))
    assert all(noise is None for *_, noise in judged({"tags": ["A", "b"]}, {"tags": ["b", "a"]}))


def test_with_a_replica_order_is_not_inferred() -> None:
    legacy = Message(200, body=b'{"tags": ["a", "b"]}')
    candidate = Message(200, body=b'{"tags": ["b", "a"]}')
    found = JUDGE.judge(REQUEST, legacy, candidate, legacy, endpoint=ENDPOINT)
    assert [j.noise for j in found.differences] == [None]


@given(st.lists(items, max_size=5), st.lists(items, max_size=5))
def test_order_inference_never_hides_a_multiset_change(a: list[Any], b: list[Any]) -> None:
    canonical = [orjson.dumps(x, option=orjson.OPT_SORT_KEYS) for x in a]
    if Counter(canonical) == Counter(orjson.dumps(x, option=orjson.OPT_SORT_KEYS) for x in b):
        return
    found = judged({"tags": a}, {"tags": b})
    assert found, "a multiset change is a difference"
    assert all(noise is None for *_, noise in found)


# over a store


def read(path: str, legacy: Any, candidate: Any) -> Exchange:
    responses = (answer("legacy", legacy), answer("candidate", candidate))
    return Exchange(id=new_id(), source="proxy", method="GET", path=path, responses=responses)


def test_analyze_finds_the_legacy_unstable_and_infers_order(tmp_path: Path) -> None:
    store = tmp_path / "run.duckdb"
    write_store(
        store,
        [
            read("/tasks/1", {"tags": ["a", "b"]}, {"tags": ["b", "a"]}),
            read("/tasks/1", {"tags": ["b", "a"]}, {"tags": ["b", "a"]}),  # the repeat
            read("/lists/1", {"tags": ["a", "b"]}, {"tags": ["b", "a"]}),  # never repeated
            read("/tasks/1", {"tags": ["a", "b"]}, {"tags": ["a", "c"]}),  # a changed item
        ],
    )
    analysis = analyze_store(store, None, config=Config(), spec=None)
    assert analysis.counts["noise"] == 1
    assert analysis.counts["match"] == 1
    assert analysis.counts["unexplained"] == 2
