"""Mirroring one request to every target at once, then handing the whole exchange to the store.

A `Flight` is one mirrored request: a task per target, started the moment the
request is read (never after the legacy answers, never one after another). The
task that finishes last waits for the legacy answer if need be and submits the
exchange. The number of flights is bounded; past the bound a request is not
mirrored and the drop is counted. Nothing here is on the client's path: the
proxy only starts a flight and later hands it the legacy answer.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from multidict import CIMultiDict

from twinsight.records import PRIMARY_TARGET, Body, Correlation, Exchange, Headers, Response, Source
from twinsight.store import CaptureCounters, StoreWriter
from twinsight.traffic import Target, TaskSet
from twinsight.traffic.correlation import CREATING_METHODS, CorrelationBook, id_values

from .metrics import CaptureMetrics

__all__ = ["Fanout", "Flight", "MirrorOptions", "Request"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    """A request as read from the client, with the body read once for every target."""

    id: str
    ts: datetime
    method: str
    path: str
    query: str
    scheme: str
    host: str
    headers: Headers
    body: bytes
    session: str | None
    forward_headers: CIMultiDict[str] = field(default_factory=CIMultiDict)


@dataclass(frozen=True)
class MirrorOptions:
    """How mirrors are sent."""

    max_body: int = 1 << 20
    queue: int = 1000
    shadow_header: str = "X-Twinsight-Shadow"
    shadow_host_suffix: bool = False
    correlate: bool = True
    legacy_timeout: float = 60.0


class Flight:
    """One mirrored request in progress: the legacy answer and each mirror's, as they arrive."""

    def __init__(self, request: Request, targets: list[str]) -> None:
        self.request = request
        self.legacy: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self.learns = request.method in CREATING_METHODS
        self.targets = targets
        self.answers: dict[str, Response] = {}
        self.pairs: list[Correlation] = []
        self.handed_over = False


class Fanout:
    """Starts flights to the mirror targets; the last call of a flight hands it to the store."""

    def __init__(
        self,
        mirrors: list[Target],
        writer: StoreWriter,
        *,
        source: Source,
        options: MirrorOptions,
        counters: CaptureCounters,
        metrics: CaptureMetrics,
    ) -> None:
        self.mirrors, self.writer, self.source = mirrors, writer, source
        self.options, self.counters, self.metrics = options, counters, metrics
        self.books = {
            t.name: CorrelationBook(t.name)
            for t in mirrors
            if options.correlate and t.name != PRIMARY_TARGET
        }
        self._calls = TaskSet()
        self.in_flight = 0  # flights not yet handed to the store

    def start(self, request: Request) -> Flight | None:
        """Start mirroring `request` now; None (and a counted drop) when too many are in flight."""
        if self.in_flight >= self.options.queue:
            self.counters.add("dropped.queue_full")
            return None
        self.in_flight += 1
        self.counters.add("mirrored")
        flight = Flight(request, [t.name for t in self.mirrors])
        for target in self.mirrors:
            self._calls.start(self._call(target, flight), name=f"mirror {target.name}")
        return flight

    def record(self, request: Request, legacy: Response) -> None:
        """Store a request that is not mirrored (a write without --mirror-writes)."""
        self._submit(request, [legacy], ())

    def legacy_answered(self, flight: Flight, legacy: Response) -> None:
        """Hand over the legacy answer: its ids become pending for each target until it answers.

        The proxy calls this before the client has the last byte of the answer, so a
        client's next request cannot name an id the books have not heard of.
        """
        if flight.legacy.done():
            return
        if self.books and flight.learns:
            ids = id_values(legacy)
            for book in self.books.values():
                book.announce(flight.request.id, ids)
        flight.legacy.set_result(legacy)

    async def _call(self, target: Target, flight: Flight) -> None:
        request, book = flight.request, self.books.get(target.name)
        response = Response(target.name, error="cancelled")
        try:
            path, query, body = request.path, request.query, request.body
            if book is not None:
                rewritten = await book.rewrite(path, query, body, wait=target.timeout)
                path, query, body = rewritten.path, rewritten.query, rewritten.body
                flight.pairs.extend(rewritten.correlations)
            headers = self._headers(request, target, len(body))
            response = await target.call(
                request.method, path, query, headers, body, max_body=self.options.max_body
            )
            self.metrics.observe(response)
        except Exception:
            log.exception("mirror to %s failed", target.name)
            response = Response(target.name, error="protocol")
        finally:
            # Runs when cancelled at shutdown too: the flight is stored with `cancelled`.
            if target.name == PRIMARY_TARGET:
                self.legacy_answered(flight, response)
            flight.answers[target.name] = response
            if book is not None and flight.learns:
                legacy = await self._legacy_of(flight) if response.error is None else None
                book.settle(request.id, legacy, response)  # also releases requests waiting
            # Checked after the awaits above: every mirror may have waited there, and only
            # the first to see all answers in hands the flight over (once, not per mirror).
            if len(flight.answers) == len(flight.targets) and not flight.handed_over:
                flight.handed_over = True
                await self._complete(flight)

    def _headers(self, request: Request, target: Target, length: int) -> CIMultiDict[str]:
        headers = request.forward_headers.copy()
        headers[self.options.shadow_header] = "1"
        if self.options.shadow_host_suffix and request.host:
            host, colon, port = request.host.partition(":")
            headers["Host"] = f"{host}-shadow{colon}{port}"
        if "Content-Length" in headers:
            headers["Content-Length"] = str(length)
        return headers

    async def _complete(self, flight: Flight) -> None:
        responses = [flight.answers[name] for name in flight.targets]
        if PRIMARY_TARGET not in flight.answers:
            legacy = await self._legacy_of(flight)
            responses.insert(0, legacy or Response(PRIMARY_TARGET, error="cancelled"))
        self.in_flight -= 1
        self._submit(flight.request, responses, tuple(flight.pairs))

    async def _legacy_of(self, flight: Flight) -> Response | None:
        """The legacy answer, once there is one; None if it never came."""
        if not flight.legacy.done():
            await asyncio.wait({flight.legacy}, timeout=self.options.legacy_timeout)
        return flight.legacy.result() if flight.legacy.done() else None

    def _submit(
        self, request: Request, responses: list[Response], pairs: tuple[Correlation, ...]
    ) -> None:
        exchange = Exchange(
            id=request.id,
            source=self.source,
            method=request.method,
            path=request.path,
            query=request.query,
            scheme=request.scheme,
            host=request.host,
            headers=request.headers,
            body=Body.of(request.body, self.options.max_body),
            responses=tuple(responses),
            session=request.session,
            ts=request.ts,
            correlations=pairs,
        )
        self.writer.submit(exchange)

    async def drain(self, grace: float) -> int:
        """Wait up to `grace` seconds for flights; cancel the rest (stored as `cancelled`)."""
        if self._calls.tasks:
            await asyncio.wait(set(self._calls.tasks), timeout=grace)
        late = len(self._calls)
        for task in list(self._calls.tasks):
            task.cancel()
        if self._calls.tasks:
            await asyncio.wait(set(self._calls.tasks))
        return late
