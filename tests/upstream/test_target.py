"""Calling a target: a request lost on a pooled connection the target had closed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from multidict import CIMultiDict
from yarl import URL

from twinsight.store import Response
from twinsight.upstream import Target


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


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_an_idempotent_request_on_stale_connections_is_sent_again_on_a_fresh_one(
    first_only: tuple[str, list[int]], method: str
) -> None:
    url, answered = first_only
    answer = await after_pooling(url, method, b"")
    assert (answer.status, answer.error, answer.body.data) == (200, None, b"ok")
    assert len(answered) == 4  # the stale connections never read it: answered once


async def test_a_post_on_a_stale_connection_is_not_sent_twice(
    first_only: tuple[str, list[int]],
) -> None:
    url, answered = first_only
    answer = await after_pooling(url, "POST", b"x")
    assert answer.error == "reset"  # a write may have been acted on: never repeated
    assert len(answered) == 3
