"""The shadow proxy's client path: forward to the legacy, stream its answer back, start mirrors.

The client gets exactly what the legacy sent (status, every header, the body
bytes still encoded) apart from hop-by-hop headers. Mirrors start before the
legacy is called and never hold the client up: the handler only starts a flight
and hands it the legacy's answer, both without waiting. Requests go to the
legacy's configured origin only (see `intake.refusal`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from twinsight.records import PRIMARY_TARGET, Body, BodyAccumulator, ErrorKind, Response
from twinsight.traffic import (
    READ_WHOLE_MAX,
    Target,
    end_to_end,
    error_kind,
    to_tuple,
)

from .fanout import Fanout, Flight
from .intake import Intake, Received

__all__ = ["ShadowProxy"]

_UPSTREAM_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)


@dataclass(frozen=True)
class _Relay:
    """One legacy answer on its way to the client, and the flight waiting to hear it."""

    request: web.Request
    upstream: aiohttp.ClientResponse
    headers: CIMultiDict[str]  # the answer's end-to-end headers: what the client gets
    started: float
    flight: Flight | None
    base_url: str  # where the legacy was reached
    sent_at: datetime  # when the request left for the legacy: `started` on the wall clock

    def failed(self, error: BaseException) -> Response:
        """The legacy's answer lost to `error` after the request left."""
        return _failed(error, self.started, self.base_url, self.sent_at)

    def legacy(self, body: Body, error: ErrorKind | None = None) -> Response:
        """The legacy's answer as stored, its latency measured now."""
        status, headers = self.upstream.status, to_tuple(self.headers)
        latency = _ms(self.started)
        return Response(
            PRIMARY_TARGET, status, headers, body, latency, error, self.base_url, self.sent_at
        )


