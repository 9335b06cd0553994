"""The mirror sink: answers at once, fans out to every target itself."""

from __future__ import annotations

import time

import aiohttp

from twinsight.proxy.sink import strip_shadow_suffix

from .conftest import Start
from .upstream import make_upstream


async def test_the_sink_answers_at_once_and_records_every_target(capture: Start) -> None:
    running = await capture(
        "sink",
        upstreams={
            "legacy": make_upstream("legacy", delay=0.5),
            "candidate": make_upstream("candidate", delay=0.5),
        },
    )
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        async with session.get(
            running.url + "/echo/1?x=1", headers={"Host": "api.test-shadow:8080"}
        ) as answer:
            assert answer.status == 202
        assert time.perf_counter() - started < 0.4  # not waiting for the 0.5 s targets
    summary = await running.finish()
    assert summary.counts["stored"] == 1
    assert running.rows("SELECT source, host, path, query FROM exchanges") == [
        ("sink", "api.test:8080", "/echo/1", "x=1")
    ]
    assert running.rows("SELECT target, status FROM responses ORDER BY 1") == [
        ("candidate", 200),
        ("legacy", 200),
    ]
    assert running.seen("legacy")[0]["headers"]["X-Twinsight-Shadow"] == "1"


async def test_writes_reach_the_sink_only_when_mirrored(capture: Start) -> None:
    running = await capture("sink")
    async with (
        aiohttp.ClientSession() as session,
        session.post(running.url + "/items", data=b"{}") as answer,
    ):
        assert answer.status == 202
    summary = await running.finish()
    assert summary.counts["dropped.write_not_mirrored"] == 1
    assert running.seen("legacy") == []


def test_envoy_shadow_suffix_is_stripped() -> None:
    assert strip_shadow_suffix("api-shadow") == "api"
    assert strip_shadow_suffix("api.example.com-shadow:8443") == "api.example.com:8443"
    assert strip_shadow_suffix("shadow") == "shadow"
