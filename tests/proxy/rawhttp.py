"""A raw HTTP/1.1 client for hostile input: exact bytes out, the whole answer (or silence) back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from yarl import URL


@dataclass
class Raw:
    """What came back on one connection."""

    data: bytes
    closed: bool  # the server closed the connection (EOF) before the deadline

    @property
    def status(self) -> int | None:
        """The status of the first answer, None if none came."""
        head = self.data.split(b"\r\n", 1)[0].split(b" ")
        return int(head[1]) if len(head) > 1 and head[1].isdigit() else None

    @property
    def answers(self) -> int:
        """How many answers (status lines) came back."""
        return self.data.count(b"HTTP/1.1 ") + self.data.count(b"HTTP/1.0 ")

    @property
    def body(self) -> bytes:
        """The body of the first answer (everything after its head)."""
        return self.data.partition(b"\r\n\r\n")[2]


async def send(url: str, data: bytes, *, wait: float = 5.0) -> Raw:
    """Write `data` on a new connection and read until the server closes or `wait` passes."""
    where = URL(url)
    reader, writer = await asyncio.open_connection(where.host, where.port)
    try:
        writer.write(data)
        await writer.drain()
        return await collect(reader, wait)
    finally:
        writer.close()


async def collect(reader: asyncio.StreamReader, wait: float) -> Raw:
    """Everything the server sends until it closes the connection or `wait` passes."""
    received = bytearray()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    try:
        while chunk := await asyncio.wait_for(reader.read(65536), deadline - loop.time()):
            received += chunk
    except TimeoutError:
        return Raw(bytes(received), closed=False)
    except ConnectionError:
        pass  # a reset closes too
    return Raw(bytes(received), closed=True)
