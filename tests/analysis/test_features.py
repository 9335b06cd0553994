"""Request features, and the detector that correlates a cluster with them."""

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.clusters import Observation, cluster, input_features
from twinsight.analysis.diff import Difference
from twinsight.analysis.features import FEATURES, LONG, request_features


def test_features_come_from_path_query_and_body_strings() -> None:
    assert request_features("/tasks/17", {"status": "open"}, {"title": "Buy"}) == frozenset()
    assert request_features("/tasks", {}, {"title": "x" * (LONG + 1)}) == {"long"}
    assert request_features("/tasks", {}, {"title": "x" * LONG}) == frozenset()
    assert request_features("/tasks", {}, {"tags": ["a", "完成"]}) == {"unicode"}
    assert request_features("/t/caf%C3%A9", {}, None) == {"unicode"}
    assert request_features("/tasks", {"q": ""}, None) == {"empty"}
    assert request_features("/tasks", {}, {"title": "  "}) == {"empty"}
    assert request_features("/tasks", {}, {}) == {"empty"}
    assert request_features("/tasks/", {}, None) == frozenset()  # a trailing slash is no input
    assert request_features("/tasks", {}, {"t": "é" * 200}) == {"long", "unicode"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(st.text(), st.dictionaries(st.text(), st.text(), max_size=3), json_values)
def test_any_request_has_only_known_features(
    path: str, query: dict[str, str], body: object
) -> None:
    assert request_features(path, query, body) <= FEATURES.keys()


def _clustered(inside: int, with_feature_elsewhere: int, elsewhere: int) -> list[str]:
    observations = [
        Observation(
            f"x{i}", "POST /tasks", Difference("status", "changed", 400, 201), frozenset({"long"})
        )
        for i in range(inside)
    ]
    totals = {"POST /tasks": inside + elsewhere}
    features = {"POST /tasks": Counter({"long": inside + with_feature_elsewhere})}
    (found,) = cluster(observations, totals, endpoint_features=features)
    return found.hypotheses


def test_a_cluster_that_only_long_inputs_show_is_said_to() -> None:
    hypotheses = _clustered(inside=4, with_feature_elsewhere=1, elsewhere=20)
    assert (
        "differs only for requests with long inputs (over 100 characters): "
        "all 4 here, 1 of the endpoint's 20 other(s)"
    ) in hypotheses


def test_no_input_hypothesis_when_the_feature_is_common_or_the_whole_endpoint_differs() -> None:
    assert not any("only for requests" in h for h in _clustered(4, 15, 20))
    assert not any("only for requests" in h for h in _clustered(4, 0, 0))


def test_the_detector_needs_every_clustered_request_to_show_it() -> None:
    observations = [
        Observation("a", "POST /t", Difference("status", "changed", 400, 201), frozenset({"long"})),
        Observation("b", "POST /t", Difference("status", "changed", 400, 201), frozenset()),
    ]
    (found,) = cluster(
        observations, {"POST /t": 50}, endpoint_features={"POST /t": Counter(long=1)}
    )
    assert input_features(found) is None


def test_an_empty_query_value_reaches_the_features_as_read_from_the_store() -> None:
    from twinsight.spec.inputs import RequestView

    request = RequestView.of("GET", "/tasks", "q=&status=open&status=done", (), b"")
    assert request.query == {"q": "", "status": "open"}  # blank kept; the first of repeats
    assert request_features(request.path, dict(request.query), request.body) == {"empty"}
