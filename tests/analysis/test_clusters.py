import pytest

from twinsight.analysis.cluster_facts import PairFacts
from twinsight.analysis.clusters import (
    Cluster,
    Observation,
    case_or_whitespace,
    cluster,
    error_text,
    field_missing,
    null_versus_absent,
    numeric_offset,
    order_only,
    status_family,
    timestamp_format,
    type_changed,
    value_pattern,
)
from twinsight.analysis.diff import Difference


def make(location: str, kind: str, *pairs: tuple[object, object]) -> Cluster:
    examples = [Difference(location, kind, a, b) for a, b in pairs]  # type: ignore[arg-type]
    pattern, facts = value_pattern(examples[0]), PairFacts.of(kind, list(pairs))
    return Cluster("GET /x", location, kind, pattern, examples=examples, facts=facts)


@pytest.mark.parametrize(
    ("detector", "found", "hypothesis"),
    [
        (field_missing, make("body.a", "missing", (1, None)), "does not produce"),
        (null_versus_absent, make("body.a", "extra", (None, None)), "null on one side"),
        (type_changed, make("body.n", "type", (5, "5")), "same value, other type"),
        (type_changed, make("body.n", "type", (5, "x")), "number -> string"),
        (
            timestamp_format,
            make("body.t", "changed", ("2026-01-01T10:00:00Z", "2026-01-01T10:00:00.123+00:00")),
            "precision",
        ),
        (
            timestamp_format,
            make(
                "body.t",
                "changed",
                ("2026-01-01 10:00:00 +0000 UTC", "2026-01-01 10:00:00.5 +0000 UTC"),
            ),
            "precision",
        ),
        (case_or_whitespace, make("body.s", "changed", ("Done ", "done")), "case or whitespace"),
        (order_only, make("body.l", "order", ([1, 2], [2, 1])), "array order"),
        (numeric_offset, make("body.n", "changed", (1, 4), (10, 13)), "+3"),
        (
            numeric_offset,
            make(
                "body.at", "changed", (1796032800000, 1796032800007), (1796032801000, 1796032801007)
            ),
            "epoch times +7 milliseconds apart",
        ),
        (status_family, make("status", "changed", (201, 200)), "same status family"),
        (status_family, make("status", "changed", (404, 204)), "family changes (404 -> 204)"),
        (error_text, make("body.error", "changed", ("Not found", "Task not found")), "wording"),
    ],
)
def test_each_detector_says_its_piece(detector, found: Cluster, hypothesis: str) -> None:  # type: ignore[no-untyped-def]
    said = detector(found)
    assert said is not None
    assert hypothesis in said


@pytest.mark.parametrize(
    ("detector", "found"),
    [
        (field_missing, make("body.a", "extra", (None, 1))),
        (numeric_offset, make("body.n", "changed", (1, 4), (10, 11))),
        (
            timestamp_format,
            make("body.t", "changed", ("2026-01-01T10:00:00Z", "2026-02-01T10:00:00Z")),
        ),
        (case_or_whitespace, make("body.s", "changed", ("a", "b"))),
        (error_text, make("body.title", "changed", (1, 2))),
    ],
)
def test_detectors_stay_quiet_when_it_is_not_their_case(detector, found: Cluster) -> None:  # type: ignore[no-untyped-def]
    assert detector(found) is None


def test_signatures_group_and_followers_link_to_a_root() -> None:
    observations = []
    for i in range(4):
        observations += [
            Observation(f"x{i}", "DELETE /tasks/{id}", Difference("status", "changed", 404, 204)),
            Observation(f"x{i}", "DELETE /tasks/{id}", Difference("body", "type", "json", "text")),
            Observation(
                f"x{i}",
                "DELETE /tasks/{id}",
                Difference("headers.content-type", "missing", "application/json", None),
            ),
        ]
    observations.append(
        Observation("y", "GET /a", Difference("body.items[2].id", "missing", 1, None))
    )
    observations.append(
        Observation("z", "GET /a", Difference("body.items[7].id", "missing", 2, None))
    )
    found = cluster(observations, {"DELETE /tasks/{id}": 8, "GET /a": 10})
    first, second = found
    assert (first.location, first.count, first.share) == ("status", 4, 0.5)
    assert first.followers == ["body (type)", "headers.content-type (missing)"]
    assert first.description == (
        "On DELETE /tasks/{id}, the status differs (404 -> 204) in 4 exchange(s) (50%), "
        "with 2 location(s) differing alongside."
    )
    assert "status family changes (404 -> 204)" in first.hypotheses
    assert (second.location, second.count) == ("body.items[*].id", 2)
    assert second.description.startswith("On GET /a, the candidate leaves out body.items[*].id")


