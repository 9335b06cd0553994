"""Calling a target: a request lost on a pooled connection the target had closed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from multidict import CIMultiDict
from yarl import URL

from twinsight.records import Response
from twinsight.traffic import Target


@pytest.fixture
async def first_only() -> AsyncIterator[tuple[str, list[int]]]:
    """A server answering the first request of each connection, then closing it unread
    when the next one comes: every pooled connection is stale by its second use."""
    answered: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        answered.append(1)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
        await writer.drain()
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            await reader.readuntil(b"\r\n\r\n")  # the next request: dropped, not acted on
        writer.transport.abort()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}", answered


async def after_pooling(url: str, method: str, body: bytes) -> Response:
    """`method` sent once three pooled connections have each been used once."""
    target = Target("candidate", URL(url), timeout=5)
    await target.open()
    try:
        answers = await asyncio.gather(
            *(target.call("GET", "/", "", CIMultiDict(), b"", max_body=10) for _ in range(3))
        )
        assert [a.status for a in answers] == [200] * 3
        return await target.call(method, "/", "", CIMultiDict(), body, max_body=10)
    finally:
        await target.close()


@pytest.mark.parametrize("method", ["GET", "OPTIONS"])  # (HEAD: this server sends a body)
async def test_a_safe_request_on_stale_connections_is_sent_again_on_a_fresh_one(
    first_only: tuple[str, list[int]], method: str
) -> None:
    url, answered = first_only
    answer = await after_pooling(url, method, b"")
    assert (answer.status, answer.error) == (200, None)
    assert len(answered) == 4  # the stale connections dropped it unread: answered once


@pytest.mark.parametrize(("method", "body"), [("POST", b"x"), ("DELETE", b""), ("PUT", b"x")])
async def test_a_request_with_side_effects_is_never_sent_a_third_time(
    first_only: tuple[str, list[int]], method: str, body: bytes
) -> None:
    url, answered = first_only
    answer = await after_pooling(url, method, body)
    assert answer.error == "reset"  # the target may have acted on it: not ours to repeat
    assert len(answered) == 3


async def test_a_target_dropping_every_request_gets_a_delete_at_most_twice() -> None:
    # A target that reads each request, then crashes: aiohttp's own retry sends an
    # idempotent request twice; twinsight adds nothing to that.
    seen: list[bytes] = []

    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.transport.abort()

    server = await asyncio.start_server(drop, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        target = Target("legacy", URL(f"http://127.0.0.1:{port}"), timeout=5)
        await target.open()
        try:
            answer = await target.call("DELETE", "/orders/7", "", CIMultiDict(), b"", max_body=10)
        finally:
            await target.close()
    assert answer.error == "reset"
    assert 1 <= len(seen) <= 2
