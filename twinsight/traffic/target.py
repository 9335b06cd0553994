"""Calling one target: its own connection pool and timeout, errors turned into error kinds."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from twinsight.errors import UserError
from twinsight.records import PRIMARY_TARGET, BodyAccumulator, ErrorKind, Response

__all__ = [
    "READ_WHOLE_MAX",
    "SAFE",
    "Target",
    "base_url",
    "configured_targets",
    "error_kind",
    "payload",
    "upstream_url",
]

SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods without side effects (RFC 9110 9.2.1): the only ones twinsight sends again."""

_LARGE = 1 << 20

READ_WHOLE_MAX = 1 << 20
"""Answers up to this size are read in one await; larger ones are read chunk by chunk.

Reading whole is the fast path for the common small answer, but it holds the
whole answer (and, while aiohttp joins it, twice that) in memory: past this size
only the stored prefix (`max_body`) is kept, however large the answer and the
stored limit are.
"""


def payload(body: bytes) -> bytes | io.BytesIO | None:
    """A request body for aiohttp: large ones as a stream, so the loop writes them in pieces."""
    if not body:
        return None
    return io.BytesIO(body) if len(body) > _LARGE else body


def upstream_url(origin: URL, path: str, query: str) -> URL:
    """`origin`'s scheme, authority and base path plus a raw path and query, byte for byte.

    Only the configured origin decides where a request goes: `path` must be an
    origin-form path (starting with `/`) or `*` (OPTIONS *); anything else, such
    as the target of an absolute-form request line, raises ValueError.
    """
    if path == "*":
        full = "*"  # OPTIONS * names the server itself, not a resource under the base path
    elif path.startswith("/"):
        full = origin.raw_path.rstrip("/") + path
    else:
        raise ValueError(f"not an origin-form request target: {path[:100]!r}")
    return URL.build(
        scheme=origin.scheme,
        authority=origin.raw_authority,
        path=full,
        query_string=query,
        encoded=True,  # the exact bytes the client sent, never re-quoted
    )


def base_url(url: URL) -> str:
    """`url` as a target's answers record where it was reached: scheme, host, the port when
    not the scheme's default (as a `Location` names it), base path; credentials, query and
    fragment left out, and the trailing `/` (`http://h:1/` and `http://h:1` are one base)."""
    return str(url.with_user(None).with_query(None).with_fragment(None)).rstrip("/")


def server_url(scheme: str, host: str, port: int | None = None) -> str | None:
    """The base URL of a server a recording or a flow names (`host` may carry `:port`), as
    live targets record theirs; None when it names no valid one."""
    try:
        if port is None:
            return base_url(URL(f"{scheme}://{host}"))
        return base_url(URL.build(scheme=scheme, host=host, port=port))
    except (ValueError, TypeError):
        return None


