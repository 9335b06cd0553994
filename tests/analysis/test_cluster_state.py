"""A clustering kept and taken back goes on as if it had never stopped: the clusters a run
makes from the kept state and its new observations are those of one pass over them all."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.cluster_members import FIRST_KEPT, Members, id_digest
from twinsight.analysis.cluster_state import restored
from twinsight.analysis.clusters import Cluster, Clustering, Observation
from twinsight.analysis.collect import Collector
from twinsight.analysis.diff import Difference
from twinsight.store import ClusterStateRow, EarlierCounts

ENDPOINTS = ["GET /a", "GET /b", "POST /a"]
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 600),
    st.floats(-10, 10, allow_nan=False, allow_infinity=False),
    # Their offsets are beyond what JSON holds: 64 bits and more, an infinite float.
    st.sampled_from([2**63 - 1, -(2**63), 1e308, -1e308]),
    st.sampled_from(["x", "X ", "2026-11-25T10:00:00Z", "2026-11-25T10:00:30.5Z", "tok"]),
    st.lists(st.integers(0, 3), max_size=3),
)
differences = st.builds(
    Difference,
    st.sampled_from(["status", "body.n", "body.items[0].id", "body.items[1].id", "headers.etag"]),
    st.sampled_from(["changed", "missing", "extra", "type", "order"]),
    values,
    values,
)
# An exchange: its endpoint, whether explore found it, and its differences (real or noise).
exchanges = st.tuples(
    st.sampled_from(ENDPOINTS),
    st.booleans(),
    st.lists(st.tuples(differences, st.sampled_from(["", "inferred: time"])), max_size=4),
)


def observations(stream: list[Any]) -> list[Observation]:
    found = []
    for n, (endpoint, finding, judged) in enumerate(stream):
        features = frozenset({"query"} if n % 3 else ())
        for d, noise in judged:
            found.append(Observation(f"e{n:04}", endpoint, d, features, noise, finding))
    return found


def shown(clusters: list[Cluster]) -> list[tuple[Any, ...]]:
    """Everything a run writes or proposes from of each cluster."""
    return [
        (
            c.fingerprint,
            c.endpoint,
            c.location,
            c.kind,
            c.pattern,
            c.count,
            c.share,
            c.description,
            c.hypotheses,
            c.followers,
            c.sample_ids(),
            c.members.first,
            c.members.last,
            c.findings,
            repr(c.examples),
            c.endpoints,
        )
        for c in clusters
    ]


def rows_of(clustering: Clustering) -> list[ClusterStateRow]:
    """The rows kept, as the derived table gives them back."""
    columns = Collector()
    columns.clustering = clustering
    table = columns.state().table()
    return [ClusterStateRow(**row) for row in table.to_pylist()]


@given(st.lists(exchanges, max_size=30), st.integers(0, 30))
def test_clusters_from_a_kept_state_and_what_follows_are_those_of_one_pass(
    stream: list[Any], cut: int
) -> None:
    totals = dict.fromkeys(ENDPOINTS, 40)
    whole = Clustering()
    for o in observations(stream):
        whole.add(o)
    earlier, later = Clustering(), Clustering()
    for o in observations(stream[:cut]):
        earlier.add(o)
    later_ones = observations(stream)[len(observations(stream[:cut])) :]
    for o in later_ones:
        later.add(o)
    kept, samples = restored(rows_of(earlier), whole.examples)
    assert samples == {}
    kept.merge(later)
    assert shown(kept.finish(totals)) == shown(whole.finish(totals))


@given(st.lists(st.text(min_size=1, max_size=6), unique=True, max_size=60), st.data())
def test_members_added_in_parts_are_those_added_at_once(ids: list[str], data: Any) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(ids)), max_size=4)))
    whole, parts = Members(), Members()
    for i in ids:
        whole.add(i, id_digest(i))
    for start, end in zip([0, *cuts], [*cuts, len(ids)], strict=True):
        part = Members()
        for i in ids[start:end]:
            part.add(i, id_digest(i))
        parts.merge(part)
    assert parts == whole
    assert whole.first == sorted(ids)[:FIRST_KEPT]
    assert whole.last == max(ids, default=None)
    shuffled = Members()
    for i in data.draw(st.permutations(ids)):
        shuffled.add(i, id_digest(i))
    assert shuffled == whole  # whatever order they came in
    assert Members.of_state(whole.state()) == whole


@given(st.lists(exchanges, max_size=30), st.data())
def test_traffic_older_than_the_kept_state_joins_the_clusters_as_a_full_run_has_it(
    stream: list[Any], data: Any
) -> None:
    # Older traffic imported after a run: the later run's exchanges sort before some kept.
    totals = dict.fromkeys(ENDPOINTS, 40)
    later_ones = set(data.draw(st.lists(st.integers(0, max(len(stream) - 1, 0)))))
    whole, earlier, later = Clustering(), Clustering(), Clustering()
    for n, item in enumerate(stream):
        for o in observations([item]):
            named = replace(o, exchange_id=f"e{n:04}")
            whole.add(named)
            (later if n in later_ones else earlier).add(named)
    kept, _ = restored(rows_of(earlier), whole.examples)
    kept.merge(later)
    assert ids_of(kept.finish(totals)) == ids_of(whole.finish(totals))


def ids_of(clusters: list[Cluster]) -> list[tuple[Any, ...]]:
    """What of each cluster does not depend on the order its exchanges came in."""
    return sorted(
        (c.fingerprint, c.count, c.share, c.sample_ids(), c.members, sorted(c.findings))
        for c in clusters
    )


def test_volatile_samples_kept_come_before_a_later_runs_up_to_the_limit() -> None:
    earlier = Collector(volatile_samples=3)
    change = Difference("body.at", "changed", "1", "2")
    earlier.changes[("GET /a", "body.at")] = [change, change]
    rows = [ClusterStateRow(**row) for row in earlier.state().table().to_pylist()]
    later = Collector(volatile_samples=3)
    newer = Difference("body.at", "changed", "3", "4")
    later.changes[("GET /a", "body.at")] = [newer, newer]
    later.seed(rows, EarlierCounts({"GET /a": 4}, {}, {}))
    assert later.changes == {("GET /a", "body.at"): [change, change, newer]}
