"""The shadow proxy against real upstreams: what the client gets, what is mirrored and stored."""

from __future__ import annotations

import asyncio
import io
import time

import aiohttp
import orjson
import pytest

from .conftest import Start
from .upstream import BIG, GZIPPED, make_upstream

Answer = tuple[int, list[tuple[str, str]], bytes]
VOLATILE = {"date", "x-request-id"}
HOP_BY_HOP = {"transfer-encoding", "connection", "keep-alive"}  # per connection, RFC 9110 7.6.1


async def fetch(url: str, method: str = "GET", **kwargs: object) -> Answer:
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.request(method, url, allow_redirects=False, **kwargs) as answer,  # type: ignore[arg-type]
    ):
        return answer.status, list(answer.headers.items()), await answer.read()


def stable(answer: Answer) -> Answer:
    status, headers, body = answer
    return status, [(k, v) for k, v in headers if k.lower() not in VOLATILE | HOP_BY_HOP], body


PATHS = ["/echo?a=1&b=%20x", "/cookies", "/chunked", "/big", "/gzip", "/redirect", "/x/%2Fraw"]


@pytest.mark.parametrize("path", PATHS)
async def test_the_client_gets_exactly_the_legacy_answer(capture: Start, path: str) -> None:
    running = await capture()
    through = await fetch(running.url + path)
    direct = await fetch(running.targets["legacy"] + path)
    if path.startswith("/echo") or path.startswith("/x/"):
        # the legacy saw the exact raw path and query the client sent
        assert orjson.loads(through[2])["path"] == path
        through, direct = (*through[:2], b""), (*direct[:2], b"")
    assert stable(through) == stable(direct)


async def test_repeated_headers_large_and_encoded_bodies_arrive_intact(capture: Start) -> None:
    running = await capture()
    _, headers, _ = await fetch(running.url + "/cookies")
    assert [v for k, v in headers if k == "Set-Cookie"] == [
        "session=abc123; Path=/; HttpOnly",
        "theme=dark; Path=/",
    ]
    assert [v for k, v in headers if k == "X-Custom"] == ["a", "b"]
    assert (await fetch(running.url + "/big"))[2] == BIG
    status, headers, body = await fetch(running.url + "/gzip")
    assert body == GZIPPED
    assert ("Content-Encoding", "gzip") in headers
    status, headers, _ = await fetch(running.url + "/redirect")
    assert status == 302  # never followed


async def test_a_large_request_body_is_forwarded_whole_and_stored_cut(capture: Start) -> None:
    running = await capture(max_body=1000, mirror_writes=True)
    payload = b"x" * 3_000_000
    status, _, body = await fetch(running.url + "/echo", "POST", data=io.BytesIO(payload))
    assert status == 200
    assert orjson.loads(body)["body_size"] == len(payload)
    await running.finish()
    assert [s["body"] for s in running.seen("candidate")] == [payload]
    assert running.rows(
        "SELECT octet_length(request_body), request_size, request_truncated FROM exchanges"
    ) == [(1000, len(payload), True)]


async def test_each_request_is_stored_with_every_target(capture: Start) -> None:
    running = await capture(
        upstreams={
            "legacy": make_upstream("legacy"),
            "replica": make_upstream("replica"),
            "candidate": make_upstream("candidate"),
        }
    )
    for i in range(20):
        assert (await fetch(f"{running.url}/echo/{i}"))[0] == 200
    summary = await running.finish()
    assert summary.counts["stored"] == 20
    per_target = running.rows("SELECT target, count(*) FROM responses GROUP BY 1 ORDER BY 1")
    assert per_target == [("candidate", 20), ("legacy", 20), ("replica", 20)]
    bodies = running.rows(
        "SELECT r.target, r.body FROM responses r JOIN exchanges e ON e.id = r.exchange_id "
        "WHERE e.path = '/echo/3'"
    )
    assert {t: orjson.loads(b)["served_by"] for t, b in bodies} == {
        "legacy": "legacy",
        "replica": "replica",
        "candidate": "candidate",
    }


async def test_mirrors_carry_the_shadow_marker_and_the_legacy_does_not(capture: Start) -> None:
    running = await capture(shadow_host_suffix=True)
    await fetch(running.url + "/echo", headers={"Host": "api.example.test"})
    await running.finish()
    legacy, candidate = running.seen("legacy")[0], running.seen("candidate")[0]
    assert "X-Twinsight-Shadow" not in legacy["headers"]
    assert candidate["headers"]["X-Twinsight-Shadow"] == "1"
    assert candidate["headers"]["Host"] == "api.example.test-shadow"  # as Envoy does
    assert legacy["headers"]["X-Forwarded-Host"] == "api.example.test"
    assert legacy["headers"]["X-Forwarded-For"] == "127.0.0.1"