def configured_targets(
    urls: Mapping[str, object], timeout: float, *, compared: bool = True
) -> list[Target]:
    """The configured targets, the legacy first, each with `timeout`; a one-line error when
    the legacy is missing or (`compared`) nothing else is there to compare it with."""
    if PRIMARY_TARGET not in urls:
        raise UserError("no legacy target: pass --legacy URL (or set [targets] legacy)")
    if compared and len(urls) < 2:
        raise UserError("nothing to compare with: pass --candidate URL (or set [targets])")
    names = [PRIMARY_TARGET, *(name for name in urls if name != PRIMARY_TARGET)]
    return [Target(name, URL(str(urls[name])), timeout) for name in names]


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
    # Calls hold a slot for as long as they use a pooled connection, so a call
    # never waits inside aiohttp's pool, where the wait would count against its
    # timeout and look like a slow target.
    _slots: asyncio.Semaphore | None = field(default=None, repr=False)
    # Connections never reused: for the one retry of a request a pooled connection lost.
    _fresh: aiohttp.ClientSession | None = field(default=None, repr=False)

    @cached_property
    def base_url(self) -> str:
        """Where the target is reached, as recorded with each of its answers."""
        return base_url(self.url)

    async def open(self, *, pool: int = 100) -> None:
        """Create the target's connection pool (call on the running loop)."""
        self._slots = asyncio.Semaphore(pool)
        self.session = self._session(_ReuseConnector(limit=pool, limit_per_host=pool))

    def _session(self, connector: aiohttp.TCPConnector) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            auto_decompress=False,  # store what the target sent; decoding happens at rest
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        """Close the pool."""
        for session in (self.session, self._fresh):
            if session is not None:
                await session.close()

    async def request(
        self, method: str, url: URL, headers: CIMultiDict[str], body: bytes
    ) -> aiohttp.ClientResponse:
        """Send a request and return once the answer's head is in.

        A pooled connection the target closed while idle fails before any byte of the
        answer (a keep-alive race: the target never read the request); aiohttp's own
        retry may meet another such connection. An idempotent request is then sent once
        more on a connection of its own, as browsers do. Only safe methods: aiohttp
        already sends an idempotent request twice when the first try fails, and a target
        that did read it (then crashed) must not get a write a third time."""
        assert self.session is not None, "Target.open() first"
        _REUSED.set(False)
        try:
            return await self._request(self.session, method, url, headers, body)
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as error:
            # Only a safe request whose last try went out on a pooled connection: a target
            # that reads and drops requests on new connections too is not asked again.
            if method not in SAFE or not _REUSED.get() or error_kind(error) != "reset":
                raise
        if self._fresh is None:
            self._fresh = self._session(aiohttp.TCPConnector(force_close=True))
        return await self._request(self._fresh, method, url, headers, body)

    async def _request(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: URL,
        headers: CIMultiDict[str],
        body: bytes,
    ) -> aiohttp.ClientResponse:
        return await session.request(
            method, url, headers=headers, data=payload(body), allow_redirects=False
        )

    def url_for(self, path: str, query: str) -> URL:
        """The target's URL for a raw path and query, sent byte for byte as given."""
        return upstream_url(self.url, path, query)

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
        """Send one request and read the whole answer (first `max_body` bytes kept).

        A call that waits longer than the timeout for a free connection is not
        sent at all and comes back as `unsent`; once sent, it has the whole
        timeout for the target to answer.
        """
        assert self._slots is not None, "Target.open() first"
        url = self.url_for(path, query)
        if not await self._slot(self._slots):
            return Response(self.name, error="unsent", base_url=self.base_url)
        try:
            return await self._send(method, url, headers, body, max_body)
        finally:
            self._slots.release()

    async def _slot(self, slots: asyncio.Semaphore) -> bool:
        """Take a connection slot, waiting at most the timeout; False if none came free."""
        if not slots.locked():
            await slots.acquire()  # free: returns at once, no timer on the common path
            return True
        try:
            async with asyncio.timeout(self.timeout):
                await slots.acquire()
        except TimeoutError:
            return False
        return True

    async def _send(
        self, method: str, url: URL, headers: CIMultiDict[str], body: bytes, max_body: int
    ) -> Response:
        # Latency and the recorded send time start together, after any wait for a slot.
        started, sent_at = time.perf_counter(), datetime.now(UTC)
        try:
            async with await self.request(method, url, headers, body) as answer:
                kept = BodyAccumulator(max_body)
                length = answer.content_length
                if length is not None and length <= READ_WHOLE_MAX:
                    kept.add(await answer.read())  # one await for the common small answer
                else:
                    async for chunk in answer.content.iter_any():
                        kept.add(chunk)
                received = tuple(answer.headers.items())  # as sent; analysis skips hop-by-hop
                return Response(
                    self.name,
                    answer.status,
                    received,
                    kept.body(),
                    _ms(started),
                    base_url=self.base_url,
                    sent_at=sent_at,
                )
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            kind, latency = error_kind(error), _ms(started)
            return Response(
                self.name, latency_ms=latency, error=kind, base_url=self.base_url, sent_at=sent_at
            )


_REUSED: ContextVar[bool] = ContextVar("twinsight_reused", default=False)
"""Whether the last try of the running task's request went out on a pooled connection.

Set by the connector, read by `Target.request` in the same task: aiohttp connects in
the task that sends, so the value comes back without request tracing, whose signals
cost every request several awaits (~3 % of a replay's CPU)."""


class _ReuseConnector(aiohttp.TCPConnector):
    """A connector that tells `_REUSED` whether each connection it hands out was pooled."""

    async def connect(self, req: Any, traces: Any, timeout: Any) -> Any:
        _REUSED.set(False)  # a try whose connect fails used no pooled connection
        connection = await super().connect(req, traces, timeout)
        protocol: Any = connection.protocol
        # A protocol is handed out once when created and again each time it leaves the pool.
        _REUSED.set(getattr(protocol, "_twinsight_used", False))
        protocol._twinsight_used = True
        return connection


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
