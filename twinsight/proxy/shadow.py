"""The shadow proxy's client path: forward to the legacy, stream its answer back, start mirrors.

The client gets exactly what the legacy sent (status, every header, the body
bytes still encoded) apart from hop-by-hop headers. Mirrors start before the
legacy is called and never hold the client up: the handler only starts a flight
and hands it the legacy's answer, both without waiting.
"""

from __future__ import annotations

import time

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from twinsight.store import PRIMARY_TARGET, BodyAccumulator, Response
from twinsight.upstream import Target, end_to_end, error_kind, forwarded, payload, to_tuple

from .fanout import Fanout, Flight
from .intake import Intake

__all__ = ["ShadowProxy"]


class ShadowProxy:
    """The aiohttp handler of `twinsight proxy`."""

    def __init__(self, legacy: Target, fanout: Fanout, intake: Intake) -> None:
        self.legacy, self.fanout, self.intake = legacy, fanout, intake

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer the client from the legacy; mirror and record on the side."""
        self.intake.counters.add("served")
        body = await request.read()
        headers = forwarded(
            end_to_end(request.headers, drop=("Host",)),
            client=request.remote,
            scheme=request.scheme,
            host=request.host,
        )
        captured = self.intake.capture(
            request, body, headers, host=request.host, scheme=request.scheme
        )
        flight, unmirrored = None, None
        if captured is not None and self.intake.mirrors(request.method):
            flight = self.fanout.start(captured)  # None when too many are in flight: dropped
        elif captured is not None:
            unmirrored = captured  # a write, kept with the legacy answer only
        legacy: Response | None = None
        try:
            legacy, answer = await self._forward(request, headers, body, flight)
            return answer
        finally:
            legacy = legacy or Response(PRIMARY_TARGET, error="cancelled")
            self.fanout.metrics.observe(legacy)
            if flight is not None:
                self.fanout.legacy_answered(flight, legacy)
            elif unmirrored is not None:
                self.fanout.record(unmirrored, legacy)

    async def _forward(
        self,
        request: web.Request,
        headers: CIMultiDict[str],
        body: bytes,
        flight: Flight | None,
    ) -> tuple[Response, web.StreamResponse]:
        session = self.legacy.session
        assert session is not None
        path, _, query = request.raw_path.partition("?")
        started = time.perf_counter()
        try:
            upstream = await session.request(
                request.method,
                self.legacy.url_for(path, query),
                headers=headers,
                data=payload(body),
                allow_redirects=False,
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            failed = Response(PRIMARY_TARGET, latency_ms=_ms(started), error=error_kind(error))
            return failed, web.Response(status=502, text="twinsight: the legacy did not answer\n")
        async with upstream:
            return await self._relay(request, upstream, started, flight)

    async def _relay(
        self,
        request: web.Request,
        upstream: aiohttp.ClientResponse,
        started: float,
        flight: Flight | None,
    ) -> tuple[Response, web.StreamResponse]:
        kept = BodyAccumulator(self.fanout.options.max_body)
        headers = end_to_end(upstream.headers)
        length = upstream.content_length
        if length is not None and length <= self.fanout.options.max_body:
            # Small answers are read whole so the legacy's ids reach the correlation books
            # before the client can act on them, and go out in one write.
            data = await upstream.read()
            kept.add(data)
            legacy = self._legacy(upstream, headers, kept, started)
            if flight is not None:
                self.fanout.legacy_answered(flight, legacy)
            if request.method != "HEAD" and len(data) == length:
                answer = web.Response(
                    status=upstream.status, reason=upstream.reason, headers=headers, body=data
                )
                return legacy, answer
            streamed = web.StreamResponse(
                status=upstream.status, reason=upstream.reason, headers=headers
            )
            await streamed.prepare(request)
            await streamed.write(data)
        else:
            streamed = web.StreamResponse(
                status=upstream.status, reason=upstream.reason, headers=headers
            )
            await streamed.prepare(request)
            async for chunk in upstream.content.iter_any():
                kept.add(chunk)
                await streamed.write(chunk)
            legacy = self._legacy(upstream, headers, kept, started)
        await streamed.write_eof()
        return legacy, streamed

    def _legacy(
        self,
        upstream: aiohttp.ClientResponse,
        headers: CIMultiDict[str],
        kept: BodyAccumulator,
        started: float,
    ) -> Response:
        return Response(
            PRIMARY_TARGET, upstream.status, to_tuple(headers), kept.body(), _ms(started)
        )


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