async def test_writes_are_not_mirrored_unless_asked(capture: Start) -> None:
    running = await capture()
    assert (await fetch(running.url + "/items", "POST", data=b"{}"))[0] == 201
    await running.finish()
    assert running.seen("candidate") == []
    assert running.rows("SELECT target FROM responses") == [("legacy",)]


async def test_live_ids_are_correlated_for_the_candidate(capture: Start) -> None:
    running = await capture(mirror_writes=True)
    _, _, created = await fetch(running.url + "/items", "POST", data=b"{}")
    legacy_id = orjson.loads(created)["id"]
    await fetch(f"{running.url}/items/{legacy_id}")
    await fetch(f"{running.url}/echo?item_id={legacy_id}")
    await running.finish()
    paths = [s["path"] for s in running.seen("candidate")]
    assert paths == ["/items", "/items/candidate-1", "/echo?item_id=candidate-1"]
    assert running.rows(
        "SELECT location, legacy_value, target_value FROM correlations ORDER BY 1"
    ) == [
        ("answer", "1", "candidate-1"),  # learned from the create, kept with it
        ("path", "1", "candidate-1"),
        ("query.item_id", "1", "candidate-1"),
    ]


@pytest.mark.parametrize("failure", ["slow", "dead", "reset"])
async def test_a_failing_candidate_never_touches_the_client(capture: Start, failure: str) -> None:
    candidate = {
        "slow": make_upstream("candidate", delay=2.0),
        "dead": "http://127.0.0.1:9",  # discard port: nothing listens
        "reset": make_upstream("candidate", reset=True),
    }[failure]
    # Only the slow candidate is to time out: a reset or a refusal is given the time a loaded
    # machine may take to deliver it, so it is stored as what it is.
    running = await capture(candidate=candidate, mirror_timeout_s=0.5 if failure == "slow" else 5.0)
    started = time.perf_counter()
    answers = await asyncio.gather(*(fetch(f"{running.url}/echo/{i}") for i in range(10)))
    elapsed = time.perf_counter() - started
    assert [a[0] for a in answers] == [200] * 10
    assert elapsed < 1.0  # the 2 s candidate is not waited for
    await running.finish()
    errors = running.rows("SELECT DISTINCT error FROM responses WHERE target = 'candidate'")
    assert errors == [({"slow": "timeout", "dead": "refused", "reset": "reset"}[failure],)]
    assert running.rows("SELECT count(*) FROM exchanges") == [(10,)]


async def test_a_full_mirror_queue_drops_and_counts(capture: Start) -> None:
    running = await capture(
        candidate=make_upstream("candidate", delay=1.0),
        mirror_queue=3,
    )
    answers = await asyncio.gather(*(fetch(f"{running.url}/echo/{i}") for i in range(12)))
    assert [a[0] for a in answers] == [200] * 12
    summary = await running.finish()
    assert summary.counts["mirrored"] == 3
    assert summary.counts["dropped.queue_full"] == 9
    assert summary.counts["served"] == 12
    assert running.rows("SELECT count(*) FROM exchanges") == [(3,)]


async def test_a_legacy_that_is_down_gives_502_and_is_recorded(capture: Start) -> None:
    running = await capture(
        upstreams={"legacy": "http://127.0.0.1:9", "candidate": make_upstream("candidate")}
    )
    status, _, _ = await fetch(running.url + "/echo")
    assert status == 502
    await running.finish()
    assert running.rows("SELECT target, error FROM responses ORDER BY 1") == [
        ("candidate", None),
        ("legacy", "refused"),
    ]


async def test_sampling_keeps_sessions_whole(capture: Start) -> None:
    running = await capture(sample=0.5, session_by="header:x-user")
    for user in range(30):
        for step in range(3):
            await fetch(f"{running.url}/echo/{step}", headers={"X-User": f"user-{user}"})
    summary = await running.finish()
    sessions = running.rows("SELECT session, count(*) FROM exchanges GROUP BY 1")
    assert all(count == 3 for _, count in sessions)
    assert 5 <= len(sessions) <= 25
    assert summary.counts["served"] == 90
    assert summary.counts["sampled"] == 3 * len(sessions)


