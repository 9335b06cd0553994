"""The replica's statistics read from two diffs and the rules (`Judge.replica_view`) count
exactly what a whole judgement shows: the pass over a store with a replica skips the checks,
inferred noise and verdicts without changing what it counts."""

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsight.analysis.comparable import Replayed
from twinsight.analysis.diff import Message
from twinsight.analysis.judge import Judge, ReplicaView
from twinsight.analysis.rules import Rule
from twinsight.spec.inputs import RequestView

UUID = "0b5e2c1a-8f7d-4c2b-9a1e-3d4f5a6b7c8d"
SCALARS = st.sampled_from(
    [None, True, 0, 1, 17, 2.5, "", "a", "A", UUID, "2026-11-30T10:00:00Z", "9f86d081884c7d65"]
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "at", "name", "items"]), inner, max_size=3)
    ),
    max_leaves=8,
)
HEADERS = st.lists(
    st.tuples(
        st.sampled_from(["Content-Type", "X-Request-Id", "Location", "Date"]),
        st.sampled_from(["application/json", "abc", "/tasks/1", UUID, "x"]),
    ),
    max_size=3,
)
RULES = st.lists(
    st.builds(
        Rule.parse,
        st.sampled_from(
            [
                "body.id",
                "body.*",
                "GET /tasks/{id} body.at",
                "POST body.items[*].id",
                "headers.x-request-id",
                "status",
                "body",
            ]
        ),
        compare=st.sampled_from(["ignore", "shape", "tolerance", "unordered", "regex"]),
        origin=st.sampled_from(["normalize", "accepted"]),
        tolerance=st.just(1.0),
        pattern=st.just("[0-9]"),
    ),
    max_size=4,
)


@st.composite
def messages(draw: st.DrawFn) -> Message:
    body = draw(VALUES | st.just(b"not json") | st.just(b""))
    return Message(
        draw(st.sampled_from([200, 201, 404, 500, None])),
        tuple(draw(HEADERS)),
        body if isinstance(body, bytes) else orjson.dumps(body),
        error=draw(st.sampled_from([None, None, None, "timeout"])),
        latency_ms=3.0,
        sent_at=1_796_032_800.0,
    )


@settings(max_examples=300, deadline=None)
@given(
    rules=RULES,
    request=st.sampled_from(
        [
            RequestView.of("GET", "/tasks/1", "", (), b""),
            RequestView.of("POST", "/tasks", "", (), b"{}"),
        ]
    ),
    legacy=messages(),
    candidate=messages(),
    replica=st.none() | messages(),
    replayed=st.none() | st.just(Replayed(401, ("credential left out",))),
)
def test_the_view_counts_what_the_whole_judgement_shows(
    rules: list[Rule],
    request: RequestView,
    legacy: Message,
    candidate: Message,
    replica: Message | None,
    replayed: Any,
) -> None:
    judge = Judge(rules=rules, origins={"candidate": ("http://127.0.0.1:9",)})
    whole = judge.judge(request, legacy, candidate, replica, replayed=replayed)
    view = judge.replica_view(request, legacy, candidate, replica, replayed=replayed)
    unaccepted = frozenset(j.difference.group for j in whole.differences if j.accepted is None)
    assert view == ReplicaView(unaccepted, whole.replica_groups, whole.replica_changed)
