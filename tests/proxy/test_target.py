"""One target's calls: a mirror that never got a connection is `unsent`, not a slow target."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from multidict import CIMultiDict
from yarl import URL

from twinsight.examples.tasks.serve import start
from twinsight.records import Response
from twinsight.traffic import Target

from .upstream import BIG, make_upstream


@pytest.fixture
async def slow() -> AsyncIterator[str]:
    runner, port = await start(make_upstream("candidate", delay=2.0))
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_calls_queued_past_the_timeout_are_unsent(slow: str) -> None:
    target = Target("candidate", URL(slow), timeout=1.0)
    await target.open(pool=1)

    async def call(after: float) -> Response:
        await asyncio.sleep(after)
        return await target.call("GET", "/echo", "", CIMultiDict(), b"", max_body=100)

    try:
        # The first holds the one connection until it times out at 1.0 s; the second,
        # queued at 0.3 s, gets it then and is sent; the third, queued at 0.6 s, gives
        # up at 1.6 s while the second still holds it.
        answers = await asyncio.gather(call(0), call(0.3), call(0.6))
    finally:
        await target.close()
    assert [a.error for a in answers] == ["timeout", "timeout", "unsent"]
    assert answers[2].latency_ms is None  # it says nothing about the target's speed
    assert answers[1].latency_ms is not None
    assert answers[1].latency_ms < 1500  # timed from when it was sent, not queued


async def test_large_answers_are_kept_only_up_to_max_body() -> None:
    runner, port = await start(make_upstream("candidate"))
    target = Target("candidate", URL(f"http://127.0.0.1:{port}"), timeout=10.0)
    await target.open()
    try:
        answer = await target.call("GET", "/big", "", CIMultiDict(), b"", max_body=1000)
        whole = await target.call("GET", "/big", "", CIMultiDict(), b"", max_body=100 << 20)
    finally:
        await target.close()
        await runner.cleanup()
    assert (answer.body.size, len(answer.body.data), answer.body.truncated) == (
        len(BIG),
        1000,
        True,
    )
    assert whole.body.data == BIG
