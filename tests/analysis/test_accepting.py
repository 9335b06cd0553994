"""What `twinsight accept` writes for a cluster: its wheres, and how a noise rule compares."""

import json
from collections.abc import Sequence

import pytest

from twinsight.analysis.accepting import noise_compare, unexplained, wheres
from twinsight.analysis.diff import Difference
from twinsight.analysis.rules import Rule
from twinsight.store import ClusterRow
from twinsight.store.evidence import ClusterShare


def row(
    location: str = "body.version",
    kind: str = "changed",
    examples: Sequence[tuple[object, object]] = (),
    endpoints: list[str] | None = None,
    noise: str | None = None,
    fingerprint: str = "c1-0000000001",
    description: str = "it differs",
) -> ClusterRow:
    shown = json.dumps([{"legacy": a, "candidate": b} for a, b in examples])
    endpoint = endpoints[0] if endpoints and len(endpoints) == 1 else "*"
    return ClusterRow(
        endpoint, location, kind, "pattern", 1, 0.5, description, [], [], shown, ["x1"],
        endpoints=endpoints, noise=noise, fingerprint=fingerprint,
    )  # fmt: skip


def test_one_where_per_endpoint_in_the_clusters_order() -> None:
    found = wheres(row(endpoints=["GET /tasks/{id}", "GET /health", "GET /tasks/{id}"]))
    assert found == ["GET /tasks/{id} body.version", "GET /health body.version"]


def test_a_soap_endpoint_scopes_its_path_and_an_unscoped_cluster_its_location() -> None:
    assert wheres(row(endpoints=["POST /ws CreateOrder"])) == ["POST /ws body.version"]
    assert wheres(row(endpoints=None)) == ["body.version"]


def test_a_where_with_folded_indexes_scopes_the_cluster_it_came_from() -> None:
    (where,) = wheres(row("body.tasks[*].id", endpoints=["GET /tasks"]))
    rule = Rule.parse(where)
    assert rule.scopes("GET", "/tasks", "body.tasks[*].id")
    assert not rule.scopes("GET", "/tasks/7", "body.tasks[*].id")
    assert rule.covers(Difference("body.tasks[3].id", "changed", 1, "a"))


@pytest.mark.parametrize(
    ("cluster", "compare"),
    [
        (row(kind="order"), "unordered"),
        (row("status", examples=[(404, 204)]), "ignore"),  # every status has one shape
        (row(examples=[(1, 2), (3, 4)]), "shape"),  # ids stay ids
        (row(examples=[("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")]), "shape"),
        (row(examples=[(1, 2), ("2026-01-01", "x")]), "ignore"),  # one example changes shape
        (row(kind="extra", examples=[(None, "1.2")]), "ignore"),
        (row(kind="type", examples=[(1, "1")]), "ignore"),
        (row(examples=[]), "ignore"),  # nothing to tell the shape by
    ],
)
def test_a_noise_rule_compares_by_shape_only_where_values_keep_theirs(
    cluster: ClusterRow, compare: str
) -> None:
    assert noise_compare(cluster) == compare


def test_a_shape_rule_covers_the_clusters_own_examples() -> None:
    cluster = row(examples=[(1, 2), ("2026-01-01T00:00:00Z", "2026-02-01T10:00:00Z")])
    rule = Rule.parse("body.version", compare=noise_compare(cluster))
    for a, b in [(1, 2), ("2026-01-01T00:00:00Z", "2026-02-01T10:00:00Z")]:
        assert rule.covers(Difference("body.version", "changed", a, b))
    assert not rule.covers(Difference("body.version", "changed", 1, "one"))


def share(description: str, *classifications: str) -> ClusterShare:
    return ClusterShare(
        "GET /x", "body.version", "changed", description, 1, 0.5, list(classifications)
    )


def test_all_means_the_real_clusters_with_an_unexplained_exchange() -> None:
    rows = [
        row(fingerprint="c1-a", description="a"),
        row(fingerprint="c1-b", description="b"),
        row(fingerprint="c1-c", description="c", noise="inferred: time"),
        row(fingerprint="c1-d", description="d"),
    ]
    shares = [
        share("a", "regression"),
        share("b", "explained", "unexplained"),
        share("c", "unexplained"),
        share("d", "unexplained"),
    ]
    assert unexplained(rows, shares) == ["c1-b", "c1-d"]
