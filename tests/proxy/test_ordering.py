"""Mirrors of one session reach each target in the client's order, never blocking anyone else."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st
from yarl import URL

from twinsight.proxy.fanout import Fanout, MirrorOptions, Request
from twinsight.proxy.metrics import CaptureMetrics
from twinsight.records import Exchange, Response
from twinsight.store import CaptureCounters, StoreWriter
from twinsight.traffic import Target

from .conftest import Start
from .upstream import serving

Events = list[tuple[str, str]]
LEGACY = Response("legacy", 200)


def slow_candidate(slow: str, delay: float) -> tuple[web.Application, Events]:
    """A candidate that takes `delay` s over requests of method `slow`; (event, method) in order."""
    events: Events = []

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        events.append(("start", request.method))
        if request.method == slow:
            await asyncio.sleep(delay)
        events.append(("end", request.method))
        return web.json_response({"id": 1})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app, events


async def status(url: str, method: str, user: str) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, headers={"Authorization": user}, data=b"{}") as answer,
    ):
        await answer.read()
        return answer.status


async def test_a_later_request_of_a_session_reaches_the_candidate_after_the_earlier(
    capture: Start,
) -> None:
    candidate, events = slow_candidate("PATCH", 0.6)
    running = await capture(candidate=candidate, mirror_writes=True)
    assert await status(running.url + "/items/1", "PATCH", "Bearer a") == 200
    assert await status(running.url + "/items/1", "GET", "Bearer a") == 200
    summary = await running.finish()
    assert events == [("start", "PATCH"), ("end", "PATCH"), ("start", "GET"), ("end", "GET")]
    assert summary.counts["order_wait.done"] == 1
    assert "order_wait.expired" not in summary.counts
    # The GET waited about 0.5 s for the PATCH; its stored latency is its own call's only.
    latencies = dict(
        running.rows(
            "SELECT e.method, r.latency_ms FROM responses r JOIN exchanges e "
            "ON e.id = r.exchange_id WHERE r.target = 'candidate'"
        )
    )
    assert latencies["PATCH"] >= 600
    assert latencies["GET"] < 400


async def test_sessions_are_not_put_in_one_line(capture: Start) -> None:
    candidate, events = slow_candidate("PATCH", 0.6)
    running = await capture(candidate=candidate, mirror_writes=True)
    assert await status(running.url + "/items/1", "PATCH", "Bearer a") == 200
    assert await status(running.url + "/items/2", "GET", "Bearer b") == 200
    summary = await running.finish()
    assert events.index(("start", "GET")) < events.index(("end", "PATCH"))
    assert "order_wait.done" not in summary.counts


async def test_requests_sent_together_are_not_put_in_one_line(capture: Start) -> None:
    # Neither had an answer when the other was sent: the client set no order between them.
    candidate, events = slow_candidate("PATCH", 0.6)
    running = await capture(candidate=candidate, mirror_writes=True)
    patch = asyncio.ensure_future(status(running.url + "/items/1", "PATCH", "Bearer a"))
    await asyncio.sleep(0)  # the PATCH is on its way first
    assert await status(running.url + "/items/2", "GET", "Bearer a") == 200
    assert await patch == 200
    await running.finish()
    assert events.index(("start", "GET")) < events.index(("end", "PATCH"))


class _Kept:
    """A store writer that keeps what it is given."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def submit(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)


def _request(n: int, session: str | None) -> Request:
    return Request(
        f"r{n}", "GET", f"/items/{n}", "", b"", datetime.now(UTC), "http", "h", (), session
    )


async def _fanout(port: int, timeout: float) -> tuple[Fanout, _Kept, CaptureCounters]:
    target = Target("candidate", URL(f"http://127.0.0.1:{port}"), timeout)
    await target.open()
    kept, counters = _Kept(), CaptureCounters()
    fanout = Fanout(
        [target],
        cast(StoreWriter, kept),
        source="proxy",
        options=MirrorOptions(legacy_timeout=1.0),
        counters=counters,
        metrics=CaptureMetrics(counters),
    )
    return fanout, kept, counters


@pytest.mark.parametrize("session", ["s", None])
async def test_a_wait_lasts_at_most_the_targets_timeout(session: str | None) -> None:
    candidate, events = slow_candidate("PATCH", 0.0)
    async with serving(candidate) as [port]:
        fanout, kept, counters = await _fanout(port, timeout=0.3)
        stuck = fanout.order.seen("s", "candidate")  # an earlier call that never ends
        started = time.perf_counter()
        flight = fanout.start(_request(1, session))
        assert flight is not None
        flight.legacy_answered(LEGACY)
        assert await fanout.drain(5.0) == 0
        waited = time.perf_counter() - started
        if session is None:  # no session: never ordered
            assert waited < 0.25
            assert "order_wait.expired" not in counters.snapshot()
        else:
            assert 0.3 <= waited < 1.5
            assert counters["order_wait.expired"] == 1
        [exchange] = kept.exchanges
        [_, answer] = exchange.responses
        assert answer.status == 200
        assert answer.latency_ms is not None
        assert answer.latency_ms < 250  # the wait is not the target's latency
        fanout.order.finished("s", "candidate", stuck)
        assert len(fanout.order) == 0  # no session outlives its calls
        await fanout.mirrors[0].close()
    assert events == [("start", "GET"), ("end", "GET")]


