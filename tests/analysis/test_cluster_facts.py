"""Clusters fold their pairs as they come: the facts the detectors read are what every pair
shows, the examples the shortest of all, and parts of a stream folded apart add up to the
whole, so a cluster of a million exchanges need not hold a million pairs."""

from itertools import pairwise
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.cluster_facts import Examples, PairFacts
from twinsight.analysis.clusters import Clustering, Observation
from twinsight.analysis.diff import Difference
from twinsight.analysis.shapes import starts_as_timestamp

KINDS = st.sampled_from(["changed", "missing", "extra", "type", "order"])
VALUES = st.sampled_from(
    [None, True, 0, 1, 4, 200, 201, 404, 2.5, "", "a", "A ", "5", "Done", "done ",
     "2026-01-01T10:00:00Z", "2026-01-01T10:00:59.5Z", "2026-01-02T10:00:00Z", [1], {"a": 1}]
)  # fmt: skip
PAIRS = st.lists(st.tuples(VALUES, VALUES), max_size=12)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


@given(KINDS, PAIRS)
def test_the_facts_are_what_every_pair_shows(kind: str, pairs: list[tuple[Any, Any]]) -> None:
    facts = PairFacts.of(kind, pairs)
    assert facts.count == len(pairs)
    texts = [isinstance(a, str) and isinstance(b, str) for a, b in pairs]
    assert facts.texts == all(texts)
    assert facts.case_or_space == all(
        t and a != b and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
        for t, (a, b) in zip(texts, pairs, strict=True)
    )
    ints = [(a, b) for a, b in pairs if isinstance(a, int) and isinstance(b, int)]
    assert facts.statuses == bool(ints)
    assert facts.same_family == all(a // 100 == b // 100 for a, b in ints)
    if kind in ("missing", "extra"):
        assert facts.legacy_present == all(a is not None for a, _ in pairs)
        assert facts.shown_null == all((a if kind == "missing" else b) is None for a, b in pairs)
    if kind == "type":
        assert facts.same_text == all(str(a) == str(b) for a, b in pairs)
    if kind == "changed":
        assert facts.same_minute == all(
            starts_as_timestamp(a) and starts_as_timestamp(b) and a[:16] == b[:16] for a, b in pairs
        )
        numbers = all(_number(v) for pair in pairs for v in pair)
        offsets = {round(b - a, 9) for a, b in pairs} if numbers else set()
        one = len(offsets) == 1
        assert (facts.one_offset and facts.offset is not None) == (bool(pairs) and one)
        if pairs and one:
            assert {facts.offset} == offsets


@given(KINDS, PAIRS, st.lists(st.integers(0, 12), max_size=3))
def test_facts_folded_in_parts_add_up_to_the_whole(
    kind: str, pairs: list[tuple[Any, Any]], cuts: list[int]
) -> None:
    merged = PairFacts()
    for start, end in pairwise([0, *sorted(cuts), len(pairs)]):
        merged.merge(PairFacts.of(kind, pairs[start:end]))
    assert merged == PairFacts.of(kind, pairs)


@given(PAIRS, st.integers(1, 4), st.lists(st.integers(0, 12), max_size=3))
def test_the_examples_kept_are_the_shortest_of_all_earliest_first(
    pairs: list[tuple[Any, Any]], keep: int, cuts: list[int]
) -> None:
    differences = [Difference("body.x", "changed", a, b) for a, b in pairs]
    expected = sorted(differences, key=lambda d: len(repr((d.legacy, d.candidate))))[:keep]
    whole, merged = Examples(keep), Examples(keep)
    for d in differences:
        whole.add(d)
    for start, end in pairwise([0, *sorted(cuts), len(differences)]):
        part = Examples(keep)
        for d in differences[start:end]:
            part.add(d)
        merged.merge(part)
    assert [id(d) for d in whole.shortest()] == [id(d) for d in expected]
    assert [id(d) for d in merged.shortest()] == [id(d) for d in expected]


OBSERVATIONS = st.lists(
    st.builds(
        Observation,
        st.sampled_from(["e1", "e2", "e3", "e4", "e5", "e6"]),
        st.sampled_from(["GET /a", "GET /b"]),
        st.builds(
            Difference,
            st.sampled_from(["status", "body.n", "body.t", "headers.x"]),
            KINDS,
            VALUES,
            VALUES,
        ),
        st.frozensets(st.sampled_from(["query", "body"])),
        st.sampled_from(["", "inferred: a time"]),
    ),
    max_size=20,
)


@given(OBSERVATIONS, st.lists(st.integers(0, 20), max_size=3))
def test_clusters_folded_in_parts_are_the_clusters_of_the_whole(
    observations: list[Observation], cuts: list[int]
) -> None:
    # Parts hold whole exchanges, as the stream's parts do (runs of ids).
    observations = sorted(observations, key=lambda o: o.exchange_id)
    ids = [o.exchange_id for o in observations]
    bounds = sorted({0, len(ids), *(ids.index(ids[c]) for c in cuts if c < len(ids))})
    whole, merged = Clustering(), Clustering()
    for o in observations:
        whole.add(o)
    for start, end in pairwise(bounds):
        part = Clustering()
        for o in observations[start:end]:
            part.add(o)
        merged.merge(part)
    totals = {"GET /a": 30, "GET /b": 40}
    assert merged.finish(totals) == whole.finish(totals)
