"""Hostile clients against a real proxy and sink: raw bytes on sockets, clean refusals, no leaks.

Every test also checks the log: a hostile request is the client's error and
gets at most one line, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import pytest

from twinsight.examples.tasks.serve import start

from .conftest import Running, Start
from .rawhttp import Raw, collect, send
from .upstream import SEEN, make_upstream

pytestmark = pytest.mark.usefixtures("quiet")


@pytest.fixture
def quiet(caplog: pytest.LogCaptureFixture) -> object:
    """Fail the test if anything logged a traceback."""
    caplog.set_level(logging.INFO)
    yield
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    tracebacks = [r.getMessage() for r in records if r.exc_info or r.exc_text]
    assert not tracebacks


@pytest.fixture
async def elsewhere() -> object:
    """A server that is no target: nothing may ever reach it through the proxy."""
    app = make_upstream("elsewhere")
    runner, port = await start(app)
    yield f"127.0.0.1:{port}", app[SEEN]
    await runner.cleanup()


def nothing_reached_anyone(running: Running) -> None:
    for name in running.upstreams:
        assert running.seen(name) == [], name


async def nothing_stored(running: Running, refused: int) -> None:
    summary = await running.finish()
    assert summary.counts.get("refused.request_form", 0) == refused
    assert "served" not in summary.counts
    assert running.rows("SELECT count(*) FROM exchanges") == [(0,)]


def refused(raw: Raw, status: int = 400) -> None:
    assert raw.status == status, raw.data[:300]
    assert raw.body.startswith(b"twinsight: "), raw.body[:300]
    assert len(raw.body) < 200
    assert raw.closed


@pytest.mark.parametrize("mode", ["proxy", "sink"])
async def test_request_lines_that_name_another_host_are_refused(
    capture: Start, mode: str, elsewhere: tuple[str, list[object]]
) -> None:
    running = await capture(mode)
    address, seen_elsewhere = elsewhere
    lines = [
        f"GET http://{address}/internal-secret HTTP/1.1",  # absolute-form
        "GET admin://x/internal-secret HTTP/1.1",  # the SSRF shape (any scheme)
        f"GET http://{address} HTTP/1.1",
        f"CONNECT {address} HTTP/1.1",  # authority-form
        f"POST https://{address}/items HTTP/1.1",
    ]
    for line in lines:
        request = f"{line}\r\nHost: {address}\r\nContent-Length: 0\r\n\r\n"
        refused(await send(running.url, request.encode()))
    nothing_reached_anyone(running)
    assert seen_elsewhere == []
    await nothing_stored(running, refused=len(lines))


async def test_options_asterisk_reaches_the_legacy_as_such(capture: Start) -> None:
    running = await capture()
    raw = await send(running.url, b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert raw.status == 200
    assert [s["path"] for s in running.seen("legacy")] == ["*"]


SMUGGLING = {
    "content-length and chunked": (
        b"Content-Length: 48\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    ),
    "chunked and content-length": (
        b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
        b"5c\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n0\r\n\r\n"
    ),
    "two content-lengths": (
        b"Content-Length: 0\r\nContent-Length: 38\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    ),
    "two equal content-lengths": (
        b"Content-Length: 3\r\nContent-Length: 3\r\n\r\n"
        b"abcGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    ),
    "obs-fold": (
        b"X-Note: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"
        b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    ),
    "chunked not last": (
        b"Transfer-Encoding: chunked, identity\r\n\r\n"
        b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    ),
    "space before colon": (
        b"Transfer-Encoding : chunked\r\nContent-Length: 0\r\n\r\n"
        b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    ),
    "bare LF line ends": b"Content-Length: 0\n\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
}


@pytest.mark.parametrize("shape", list(SMUGGLING))
async def test_ambiguous_framing_is_refused_never_split_into_two(
    capture: Start, shape: str
) -> None:
    running = await capture(mirror_writes=True)
    raw = await send(running.url, b"POST /echo HTTP/1.1\r\nHost: x\r\n" + SMUGGLING[shape], wait=2)
    assert raw.status in (200, 400), raw.data[:300]
    assert raw.answers <= 1
    for target in ("legacy", "candidate"):
        paths = [s["path"] for s in running.seen(target)]
        assert "/smuggled" not in paths
        assert len(paths) <= 1
    if raw.status == 400:
        nothing_reached_anyone(running)


@pytest.mark.parametrize(
    "head",
    [
        b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 10_000 + b"\r\n\r\n",
        b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /echo HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(2_000)) + b"\r\n",
        b"GET /echo HTTP/1.1\r\nHost: x\r\n" + b"X-" + b"n" * 10_000 + b": v\r\n\r\n",
    ],
    ids=["long header", "long request line", "many headers", "long header name"],
)
async def test_oversized_heads_get_a_clean_client_error(capture: Start, head: bytes) -> None:
    running = await capture()
    raw = await send(running.url, head)
    assert raw.status in (400, 414, 431), raw.data[:300]
    assert raw.closed
    nothing_reached_anyone(running)


async def test_a_slow_head_is_cut_off(capture: Start) -> None:
    running = await capture(client_timeout_s=1.0)
    host, port = running.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))

    async def trickle() -> None:  # one byte every 0.1 s: 7 s for the whole head
        for byte in b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"z" * 40 + b"\r\n\r\n":
            if reader.at_eof() or writer.is_closing():
                return
            writer.write(bytes([byte]))
            await asyncio.sleep(0.1)

    trickling = asyncio.ensure_future(trickle())
    started = time.perf_counter()
    try:
        raw = await collect(reader, wait=4)
    finally:
        trickling.cancel()
        writer.close()
    assert raw.closed, "the proxy still held the connection after 4 s"
    assert 0.9 < time.perf_counter() - started < 2.5
    nothing_reached_anyone(running)


async def test_a_stalled_body_is_cut_off(capture: Start) -> None:
    running = await capture(client_timeout_s=0.5, mirror_writes=True)
    started = time.perf_counter()
    raw = await send(
        running.url,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a part",
        wait=3,
    )
    assert time.perf_counter() - started < 2
    assert raw.status == 408
    assert raw.closed
    nothing_reached_anyone(running)
    summary = await running.finish()
    assert summary.counts["refused.slow_body"] == 1


async def test_a_legacy_that_breaks_off_mid_answer_is_recorded_and_cuts_the_client(
    capture: Start,
) -> None:
    running = await capture(max_body=100 << 20)
    raw = await send(running.url, b"GET /cut HTTP/1.1\r\nHost: x\r\n\r\n")
    assert raw.status == 200
    assert raw.closed
    assert len(raw.body) < 3 << 20  # the client can tell the answer is incomplete
    await running.finish()
    assert running.rows("SELECT target, error FROM responses ORDER BY 1") == [
        ("candidate", "reset"),
        ("legacy", "reset"),
    ]


async def test_the_proxy_still_serves_after_hostile_clients(capture: Start) -> None:
    running = await capture()
    for request in (
        b"GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS hello on the plain port
        b"GARBAGE\r\n\r\n",
    ):
        await send(running.url, request, wait=2)
    raw = await send(running.url, b"GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert raw.status == 200


async def test_a_chunked_body_sent_in_pieces_arrives_whole(capture: Start) -> None:
    running = await capture(mirror_writes=True)
    host, port = running.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    for piece in (b"hello ", b"chunked ", b"world"):
        writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        await writer.drain()
        await asyncio.sleep(0.05)
    writer.write(b"0\r\n\r\n")
    raw = await collect(reader, wait=0.5)  # keep-alive: the answer, then silence
    writer.close()
    assert raw.status == 200
    await running.finish()
    assert [s["body"] for s in running.seen("legacy")] == [b"hello chunked world"]
    assert [s["body"] for s in running.seen("candidate")] == [b"hello chunked world"]


async def counted(running: Running, line: str, wait: float = 5.0) -> None:
    """Wait until the admin /metrics shows `line` (the handler has finished its books)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    async with aiohttp.ClientSession() as session:
        while loop.time() < deadline:
            async with session.get(running.admin + "/metrics") as answer:
                if line in await answer.text():
                    return
            await asyncio.sleep(0.02)
    raise AssertionError(f"{line!r} never appeared in /metrics")


