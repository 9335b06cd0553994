"""Each target's base URL recorded by a real proxy and sink, and what analysis makes of it."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.store import Store

from .conftest import Start


def located() -> web.Application:
    """Answers 201 with a `Location` naming the server itself (its own port), as apps do."""

    async def create(request: web.Request) -> web.Response:
        assert request.transport is not None
        port = request.transport.get_extra_info("sockname")[1]
        location = f"http://127.0.0.1:{port}/tasks/9"
        return web.json_response(
            {"id": 9, "self": location}, status=201, headers={"Location": location}
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", create)
    return app


@pytest.mark.parametrize("mode", ["proxy", "sink"])
async def test_every_answer_records_where_its_target_was_reached(capture: Start, mode: str) -> None:
    running = await capture(mode, upstreams={"legacy": located(), "candidate": located()})
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            async with session.get(running.url + "/tasks") as answer:
                assert answer.status == (201 if mode == "proxy" else 202)
    await running.finish()
    with Store.open(running.store) as store:
        assert store.base_urls() == {
            name: frozenset({url}) for name, url in running.targets.items()
        }
    assert running.rows("SELECT count(*) FROM responses WHERE base_url IS NULL") == [(0,)]


async def test_analysis_without_config_takes_each_targets_address_out_of_its_answers(
    capture: Start,
) -> None:
    running = await capture(upstreams={"legacy": located(), "candidate": located()})
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            async with session.get(running.url + "/tasks", allow_redirects=False) as answer:
                assert answer.status == 201
    await running.finish()
    # No [targets]: only what the proxy recorded says 127.0.0.1:PORT is the target itself.
    analysis = analyze_store(running.store, None, config=Config(), spec=None)
    assert analysis.counts["match"] == 3, analysis.counts
    assert not analysis.clusters