class ShadowProxy:
    """The aiohttp handler of `twinsight proxy`."""

    def __init__(self, legacy: Target, fanout: Fanout, intake: Intake) -> None:
        self.legacy, self.fanout, self.intake = legacy, fanout, intake

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer the client from the legacy; mirror and record on the side."""
        body = await self.intake.read_body(request)
        if isinstance(body, web.Response):
            return body  # refused: stalled, or the client is gone
        self.intake.counters.add("served")
        received = Received.of(request, body)
        headers = self.intake.proxied(received)
        captured = self.intake.capture(received, headers)
        taken = self.fanout.take(captured, mirrored=self.intake.mirrors(request.method))
        flight = taken if isinstance(taken, Flight) else None
        legacy: Response | None = None
        try:
            legacy, answer = await self._forward(request, headers, body, flight)
            return answer
        finally:
            legacy = legacy or Response(
                PRIMARY_TARGET, error="cancelled", base_url=self.legacy.base_url
            )
            self.fanout.metrics.observe(legacy)
            self.fanout.answered(taken, legacy)

    async def _forward(
        self,
        request: web.Request,
        headers: CIMultiDict[str],
        body: bytes,
        flight: Flight | None,
    ) -> tuple[Response, web.StreamResponse]:
        path, _, query = request.raw_path.partition("?")
        started, sent_at = time.perf_counter(), datetime.now(UTC)
        try:
            url = self.legacy.url_for(path, query)
            upstream = await self.legacy.request(request.method, url, headers, body)
        except _UPSTREAM_ERRORS as error:
            return _gateway_error(_failed(error, started, self.legacy.base_url, sent_at))
        async with upstream:
            relay = _Relay(
                request,
                upstream,
                end_to_end(upstream.headers),
                started,
                flight,
                self.legacy.base_url,
                sent_at,
            )
            length = upstream.content_length
            if length is not None and length <= READ_WHOLE_MAX:
                return await self._whole(relay)
            return await self._stream(relay)

    async def _whole(self, relay: _Relay) -> tuple[Response, web.StreamResponse]:
        """A small answer, read whole: its ids reach the books before the client sees it."""
        request, upstream, headers = relay.request, relay.upstream, relay.headers
        try:
            data = await upstream.read()
        except _UPSTREAM_ERRORS as error:
            return _gateway_error(relay.failed(error))
        legacy = self._answered(relay, Body.of(data, self.fanout.options.max_body))
        if request.method != "HEAD" and len(data) == upstream.content_length:
            answer = web.Response(
                status=upstream.status, reason=upstream.reason, headers=headers, body=data
            )
            return legacy, answer
        streamed = web.StreamResponse(
            status=upstream.status, reason=upstream.reason, headers=headers
        )
        try:
            await streamed.prepare(request)
            await streamed.write(data)
            await streamed.write_eof()
        except ConnectionResetError:  # the client left; the legacy's answer is whole
            self.intake.counters.add("client_gone.mid_answer")
        return legacy, streamed

    async def _stream(self, relay: _Relay) -> tuple[Response, web.StreamResponse]:
        """A large or unsized answer, passed on as it arrives; only the stored prefix is kept.

        The books hear of the legacy's ids before the client can know the answer is
        whole: before the chunk that completes an announced length, or before the end
        of an unsized one. Every other chunk goes out the moment it arrives (a stream
        of events must not wait for the next one).
        """
        request, upstream = relay.request, relay.upstream
        streamed = web.StreamResponse(
            status=upstream.status, reason=upstream.reason, headers=relay.headers
        )
        kept = BodyAccumulator(self.fanout.options.max_body)
        length, received, legacy = upstream.content_length, 0, None
        try:
            await streamed.prepare(request)
            while True:
                try:
                    chunk = await upstream.content.readany()
                except _UPSTREAM_ERRORS as error:
                    # Cut mid-answer: closing the client's connection tells it the answer
                    # is incomplete; ending it normally would pass a cut body off as whole.
                    if request.transport is not None:
                        request.transport.abort()
                    return relay.failed(error), streamed
                if not chunk:
                    break
                kept.add(chunk)
                received += len(chunk)
                if legacy is None and length is not None and received >= length:
                    legacy = self._answered(relay, kept.body())
                await streamed.write(chunk)
            if legacy is None:
                legacy = self._answered(relay, kept.body())
            await streamed.write_eof()
        except ConnectionResetError:  # from the client's side: aiohttp's writes raise one
            self.intake.counters.add("client_gone.mid_answer")
            return legacy or self._cut(relay, kept), streamed
        return legacy, streamed

    @staticmethod
    def _cut(relay: _Relay, kept: BodyAccumulator) -> Response:
        """The legacy's answer as far as it came when the client left, marked `cancelled`.

        The legacy is not read on: an event stream may never end, and nobody waits
        for the rest. Its status, headers and the body so far are kept, and the
        `cancelled` error says the body is not whole (never compared as a whole body).
        """
        return relay.legacy(kept.body(), error="cancelled")

    @staticmethod
    def _answered(relay: _Relay, body: Body) -> Response:
        """The legacy's whole answer, handed to the flight's mirrors before the client has
        its last byte, so that a client's next request cannot name an id the books have not
        heard of (`handle` hands it over again once answered: a no-op then)."""
        legacy = relay.legacy(body)
        if relay.flight is not None:
            relay.flight.legacy_answered(legacy)
        return legacy


def _failed(error: BaseException, started: float, base_url: str, sent_at: datetime) -> Response:
    kind, latency = error_kind(error), _ms(started)
    return Response(
        PRIMARY_TARGET, latency_ms=latency, error=kind, base_url=base_url, sent_at=sent_at
    )


def _gateway_error(failed: Response) -> tuple[Response, web.Response]:
    """502 Bad Gateway, or 504 Gateway Timeout when the legacy was slower than its timeout."""
    if failed.error == "timeout":
        return failed, web.Response(
            status=504, text="twinsight: the legacy did not answer in time\n"
        )
    return failed, web.Response(status=502, text="twinsight: the legacy did not answer\n")


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