@pytest.mark.parametrize("mode", ["proxy", "sink"])
async def test_a_client_gone_mid_body_is_counted_quietly(capture: Start, mode: str) -> None:
    running = await capture(mode, mirror_writes=True)
    host, port = running.url.removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc")
    await writer.drain()
    writer.close()
    await counted(running, 'twinsight_refused_total{reason="client_gone"} 1.0')
    nothing_reached_anyone(running)
    summary = await running.finish()
    assert summary.counts["refused.client_gone"] == 1
    assert "served" not in summary.counts
    assert running.rows("SELECT count(*) FROM exchanges") == [(0,)]


async def test_a_client_gone_mid_answer_is_counted_and_the_legacy_recorded_as_cut(
    capture: Start,
) -> None:
    running = await capture(max_body=64 << 20)
    host, port = running.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
    received = 0
    while received < 200_000:
        chunk = await asyncio.wait_for(reader.read(65536), 5)
        assert chunk, "the proxy closed before 200 KB"
        received += len(chunk)
    writer.transport.abort()
    await counted(running, 'twinsight_client_gone_total{reason="mid_answer"} 1.0')
    summary = await running.finish()
    assert summary.counts["client_gone.mid_answer"] == 1
    rows = running.rows("SELECT target, status, error, body_size FROM responses ORDER BY 1")
    assert rows[0] == ("candidate", 200, None, 16 << 20)
    target, status, error, size = rows[1]
    assert (target, status, error) == ("legacy", 200, "cancelled")
    assert 0 < size < 16 << 20  # what the legacy had sent when the client left
