"""Which recorded requests wait for another session's create: planned without servers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.errors import UserError
from twinsight.events import ReplaySummary
from twinsight.records import Body, Exchange, Response
from twinsight.replay.causal import plan_dependencies
from twinsight.replay.gate import SHOWN_WAITS, CausalGate
from twinsight.replay.plan import choose_order
from twinsight.spec.paths import path_segments
from twinsight.store import new_id
from twinsight.store.ids import session_label
from twinsight.testing import T0, answer


def request(
    method: str,
    path: str,
    *,
    status: int = 200,
    answered: object = None,
    location: str | None = None,
    body: bytes = b"",
    at: int = 0,
) -> Exchange:
    """A recorded request and the legacy's answer."""
    reply = answer("legacy", answered if answered is not None else {}, status=status)
    if location:
        reply = Response(reply.target, status, (*reply.headers, ("Location", location)), reply.body)
    return Exchange(
        id=new_id(), source="proxy", method=method, path=path, body=Body.of(body, 1 << 20),
        responses=(reply,), ts=T0 + timedelta(seconds=at),
    )  # fmt: skip


def test_a_read_of_an_id_another_session_created_waits_for_that_create() -> None:
    create = request("POST", "/accounts", status=201, answered={"id": 17})
    read = request("GET", "/accounts/17")
    other = request("GET", "/accounts/18")
    (found,) = plan_dependencies([(create, "admin"), (read, "bob"), (other, "bob")])
    assert (found.waiting, found.creator) == (read.id, create.id)
    assert found.describe({"bob": "B", "admin": "A"}) == (
        "session B waited for session A: POST /accounts created 17 used by GET /accounts/17"
    )


def test_location_and_put_paths_are_created_resources_too() -> None:
    located = request("POST", "/spaces", status=201, location="/spaces/ops")
    put = request("PUT", "/files/report.txt", status=201)
    under = request("GET", "/spaces/ops/members")
    file = request("GET", "/files/report.txt")
    found = plan_dependencies([(located, "a"), (put, "a"), (under, "b"), (file, "c")])
    assert [(d.waiting, d.creator, d.created) for d in found] == [
        (under.id, located.id, "/spaces/ops"),
        (file.id, put.id, "/files/report.txt"),
    ]


def test_the_same_session_a_failed_create_and_an_earlier_use_never_wait() -> None:
    refused = request("POST", "/accounts", status=403, answered={"id": 5})
    create = request("POST", "/accounts", status=201, answered={"id": 17})
    early = request("GET", "/accounts/17")
    again = request("GET", "/accounts/17")
    refused_id = request("GET", "/accounts/5")
    recorded = [(early, "bob"), (refused, "admin"), (create, "admin"), (again, "admin")]
    assert plan_dependencies([*recorded, (refused_id, "bob")]) == []


def test_requests_without_a_session_are_each_their_own() -> None:
    create = request("POST", "/accounts", status=201, answered={"id": 17})
    read = request("GET", "/accounts/17", body=b"")
    (found,) = plan_dependencies([(create, None), (read, None)])
    assert (found.session, found.creator_session) == (read.id, create.id)


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 4), st.booleans())))
def test_every_wait_is_for_an_earlier_request_of_another_session(
    steps: list[tuple[str, int, bool]],
) -> None:
    recorded = [
        (request("POST", "/things", status=201, answered={"id": n}) if creates
         else request("GET", f"/things/{n}"), session)
        for session, n, creates in steps
    ]  # fmt: skip
    position = {item.id: index for index, (item, _) in enumerate(recorded)}
    session_of = {item.id: session for item, session in recorded}
    for dependency in plan_dependencies(recorded):
        assert position[dependency.creator] < position[dependency.waiting]
        assert session_of[dependency.creator] != session_of[dependency.waiting]