async def test_a_sessions_entry_is_dropped_once_its_calls_are_over() -> None:
    candidate, _ = slow_candidate("GET", 0.2)
    async with serving(candidate) as [port]:
        fanout, kept, _ = await _fanout(port, timeout=2.0)
        for n in range(3):
            flight = fanout.start(_request(n, f"user{n}"))
            assert flight is not None
            flight.legacy_answered(LEGACY)
        await asyncio.sleep(0.05)
        assert len(fanout.order) == 3  # answered by the legacy, still running at the candidate
        assert await fanout.drain(5.0) == 0
        assert len(fanout.order) == 0
        assert len(kept.exchanges) == 3
        await fanout.mirrors[0].close()


async def test_waiting_for_several_calls_ends_with_the_last_or_the_timeout() -> None:
    from twinsight.proxy.ordering import SessionOrder, wait_for_turns

    order = SessionOrder()
    first, second = order.seen("s", "c"), order.seen("s", "c")
    both = order.before("s", "c")
    assert both is not None
    assert both.upto == second
    assert order.before("t", "c") is None
    assert order.before(None, "c") is None
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, order.finished, "s", "c", second)
    loop.call_later(0.1, order.finished, "s", "c", first)
    started = time.perf_counter()
    assert await wait_for_turns(both, 1.0)
    assert 0.09 <= time.perf_counter() - started < 0.5
    assert len(order) == 0
    stuck = order.seen("s", "c")
    mark = order.before("s", "c")
    assert mark is not None
    started = time.perf_counter()
    assert not await wait_for_turns(mark, 0.1)
    assert 0.09 <= time.perf_counter() - started < 0.5
    order.finished("s", "c", stuck)
    assert len(order) == 0  # a waiter that gave up does not keep the entry


async def test_a_call_waits_only_for_turns_seen_before_it_was_read() -> None:
    from twinsight.proxy.ordering import SessionOrder, wait_for_turns

    order = SessionOrder()
    early = order.seen("s", "c")
    mark = order.before("s", "c")
    assert mark is not None
    later = order.seen("s", "c")  # seen after the call was read: not waited for
    order.finished("s", "c", early)
    assert await wait_for_turns(mark, 0.01)
    order.finished("s", "c", later)
    assert len(order) == 0


@settings(deadline=None, max_examples=200)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 20)), max_size=60))
def test_a_mark_is_passed_exactly_when_every_turn_seen_before_it_is_over(
    steps: list[tuple[bool, int]],
) -> None:
    """Against a plain model: the set of running turns at the time of each mark."""
    from twinsight.proxy.ordering import SessionOrder

    order, running = SessionOrder(), []
    marks = []
    for see, pick in steps:
        if see or not running:
            running.append(order.seen("s", "c"))
            mark = order.before("s", "c")
            assert mark is not None
            marks.append((mark, set(running)))
        else:
            order.finished("s", "c", running.pop(pick % len(running)))
        for mark, waited_for in marks:
            assert mark.passed() == (not waited_for & set(running))


def test_an_address_alone_orders_by_connection_and_a_named_session_by_session() -> None:
    anonymous = replace(_request(1, "client:10.0.0.1"), connection="10.0.0.1:40000")
    assert anonymous.ordered_by == "connection:10.0.0.1:40000"
    other = replace(anonymous, connection="10.0.0.1:40001")
    assert other.ordered_by != anonymous.ordered_by  # two clients behind one address
    named = replace(_request(2, "header:Bearer abc"), connection="10.0.0.1:40000")
    assert named.ordered_by == "header:Bearer abc"  # across connections, as before
    assert replace(anonymous, connection=None).ordered_by == "client:10.0.0.1"
    assert _request(3, None).ordered_by is None


async def test_mirrors_of_one_address_on_two_connections_are_not_put_in_one_line() -> None:
    candidate, _ = slow_candidate("GET", 0.3)
    async with serving(candidate) as [port]:
        fanout, kept, counters = await _fanout(port, timeout=2.0)
        flights = []
        for n, connection in enumerate(["10.0.0.1:1", "10.0.0.1:2", "10.0.0.1:1"]):
            request = replace(_request(n, "client:10.0.0.1"), connection=connection)
            flight = fanout.start(request)
            assert flight is not None
            flight.legacy_answered(LEGACY)
            flights.append(flight)
            await asyncio.sleep(0.01)
        started = time.perf_counter()
        assert await fanout.drain(5.0) == 0
        # The third waited for the first (same connection); the second for nobody.
        assert counters["order_wait.done"] == 1
        assert time.perf_counter() - started < 1.2
        assert len(kept.exchanges) == 3
        await fanout.mirrors[0].close()
