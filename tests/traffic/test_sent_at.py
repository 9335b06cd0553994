"""When a target's request really left: after the wait for a connection, where latency starts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from twinsight.records import Response
from twinsight.traffic import Target


@pytest.fixture
async def slow() -> AsyncIterator[str]:
    """A server answering every request after 0.3 s."""

    async def handle(request: web.Request) -> web.Response:
        await asyncio.sleep(0.3)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def calls(url: str, count: int, *, pool: int, timeout: float = 5) -> list[Response]:
    target = Target("candidate", URL(url), timeout=timeout)
    await target.open(pool=pool)
    try:
        return await asyncio.gather(
            *(target.call("GET", "/", "", CIMultiDict(), b"", max_body=10) for _ in range(count))
        )
    finally:
        await target.close()


async def test_the_send_time_lies_between_the_call_and_its_return(slow: str) -> None:
    before = datetime.now(UTC)
    [answer] = await calls(slow, 1, pool=1)
    after = datetime.now(UTC)
    assert answer.status == 200
    assert answer.sent_at is not None
    assert answer.latency_ms is not None
    assert before <= answer.sent_at <= after
    # Latency runs from the same moment: the answer ended within the call.
    assert answer.sent_at + timedelta(milliseconds=answer.latency_ms) <= after
    assert answer.latency_ms >= 300


async def test_a_call_waiting_for_a_connection_is_sent_when_it_gets_one(slow: str) -> None:
    before = datetime.now(UTC)
    first, second = await calls(slow, 2, pool=1)
    assert first.sent_at is not None
    assert second.sent_at is not None
    assert second.latency_ms is not None
    assert second.latency_ms < 1000
    earlier, later = sorted([first.sent_at, second.sent_at])
    # One connection: the second left once the first was answered, not when it was called.
    assert later - earlier >= timedelta(milliseconds=300)
    assert later - before >= timedelta(milliseconds=300)


async def test_a_call_that_never_got_a_connection_has_no_send_time(slow: str) -> None:
    target = Target("candidate", URL(slow), timeout=0.1)
    await target.open(pool=1)
    try:
        assert target._slots is not None
        await target._slots.acquire()  # the only connection, held by someone else
        answer = await target.call("GET", "/", "", CIMultiDict(), b"", max_body=10)
    finally:
        await target.close()
    assert (answer.error, answer.sent_at, answer.latency_ms) == ("unsent", None, None)


async def test_a_failed_call_records_when_it_was_tried() -> None:
    before = datetime.now(UTC)
    [answer] = await calls("http://127.0.0.1:9", 1, pool=1)  # discard port: refused
    assert answer.error is not None
    assert answer.error != "unsent"
    assert answer.sent_at is not None
    assert before <= answer.sent_at <= datetime.now(UTC)