def _dropped(endpoints: int, per: int = 2) -> list[Observation]:
    header = Difference("headers.x-request-id", "missing", "abc", None)
    return [
        Observation(f"e{e}-{i}", f"GET /r{e}", header) for e in range(endpoints) for i in range(per)
    ]


def test_a_header_dropped_on_every_endpoint_is_one_cluster_listing_them() -> None:
    totals = {f"GET /r{e}": 4 for e in range(30)}
    (found,) = cluster(_dropped(30), totals)
    assert found.endpoint == "*"
    assert (found.count, found.share) == (60, 0.5)
    assert found.description.startswith(
        "On 30 of 30 endpoints, the candidate leaves out headers.x-request-id in 60 exchange(s)"
    )
    assert len(found.endpoints) == 30
    assert found.endpoints[0] == ("GET /r0", 2, 0.5)
    # a few exchanges of every endpoint are kept, so each endpoint can be judged on its own
    assert {i.split("-")[0] for i in found.sample_ids()} == {f"e{e}" for e in range(30)}


def test_a_cause_on_some_endpoints_names_how_many_of_all() -> None:
    totals = {f"GET /r{e}": 2 for e in range(35)}
    (found,) = cluster(_dropped(34), totals)
    assert found.description.startswith("On 34 of 35 endpoints,")


def test_two_causes_on_one_endpoint_stay_two_clusters() -> None:
    observations = [
        Observation(f"a{i}", "GET /a", Difference("headers.server", "changed", "nginx", "caddy"))
        for i in range(3)
    ] + [Observation(f"b{i}", "GET /a", Difference("body.n", "type", 1, "1")) for i in range(2)]
    found = cluster(observations, {"GET /a": 10})
    assert [(c.endpoint, c.location, c.count) for c in found] == [
        ("GET /a", "headers.server", 3),
        ("GET /a", "body.n", 2),
    ]


def test_real_differences_rank_above_low_severity_and_inferred_noise() -> None:
    stamp = Difference("body.at", "changed", "2026-01-01T10:00:00Z", "2026-01-01T10:00:01Z")
    observations = [
        *(Observation(f"t{i}", "GET /a", stamp, noise="inferred: time") for i in range(50)),
        *(
            Observation(f"o{i}", "GET /a", Difference("body.l", "order", [1, 2], [2, 1]))
            for i in range(20)
        ),
        Observation("r", "GET /a", Difference("body.total", "changed", 3, 4)),
    ]
    found = cluster(observations, {"GET /a": 100})
    assert [(c.location, c.count, c.noise) for c in found] == [
        ("body.total", 1, ""),
        ("body.l", 20, ""),
        ("body.at", 50, "inferred: time"),
    ]
    assert found[-1].description.endswith("Taken as noise (inferred: time).")


def test_a_real_and_a_noise_difference_at_one_location_stay_apart() -> None:
    d = Difference("body.at", "changed", "a", "b")
    observations = [
        Observation("x", "GET /a", d, noise="inferred: opaque"),
        Observation("y", "GET /a", d),
    ]
    found = cluster(observations, {"GET /a": 2})
    assert [(c.members.first, c.noise) for c in found] == [(["y"], ""), (["x"], "inferred: opaque")]


def test_inferred_noise_kept_by_an_earlier_run_is_clustered_again_apart() -> None:
    from twinsight.analysis.collect import Collector
    from twinsight.store import ClusterStateRow, EarlierCounts

    earlier = Collector()
    for i in range(3):
        stamp = Difference("body.at", "changed", "1", "2")
        earlier.clustering.add(Observation(f"x{i}", "GET /a", stamp, noise="inferred: time"))
    earlier.clustering.add(Observation("y", "GET /a", Difference("body.n", "changed", 1, 2)))
    kept = [ClusterStateRow(**row) for row in earlier.state().table().to_pylist()]
    collector = Collector()
    collector.seed(kept, EarlierCounts({"GET /a": 4}, {"noise": 3, "unexplained": 1}, {}))
    found = collector.finish(propose_volatile=False).clusters
    assert [(c.location, c.count, c.noise) for c in found] == [
        ("body.n", 1, ""),
        ("body.at", 3, "inferred: time"),
    ]
