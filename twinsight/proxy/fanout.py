"""Mirroring one request to every target at once, then handing the whole exchange to the store.

A `Flight` is one mirrored request: a task per target, started the moment the
request is read (never after the legacy answers, never one after another). The
task that finishes last waits for the legacy answer if need be and submits the
exchange. The number of flights is bounded; past the bound a request is not
mirrored and the drop is counted. Nothing here is on the client's path: the
proxy only starts a flight and later hands it the legacy answer.

Within one session (one keep-alive connection when the session is only the client's
address, see `Request.ordered_by`), a mirror call waits (at most its target's timeout) for the calls
to its target of the requests the legacy had already answered when it was read, so
each target sees them in the client's order (`ordering`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from multidict import CIMultiDict

from twinsight.config import CaptureSettings
from twinsight.records import PRIMARY_TARGET, Body, Correlation, Exchange, Headers, Response, Source
from twinsight.store import CaptureCounters, StoreWriter
from twinsight.traffic import Target, TaskSet
from twinsight.traffic.send import Books, Outgoing, Round
from twinsight.traffic.sessions import is_client_key

from .metrics import CaptureMetrics
from .ordering import Mark, SessionOrder, Turn, wait_for_turns

__all__ = ["Fanout", "Flight", "MirrorOptions", "Request"]


@dataclass(frozen=True)
class Request(Outgoing):
    """A request as read from the client, with the body read once for every target."""

    ts: datetime
    scheme: str
    host: str
    headers: Headers
    session: str | None
    forward_headers: CIMultiDict[str] = field(default_factory=CIMultiDict)
    # The client connection ("ADDRESS:PORT"), for ordering when the session is only the
    # client's address.
    connection: str | None = None

    @cached_property
    def ordered_by(self) -> str | None:
        """What this request's mirrors keep the client's order within: its session, or its
        connection when the session is only the client's address. Everyone behind one
        address (a NAT, a load balancer, a load generator) shares that session, and its
        calls would form one line: each waiting for the others, at the candidate's pace,
        until the mirror queue filled and the rest were dropped (measured: 99 of 11,463
        requests mirrored in 5 s from 50 connections of one address)."""
        if self.connection and is_client_key(self.session):
            return f"connection:{self.connection}"
        return self.session


@dataclass(frozen=True)
class MirrorOptions:
    """How mirrors are sent."""

    max_body: int = 1 << 20
    queue: int = 1000
    shadow_header: str = "X-Twinsight-Shadow"
    shadow_host_suffix: bool = False
    correlate: bool = True
    legacy_timeout: float = 60.0

    @classmethod
    def of(cls, capture: CaptureSettings) -> MirrorOptions:
        """The options the capture settings describe."""
        return cls(
            max_body=capture.max_body,
            queue=capture.mirror_queue,
            shadow_header=capture.shadow_header,
            shadow_host_suffix=capture.shadow_host_suffix,
            correlate=capture.correlate,
            legacy_timeout=capture.legacy_timeout_s,
        )


class Flight(Round):
    """One mirrored request in progress: the legacy answer and each mirror's, as they arrive."""

    def __init__(self, request: Request, books: Books, targets: tuple[str, ...]) -> None:
        super().__init__(request, books)
        self.request: Request = request
        self.targets = targets
        self.handed_over = False
        self.calling = set(targets)  # mirror calls not over yet
        self.turns: dict[str, Turn] = {}  # calls the client saw answered, while still running


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
        self.names = tuple(t.name for t in mirrors)  # every flight's targets, in order
        self.books = Books(self.names, correlate=options.correlate)
        self._calls = TaskSet()
        self.in_flight = 0  # flights not yet handed to the store
        self.order = SessionOrder()

    def start(self, request: Request) -> Flight | None:
        """Start mirroring `request` now; None (and a counted drop) when too many are in flight."""
        if self.in_flight >= self.options.queue:
            self.counters.add("dropped.queue_full")
            return None
        self.in_flight += 1
        self.counters.add("mirrored")
        flight = Flight(request, self.books, self.names)
        session = request.ordered_by
        for target in self.mirrors:
            # Decided now, in the order requests are read, not when the task first runs.
            before = self.order.before(session, target.name)
            self._calls.start(self._call(target, flight, before), name=f"mirror {target.name}")
        if session is not None:
            flight.legacy.add_done_callback(lambda _: self._seen(flight, session))
        return flight

    def _seen(self, flight: Flight, session: str) -> None:
        """The legacy answered `flight` (the client may act on it): later requests of its
        session wait for its mirror calls still running."""
        for name in flight.calling - {PRIMARY_TARGET}:
            flight.turns[name] = self.order.seen(session, name)

    def _over(self, flight: Flight, name: str) -> None:
        """`flight`'s call to `name` is over: release the calls waiting for it."""
        flight.calling.discard(name)
        turn = flight.turns.pop(name, None)
        session = flight.request.ordered_by
        if turn is not None and session is not None:
            self.order.finished(session, name, turn)

    async def _wait_turn(self, target: Target, before: Mark) -> None:
        """Wait for the session's earlier calls to `target`, at most its timeout."""
        in_time = await wait_for_turns(before, target.timeout)
        self.counters.add("order_wait.done" if in_time else "order_wait.expired")

    def take(self, captured: Request | None, *, mirrored: bool) -> Flight | Request | None:
        """A captured request's flight, started now; or, not `mirrored` (a write without
        --mirror-writes), the request itself, stored once the legacy answers (`answered`).
        None when nothing was captured or the flight was dropped."""
        if captured is None or not mirrored:
            return captured
        return self.start(captured)

    def answered(self, taken: Flight | Request | None, legacy: Response) -> None:
        """The legacy's answer to what `take` gave: to its flight, or stored with the request."""
        if isinstance(taken, Flight):
            taken.legacy_answered(legacy)
        elif taken is not None:
            self.record(taken, legacy)

    def record(self, request: Request, legacy: Response) -> None:
        """Store a request that is not mirrored (a write without --mirror-writes)."""
        self._submit(request, [legacy], ())

    async def _call(self, target: Target, flight: Flight, before: Mark | None) -> None:
        try:
            if before is not None:
                # Before the call: its latency (and timeout) start when it is sent.
                await self._wait_turn(target, before)
            response = await flight.send(
                target,
                lambda target, length: self._headers(flight.request, target, length),
                max_body=self.options.max_body,
                legacy_wait=self.options.legacy_timeout,
            )
            self.metrics.observe(response)
        finally:
            self._over(flight, target.name)
            # Runs when cancelled at shutdown too: the flight is stored with `cancelled`.
            cancelled = Response(target.name, error="cancelled", base_url=target.base_url)
            flight.answers.setdefault(target.name, cancelled)
            # Checked after the awaits of the call: every mirror may have waited there, and
            # only the first to see all answers in hands the flight over (once, not per mirror).
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
            legacy = await flight.legacy_answer(self.options.legacy_timeout)
            responses.insert(0, legacy or Response(PRIMARY_TARGET, error="cancelled"))
        self.in_flight -= 1
        self._submit(flight.request, responses, tuple(flight.correlations))

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