async def test_metrics_and_health(capture: Start) -> None:
    running = await capture()
    await fetch(running.url + "/echo")
    await asyncio.sleep(0.2)  # one flush
    _, _, health = await fetch(running.admin + "/health")
    assert orjson.loads(health)["status"] == "ok"
    _, _, text = await fetch(running.admin + "/metrics")
    metrics = text.decode()
    for name in (
        "twinsight_served_total 1.0",
        "twinsight_mirrored_total 1.0",
        "twinsight_stored_total 1.0",
        'twinsight_target_latency_seconds_count{target="candidate"} 1.0',
        "twinsight_store_queue_depth",
        "twinsight_store_flush_lag_seconds",
        "twinsight_mirrors_in_flight",
    ):
        assert name in metrics


async def test_mirrors_still_in_flight_at_shutdown_are_stored_as_cancelled(capture: Start) -> None:
    running = await capture(
        candidate=make_upstream("candidate", delay=3.0),
        shutdown_grace_s=0.2,
        mirror_timeout_s=10,
    )
    assert (await fetch(running.url + "/echo/1"))[0] == 200
    started = time.perf_counter()
    summary = await running.finish()
    assert time.perf_counter() - started < 2  # the grace period, not the candidate's 3 s
    assert summary.cancelled == 1
    assert running.rows("SELECT target, status, error FROM responses ORDER BY 1") == [
        ("candidate", None, "cancelled"),
        ("legacy", 200, None),
    ]


async def test_a_large_answer_streams_to_the_client_however_large_max_body(
    capture: Start,
) -> None:
    running = await capture(max_body=100 << 20)
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        started = time.perf_counter()
        async with session.get(running.url + "/slowbig") as answer:
            first = await answer.content.readany()
            first_after = time.perf_counter() - started
            body = first + await answer.content.read()
    # The legacy pauses 1 s after its first MiB: the client has bytes before that.
    assert first_after < 0.7
    assert body == BIG[: 2 << 20]
    await running.finish()
    assert running.rows(
        "SELECT target, octet_length(body), truncated FROM responses ORDER BY 1"
    ) == [("candidate", 2 << 20, False), ("legacy", 2 << 20, False)]


async def test_a_mirrored_write_with_a_replica_is_stored_once(capture: Start) -> None:
    # Both mirrors of a creating request wait for the (slower) legacy answer before they
    # settle their ids; each then saw every answer in and handed the flight over: twice.
    running = await capture(
        mirror_writes=True,
        upstreams={
            "legacy": make_upstream("legacy", delay=0.2),
            "replica": make_upstream("replica"),
            "candidate": make_upstream("candidate"),
        },
    )
    for i in range(5):
        answer = await fetch(f"{running.url}/echo/{i}", method="POST", data=b'{"a": 1}')
        assert answer[0] == 200
    summary = await running.finish()
    assert summary.counts["stored"] == 5
    assert summary.counts.get("duplicate", 0) == 0
    assert running.rows("SELECT count(*) FROM exchanges") == [(5,)]


async def test_a_legacy_slower_than_its_timeout_gives_504_in_time(capture: Start) -> None:
    running = await capture(
        upstreams={"legacy": make_upstream("legacy", delay=2.0), "candidate": make_upstream("c")},
        legacy_timeout_s=0.3,
    )
    started = time.perf_counter()
    status, _, body = await fetch(running.url + "/echo")
    assert (status, body) == (504, b"twinsight: the legacy did not answer in time\n")
    assert time.perf_counter() - started < 1.5
    await running.finish()
    assert running.rows("SELECT error FROM responses WHERE target = 'legacy'") == [("timeout",)]


async def test_a_streamed_answer_reaches_the_client_chunk_by_chunk(capture: Start) -> None:
    from aiohttp import web

    async def events(request: web.Request) -> web.StreamResponse:
        answer = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await answer.prepare(request)
        await answer.write(b"data: one\n\n")
        await asyncio.sleep(1.5)
        await answer.write(b"data: two\n\n")
        await answer.write_eof()
        return answer

    legacy = web.Application()
    legacy.router.add_get("/events", events)
    running = await capture(upstreams={"legacy": legacy, "candidate": make_upstream("candidate")})
    started = time.monotonic()
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{running.url}/events") as answer,
    ):
        first = await answer.content.readuntil(b"\n\n")
        first_at = time.monotonic() - started
        rest = await answer.read()
    await running.finish()
    assert (first, rest) == (b"data: one\n\n", b"data: two\n\n")
    assert first_at < 1.0  # not held back until the next event
