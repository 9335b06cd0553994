"""The replayer: recorded requests to every target, paced, one session at a time per session.

Requests of one session go out one after another (the next once every target
has answered the previous one); sessions run side by side, at most
`concurrency` requests in flight. Each request goes to all targets at once; for
targets other than the legacy, ids the legacy handed out earlier are rewritten
to that target's own (`twinsight.traffic.correlation`), waiting when the answer
that teaches a pair is still on its way. Every replayed request becomes a new
exchange (`source="replay"`, `origin` the recorded one, `run` this run), with what
was substituted or left out in it (`replay_degraded`: `twinsight.replay.restore`).

Order (`ReplayOptions.order`): `sessions` runs sessions independently; `causal` (the
default) also holds a request that uses what another session created, and a session's
first request, until the creates recorded before it have been replayed
(`twinsight.replay.gate`); `recorded` sends one request at a time in recorded order.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from multidict import CIMultiDict

from twinsight.events import ReplaySummary
from twinsight.records import Correlation, Exchange, Response
from twinsight.store import StoreWriter, new_id
from twinsight.traffic import Target, TaskSet
from twinsight.traffic.send import Books, Outgoing, send

from .credentials import Credentials
from .formats import Format
from .gate import CausalGate
from .outgoing import HeaderOverrides, outgoing_headers
from .pacing import Pacing
from .restore import LEFT_OUT, restore_body, restore_query
from .sessions import partition_of, session_of

__all__ = ["ORDERS", "Order", "ReplayOptions", "ReplayPlan", "Replayer"]

Order = Literal["causal", "recorded", "sessions"]
ORDERS: tuple[Order, ...] = ("causal", "recorded", "sessions")
_RECORDED = "recorded order"  # the one session every request joins under --order recorded


@dataclass(frozen=True)
class ReplayOptions:
    """How a run sends what it replays."""

    run: str
    pacing: Pacing = field(default_factory=Pacing)
    concurrency: int = 16
    correlate: bool = True
    headers: HeaderOverrides = field(default_factory=dict)
    max_body: int = 1 << 20
    sessions_by: str | None = None  # header:NAME or cookie:NAME; None: the recorded session
    partition: tuple[int, int] = (0, 1)  # (this worker, workers): sessions split by hash
    order: Order = "causal"
    order_note: str = ""  # why the order is not the one asked for (several workers)
    credentials: Credentials = field(default_factory=Credentials)


@dataclass(frozen=True)
class ReplayPlan:
    """What to replay, from where, and how."""

    options: ReplayOptions
    sources: tuple[Path, ...] = ()  # capture files or other stores; none: the output store
    format: Format | None = None
    filter: str | None = None
    timeout_s: float = 30.0


class Replayer:
    """Sends recorded exchanges to `targets` (the legacy first) and hands new ones to `writer`."""

    def __init__(
        self,
        targets: list[Target],
        writer: StoreWriter,
        options: ReplayOptions,
        *,
        done: frozenset[str] = frozenset(),
        accepts: Callable[[Exchange], bool] = lambda exchange: True,
    ) -> None:
        self.targets, self.writer, self.options = targets, writer, options
        self.done, self.accepts = done, accepts
        self.books = Books((t.name for t in targets), correlate=options.correlate)
        self.summary = ReplaySummary(
            options.run,
            options.pacing.describe(),
            order=options.order,
            order_note=options.order_note,
        )
        self._gate = CausalGate(self.summary) if options.order == "causal" else None
        self._slots = asyncio.Semaphore(options.concurrency)
        self._queues: dict[str, deque[Exchange]] = {}
        self._workers = TaskSet()
        self._sessions: set[str] = set()
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Send nothing more; requests in flight finish and are stored."""
        self._stop.set()

    async def run(self, recorded: Iterable[Exchange]) -> ReplaySummary:
        """Replay `recorded` (in recorded order) and wait for the last answer."""
        started = time.monotonic()
        first: datetime | None = None
        index = 0
        for exchange in recorded:
            if self._stop.is_set():
                self.summary.stopped = True
                break
            why_not = self._left_out(exchange)
            if why_not is None:
                first = first or exchange.ts  # the same in every worker: the rhythm holds
            mine, session = self._mine(exchange)
            if not mine:
                continue  # another worker's
            if why_not is not None:
                self.summary.left_out[why_not] += 1
                continue
            assert first is not None
            await self._wait_until(started + self.options.pacing.due(index, exchange.ts, first))
            index += 1
            await self._slots.acquire()
            self._plan(exchange, session)
            self._dispatch(exchange, _RECORDED if self.options.order == "recorded" else session)
        if self._workers.tasks:
            await asyncio.wait(set(self._workers.tasks))
        self.summary.duration_s = time.monotonic() - started
        self.summary.sessions = len(self._sessions)
        return self.summary

    def _plan(self, exchange: Exchange, session: str | None) -> None:
        """Count its session; under causal order, note the creates it waits for."""
        first = session is None or session not in self._sessions
        if session is not None:
            self._sessions.add(session)
        if self._gate is not None:
            self._gate.plan(exchange, session, first=first)

    def _left_out(self, exchange: Exchange) -> str | None:
        """Why `exchange` is not sent (a `ReplaySummary.left_out` key), or None."""
        if exchange.id in self.done:
            return "already_replayed"
        if exchange.body.truncated:
            return "body_cut"
        if not self.accepts(exchange):
            return "filtered_out"
        return None

    def _mine(self, exchange: Exchange) -> tuple[bool, str | None]:
        """(whether this worker replays `exchange`, its session)."""
        session = session_of(exchange, self.options.sessions_by)
        worker, workers = self.options.partition
        return partition_of(exchange, session, workers) == worker, session

    async def _wait_until(self, moment: float) -> None:
        delay = moment - time.monotonic()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)

    def _dispatch(self, exchange: Exchange, session: str | None) -> None:
        if session is None:
            self._workers.start(self._alone(exchange), name=f"replay {exchange.id}")
            return
        queue = self._queues.get(session)
        if queue is not None:
            queue.append(exchange)  # its worker is running and will get to it
            return
        self._queues[session] = deque([exchange])
        self._workers.start(self._session(session), name="replay session")

    async def _alone(self, exchange: Exchange) -> None:
        try:
            await self._in_order(exchange)
        finally:
            self._slots.release()

    async def _in_order(self, exchange: Exchange) -> None:
        try:
            if self._gate is not None:
                await self._gate.wait(exchange)
            await self.replay_one(exchange)
        finally:
            self._release(exchange)  # even when it failed: nobody waits forever

    def _release(self, exchange: Exchange) -> None:
        if self._gate is not None:
            self._gate.done(exchange)

    async def _session(self, session: str) -> None:
        queue = self._queues[session]
        try:
            while queue:
                try:
                    await self._in_order(queue[0])
                finally:
                    queue.popleft()
                    self._slots.release()
        finally:
            del self._queues[session]
            for item in queue:  # only when cancelled: give back the slots of what never went
                self._release(item)
                self._slots.release()

    async def replay_one(self, recorded: Exchange) -> Exchange:
        """Send one recorded request to every target; store and return the new exchange."""
        credentials = self.options.credentials
        notes: dict[str, dict[str, None]] = {}  # note -> the targets it holds for, in order

        def headers(target: Target, length: int) -> CIMultiDict[str]:
            chosen, found = outgoing_headers(
                recorded.headers,
                target.name,
                self.options.headers,
                run=self.options.run,
                known=credentials.for_target(target.name),
            )
            for note in found:
                notes.setdefault(note, {})[target.name] = None
            return chosen

        # Query and body are one for every target: restored from the common credentials.
        query, in_query = restore_query(recorded.query, credentials.common)
        body, in_body = restore_body(
            recorded.body.data, recorded.header("content-type"), credentials.common
        )
        request = Outgoing(recorded.id, recorded.method, recorded.path, query, body)
        sent_at = datetime.now(UTC)
        responses, pairs = await send(
            request, self.targets, self.books, headers, max_body=self.options.max_body
        )
        degraded = (*in_query, *in_body, *self._per_target(notes))
        exchange = replace(  # the recorded request as it was, with this run's answers
            recorded,
            id=new_id(),
            source="replay",
            responses=responses,
            ts=sent_at,
            correlations=pairs,
            origin=recorded.id,
            run=self.options.run,
            replay_degraded=degraded,
        )
        self._count(responses, pairs, degraded)
        while not self.writer.room_for(exchange):
            self.writer.raise_if_stuck()
            await asyncio.sleep(0.01)  # a replay waits for the store rather than dropping
        self.writer.submit(exchange)
        return exchange

    def _per_target(self, notes: dict[str, dict[str, None]]) -> list[str]:
        """Each note once; one that held for some targets only names them."""
        everyone = len(self.targets)
        return [
            note if len(targets) >= everyone else f"{note} (target {', '.join(targets)})"
            for note, targets in notes.items()
        ]

    def _count(
        self,
        responses: tuple[Response, ...],
        pairs: tuple[Correlation, ...],
        notes: tuple[str, ...],
    ) -> None:
        summary = self.summary
        summary.sent += 1
        summary.rewritten += bool(pairs)
        summary.redacted_headers += any(LEFT_OUT in note for note in notes)
        summary.degraded += bool(notes)
        summary.degraded_notes.update(_kind(note) for note in notes)
        for response in responses:
            if response.status is not None:
                summary.answered[response.target] += 1
                summary.statuses[(response.target, response.status)] += 1
            else:
                summary.errors[(response.target, response.error or "protocol")] += 1


def _kind(note: str) -> str:
    """A note without the token it names: what the summary counts."""
    head, marker, rest = note.partition("<redacted:")
    return head + (marker + "…>" + rest.partition(">")[2] if marker else "")