def test_causal_order_needs_one_worker() -> None:
    assert choose_order(None, 1) == ("causal", "")
    assert choose_order("recorded", 1) == ("recorded", "")
    order, note = choose_order(None, 3)
    assert order == "sessions"
    assert "causal order needs --workers 1" in note
    assert choose_order("sessions", 3) == ("sessions", "")
    with pytest.raises(UserError, match="--order causal needs --workers 1"):
        choose_order("causal", 2)
    with pytest.raises(UserError, match="--order 'random': expected one of causal, recorded"):
        choose_order("random", 1)


async def test_a_first_request_waits_for_creates_in_flight_and_is_released_when_they_end() -> None:
    summary = ReplaySummary("r")
    gate = CausalGate(summary)
    refused = request("POST", "/users", status=403)
    create = request("POST", "/users", status=201, answered={"name": "carol"})
    gate.plan(refused, "admin", first=True)
    gate.plan(create, "admin", first=False)
    first = request("GET", "/me")
    gate.plan(first, "carol", first=True)
    later = request("GET", "/me")
    gate.plan(later, "carol", first=False)
    waiting = asyncio.ensure_future(gate.wait(first))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    gate.done(refused)
    await asyncio.sleep(0.01)
    assert not waiting.done()  # a refused create is nothing to wait for
    gate.done(create)
    await asyncio.wait_for(waiting, 1)
    await asyncio.wait_for(gate.wait(later), 1)  # nothing: not a first request
    assert summary.waited == 1
    assert summary.waits == [
        f"session {session_label('carol')} waited for session {session_label('admin')}: "
        "POST /users recorded before its first request GET /me"
    ]


async def test_requests_without_a_session_are_counted_and_leave_no_pair_behind() -> None:
    summary = ReplaySummary("r")
    gate = CausalGate(summary)
    create = request("POST", "/users", status=201, answered={"id": 7})
    gate.plan(create, None, first=True)
    reads = [request("GET", f"/users/{n}") for n in (7, 8) * 20]
    for read in reads:
        gate.plan(read, None, first=True)  # each its own session: each waits for the create
    assert summary.waited == len(reads)
    assert len(summary.waits) == SHOWN_WAITS
    assert summary.more_waits == len(reads) - SHOWN_WAITS
    # A long replay of requests without sessions must not hold a pair per request.
    assert not gate._pairs
    gate.done(create)
    await asyncio.wait_for(asyncio.gather(*(gate.wait(read) for read in reads)), 1)


def test_a_path_with_a_trailing_empty_segment_is_not_the_created_one() -> None:
    put = request("PUT", "/items/17", status=201)
    located = request("POST", "/files", status=201, location="/files/a%2Fb")
    same = request("GET", "/items/17/")  # a single trailing `/` names the same resource
    under = request("GET", "/items/17/tags")
    doubled = request("GET", "/items/17//")
    emptied = request("GET", "/items/17//tags")
    slash = request("GET", "/files/a/b")  # the encoded slash was part of the name
    recorded = [
        (put, "a"),
        (located, "a"),
        *((r, "b") for r in (same, under, doubled, emptied, slash)),
    ]
    found = plan_dependencies(recorded)
    assert [(d.waiting, d.created) for d in found] == [
        (same.id, "/items/17"),
        (under.id, "/items/17"),
    ]


@given(
    st.lists(st.sampled_from(["items", "17", "", "a%2Fb", "a"]), min_size=1, max_size=4),
    st.lists(st.sampled_from(["items", "17", "", "a%2Fb", "a", "b"]), max_size=3),
)
def test_a_use_of_a_put_path_is_that_path_or_below_it_by_named_segments(
    created: list[str], tail: list[str]
) -> None:
    path = "/" + "/".join(created)
    used = path + "".join("/" + segment for segment in tail)
    found = plan_dependencies(
        [(request("PUT", path, status=201), "a"), (request("GET", used), "b")]
    )
    named = path_segments(path)
    below = path_segments(used)
    expected = below[: len(named)] == named and all(below[len(named) :]) and bool(named)
    assert bool(found) == expected
