import pytest

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
    return Cluster("GET /x", location, kind, value_pattern(examples[0]), examples=examples)


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
