"""Calling one target: its own connection pool and timeout, errors turned into error kinds."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from twinsight.store import BodyAccumulator, ErrorKind, Response

__all__ = ["Target", "error_kind", "payload"]

_LARGE = 1 << 20


def payload(body: bytes) -> bytes | io.BytesIO | None:
    """A request body for aiohttp: large ones as a stream, so the loop writes them in pieces."""
    if not body:
        return None
    return io.BytesIO(body) if len(body) > _LARGE else body


def error_kind(error: BaseException) -> ErrorKind:
    """The error kind stored for an exception raised while calling a target."""
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, aiohttp.ClientConnectorError):
        return "refused"
    if isinstance(
        error, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | ConnectionError
    ):
        return "reset"
    if isinstance(error, aiohttp.ClientOSError):
        return "reset" if error.errno in (104, 32) else "refused"
    return "protocol"


@dataclass
class Target:
    """A system that answers requests, reached at `url` through a pool of its own."""

    name: str
    url: URL
    timeout: float
    session: aiohttp.ClientSession | None = None

    async def open(self, *, pool: int = 100) -> None:
        """Create the target's connection pool (call on the running loop)."""
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=pool, limit_per_host=pool),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            auto_decompress=False,  # store what the target sent; decoding happens at rest
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        """Close the pool."""
        if self.session is not None:
            await self.session.close()

    def url_for(self, path: str, query: str) -> URL:
        """The target's URL for a raw path and query, sent byte for byte as given."""
        base = str(self.url).rstrip("/")
        return URL(base + path + (f"?{query}" if query else ""), encoded=True)

    async def call(
        self,
        method: str,
        path: str,
        query: str,
        headers: CIMultiDict[str],
        body: bytes,
        *,
        max_body: int,
    ) -> Response:
        """Send one request and read the whole answer (first `max_body` bytes kept)."""
        assert self.session is not None, "Target.open() first"
        started = time.perf_counter()
        try:
            async with self.session.request(
                method,
                self.url_for(path, query),
                headers=headers,
                data=payload(body),
                allow_redirects=False,
            ) as answer:
                kept = BodyAccumulator(max_body)
                if answer.content_length is not None and answer.content_length <= max_body:
                    kept.add(await answer.read())  # one await for the common small answer
                else:
                    async for chunk in answer.content.iter_any():
                        kept.add(chunk)
                received = tuple(answer.headers.items())  # as sent; analysis skips hop-by-hop
                return Response(self.name, answer.status, received, kept.body(), _ms(started))
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return Response(self.name, latency_ms=_ms(started), error=error_kind(error))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
