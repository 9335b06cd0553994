"""When each target's request really left, as a real proxy records it."""

from __future__ import annotations

import aiohttp
import pytest

from .conftest import Start
from .test_ordering import slow_candidate, status


@pytest.mark.parametrize("mode", ["proxy", "sink"])
async def test_every_answer_records_a_send_time_no_earlier_than_its_exchange(
    capture: Start, mode: str
) -> None:
    running = await capture(mode)
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            async with session.get(running.url + "/tasks") as answer:
                await answer.read()
    await running.finish()
    rows = running.rows(
        "SELECT r.target, e.ts, r.sent_at FROM responses r JOIN exchanges e ON e.id = r.exchange_id"
    )
    assert {target for target, _, _ in rows} == set(running.targets)
    assert len(rows) == 3 * len(running.targets)
    for target, ts, sent_at in rows:
        assert sent_at is not None, target
        assert sent_at >= ts, (target, ts, sent_at)


async def test_a_mirror_that_waited_for_its_session_records_when_it_was_sent(
    capture: Start,
) -> None:
    candidate, events = slow_candidate("PATCH", 0.6)
    running = await capture(candidate=candidate, mirror_writes=True)
    assert await status(running.url + "/items/1", "PATCH", "Bearer a") == 200
    assert await status(running.url + "/items/1", "GET", "Bearer a") == 200
    await running.finish()
    assert events == [("start", "PATCH"), ("end", "PATCH"), ("start", "GET"), ("end", "GET")]
    rows = running.rows(
        "SELECT e.method, r.target, epoch(r.sent_at) - epoch(e.ts) FROM responses r "
        "JOIN exchanges e ON e.id = r.exchange_id"
    )
    waits = {(method, target): wait for method, target, wait in rows}
    # The GET reached the proxy while the PATCH was still at the candidate (about 0.6 s):
    # its mirror left only once the PATCH was answered; the legacy's left at once.
    assert 0.5 <= waits[("GET", "candidate")] < 2
    assert 0 <= waits[("GET", "legacy")] < 0.3
    assert 0 <= waits[("PATCH", "candidate")] < 0.3
