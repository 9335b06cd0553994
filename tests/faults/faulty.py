"""Upstream servers that misbehave below HTTP: raw asyncio sockets on 127.0.0.1 ephemeral ports.

One `FaultyServer` plays a target. Its fault can change between phases of a
test (a healthy baseline first, then the fault) while the proxy keeps running,
and can hit every request or one in `every` (a 2 GiB answer among normal ones):

- `ok`: a small JSON answer, keep-alive (the well-behaved server);
- `refuse`: the port is closed (listener and open connections shut): connection refused;
- `hang`: reads the request and never answers;
- `slow`: answers after `delay` seconds;
- `reset`: resets the connection (RST) after reading the request, before any answer;
- `reset_mid_body`: sends the headers and part of the body, then RST;
- `garbage`: answers with bytes that are not HTTP, then closes;
- `huge`: announces and streams a 2 GiB body, stopping when the peer goes away;
- `flaky_keepalive`: answers well but closes idle keep-alive connections at random.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections.abc import AsyncIterator
from typing import Literal

__all__ = ["HUGE_SIZE", "OK_BODY", "Fault", "FaultyServer", "faulty_server"]

Fault = Literal[
    "ok",
    "refuse",
    "hang",
    "slow",
    "reset",
    "reset_mid_body",
    "garbage",
    "huge",
    "flaky_keepalive",
]

OK_BODY = b'{"ok": true, "items": [1, 2, 3]}'
HUGE_SIZE = 2 << 30  # 2 GiB
_CHUNK = b"\xa5" * (1 << 20)
_GARBAGE = b"\x00\xffSSH-2.0-not-http\r\n\x16\x03\x01 nonsense \x89PNG\r\n"
_MAX_HEAD = 64 * 1024


class FaultyServer:
    """A target at `url` that behaves as `fault` says for each request it reads."""

    def __init__(self, fault: Fault = "ok", *, delay: float = 2.0, close_rate: float = 0.3) -> None:
        self.fault: Fault = fault
        self.delay, self.close_rate = delay, close_rate
        self.every = 1
        self.requests = 0  # requests read, whatever the fault
        self._since = 0  # requests read since the fault was set
        self._tasks: set[asyncio.Task[None]] = set()
        self.url, self.port = "", 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._random = random.Random(7)  # reproducible "random" closes

    async def start(self) -> FaultyServer:
        """Listen on an ephemeral port of 127.0.0.1 (closed again at once for `refuse`)."""
        await self._listen()
        if self.fault == "refuse":
            await self.refuse()
        return self

    async def heal(self) -> None:
        """Behave well again, listening again on the same port if it was closed."""
        self.fault = "ok"
        if self._server is None:
            await self._listen()

    async def misbehave(self, fault: Fault, *, every: int = 1) -> None:
        """Apply `fault` from the next request on, to one request in `every` (all for `refuse`)."""
        if fault == "refuse":
            await self.refuse()
            return
        self.fault, self.every, self._since = fault, every, 0

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._connection, "127.0.0.1", self.port, limit=_MAX_HEAD
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    async def refuse(self) -> None:
        """From now on nothing listens on the port: connecting is refused."""
        self.fault = "refuse"
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()

    async def close(self) -> None:
        """Stop listening, drop every connection and wait for their handlers to end."""
        await self.refuse()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            while await _read_request(reader):
                self.requests += 1
                self._since += 1
                if not await self._answer(reader, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the peer went away: exactly what some faults provoke
        except asyncio.CancelledError:
            pass  # closed by `close` while sleeping or streaming: the end of this handler
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.transport.abort()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer one request as the fault says; False when the connection must end."""
        fault = self.fault if (self._since - 1) % self.every == 0 else "ok"
        if fault == "hang":
            await reader.read()  # until the peer gives up
            return False
        if fault == "slow":
            await asyncio.sleep(self.delay)
        if fault in ("reset", "refuse"):
            _reset(writer)
            return False
        if fault == "reset_mid_body":
            writer.write(_head(200, len(OK_BODY) * 100) + OK_BODY * 10)
            await writer.drain()
            _reset(writer)
            return False
        if fault == "garbage":
            writer.write(_GARBAGE)
            await writer.drain()
            return False
        if fault == "huge":
            await _stream_huge(reader, writer)
            return False
        writer.write(_head(200, len(OK_BODY)) + OK_BODY)
        await writer.drain()
        if fault == "flaky_keepalive" and self._random.random() < self.close_rate:
            # Close while the client believes the connection idle and reusable.
            await asyncio.sleep(self._random.choice((0, 0, 0.001, 0.003)))
            return False
        return True


async def _read_request(reader: asyncio.StreamReader) -> bool:
    """Read one request (head and any Content-Length body); False at a clean end of stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return False
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            await reader.readexactly(int(value))
    return True


def _head(status: int, length: int) -> bytes:
    return (
        f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Abort with SO_LINGER 0, so the peer gets a RST rather than a clean FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _stream_huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(_head(200, HUGE_SIZE))
    sent = 0
    view = memoryview(_CHUNK)
    while sent < HUGE_SIZE and not writer.is_closing() and not reader.at_eof():
        piece = view[: min(len(_CHUNK), HUGE_SIZE - sent)]
        writer.write(piece)
        sent += len(piece)
        await writer.drain()  # raises ConnectionResetError once the peer has gone
    # The connection is aborted next, which drops what is still buffered: up to the
    # high-water mark of the body's end (a cut answer, stored as a 'reset' now and then).
    writer.transport.set_write_buffer_limits(high=0)
    await writer.drain()


@contextlib.asynccontextmanager
async def faulty_server(
    fault: Fault = "ok", *, delay: float = 2.0, close_rate: float = 0.3
) -> AsyncIterator[FaultyServer]:
    """A started `FaultyServer`, closed on exit."""
    server = await FaultyServer(fault, delay=delay, close_rate=close_rate).start()
    try:
        yield server
    finally:
        await server.close()
