"""What the proxy and the sink do with each request they receive: refuse, count, sample, capture.

The refusals are the capture's security boundary: only origin-form request
targets are served (requests go to the configured origins and nowhere else),
and a client that stalls while sending a body is cut off.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from multidict import CIMultiDict, CIMultiDictProxy

from twinsight.config import CaptureSettings
from twinsight.store import CaptureCounters, new_id
from twinsight.traffic import (
    SAFE,
    Networks,
    is_sampled,
    proxied,
    session_key,
    to_tuple,
    trusts,
)

from .fanout import Request

__all__ = ["Intake", "Received", "connection_of", "refusal", "request_form_guard", "stalled"]


def refusal(method: str, target: str) -> str | None:
    """Why a request line is refused, or None for an origin-form target (or `OPTIONS *`).

    Absolute-form (`GET http://host/`) and authority-form (`CONNECT host:443`)
    targets are what forward proxies serve; serving them would let a client
    choose where the request goes.
    """
    if method == "CONNECT":
        return "CONNECT is not served (not a forward proxy)"
    if target.startswith("/") or (target == "*" and method == "OPTIONS"):
        return None
    return "only request targets starting with / are served (not a forward proxy)"


def request_form_guard(counters: CaptureCounters, serve: Handler) -> Middleware:
    """Middleware answering 400 to request lines `refusal` names and giving `serve` the rest.

    Every accepted request goes to `serve`, routed or not: aiohttp's router
    cannot match the target `*` of `OPTIONS *`, which is passed on as such.
    """

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        reason = refusal(request.method, request.raw_path)
        if reason is None:
            return await serve(request)
        counters.add("refused.request_form")
        answer = web.Response(status=400, text=f"twinsight: {reason}\n")
        answer.force_close()
        return answer

    return guard


@dataclass(frozen=True)
class Received:
    """A request as a server received it, whichever server that is (aiohttp's or mitmproxy's)."""

    method: str
    target: str  # the raw path and query of the request line
    headers: CIMultiDictProxy[str] | CIMultiDict[str]
    client: str | None
    scheme: str
    host: str
    body: bytes
    connection: str | None = None  # the client's ADDRESS:PORT: one connection

    @classmethod
    def of(cls, request: web.Request, body: bytes) -> Received:
        """What aiohttp received."""
        transport = request.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        return cls(
            request.method,
            request.raw_path,
            request.headers,
            request.remote,
            request.scheme,
            request.host,
            body,
            connection=connection_of(peer),
        )


@dataclass(frozen=True)
class Intake:
    """Sampling, mirroring and trust policy, shared by the proxy and the sink."""

    counters: CaptureCounters
    sample: float = 1.0
    session_by: str = "header:authorization"
    mirror_writes: bool = False
    trust_forwarded: Networks = ()
    client_timeout: float = 60.0

    @classmethod
    def of(cls, capture: CaptureSettings, counters: CaptureCounters) -> Intake:
        """The intake the capture settings describe."""
        return cls(
            counters,
            capture.sample,
            capture.session_by,
            capture.mirror_writes,
            trust_forwarded=tuple(capture.trust_forwarded),
            client_timeout=capture.client_timeout_s,
        )

    def mirrors(self, method: str) -> bool:
        """Whether requests with `method` are mirrored (writes only with --mirror-writes)."""
        return method in SAFE or self.mirror_writes

    def trusts(self, peer: str | None) -> bool:
        """Whether `peer`'s X-Forwarded-* headers are believed (it is named in trust_forwarded)."""
        return trusts(peer, self.trust_forwarded)

    def proxied(self, received: Received) -> CIMultiDict[str]:
        """The headers a proxy sends on for `received` (`traffic.proxied`, trusting as set)."""
        return proxied(
            received.headers,
            client=received.client,
            scheme=received.scheme,
            host=received.host,
            trusted=self.trusts(received.client),
        )

    async def read_body(self, request: web.Request) -> bytes | web.Response:
        """The whole request body, or the answer ending a request that never arrived whole.

        A client that paused past the client timeout gets a 408 (`refused.slow_body`);
        one that closed its connection mid-body (`refused.client_gone`) gets nothing:
        the answer returned for it is never delivered, and aiohttp drops it quietly.
        """
        if not request.body_exists:
            return b""
        content, chunks = request.content, []
        try:
            while not content.at_eof():
                chunk = content.read_nowait()  # what has arrived: no timer (~13 µs) for it
                if not chunk:
                    async with asyncio.timeout(self.client_timeout):
                        chunk = await content.readany()
                chunks.append(chunk)
        except TimeoutError:
            self.counters.add("refused.slow_body")
            return stalled()
        except ConnectionResetError:  # aiohttp's ClientConnectionResetError is one too
            self.counters.add("refused.client_gone")
            return _gone()
        return b"".join(chunks)

    def capture(self, received: Received, forward: CIMultiDict[str]) -> Request | None:
        """The request as captured (counted as sampled), or None when its session is not."""
        key = session_key(self.session_by, received.headers, received.client)
        if not is_sampled(key, self.sample):
            return None
        self.counters.add("sampled")
        path, _, query = received.target.partition("?")
        return Request(
            id=new_id(),
            ts=datetime.now(UTC),
            method=received.method,
            path=path,
            query=query,
            scheme=received.scheme,
            host=received.host,
            headers=to_tuple(received.headers),
            body=received.body,
            session=key,  # the store keeps only its keyed hash
            forward_headers=forward,
            connection=received.connection,
        )


def connection_of(peer: object) -> str | None:
    """`ADDRESS:PORT` of a socket's peer name (a tuple for IP sockets), else None."""
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return None


def _gone() -> web.Response:
    """The answer to a client that left mid-body: 499 as nginx logs it; nobody receives it."""
    answer = web.Response(status=499, reason="Client Closed Request")
    answer.force_close()
    return answer


def stalled() -> web.Response:
    """The answer to a client that stalled while sending its body (the connection is closed)."""
    answer = web.Response(status=408, text="twinsight: the request body stalled\n")
    answer.force_close()
    return answer
