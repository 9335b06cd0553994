"""The replayer: recorded requests to every target, paced, one session at a time per session.

Requests of one session go out one after another (the next once every target
has answered the previous one); sessions run side by side, at most
`concurrency` requests in flight. Each request goes to all targets at once; for
targets other than the legacy, ids the legacy handed out earlier are rewritten
to that target's own (`twinsight.traffic.correlation`), waiting when the answer
that teaches a pair is still on its way. Every replayed request becomes a new
exchange (`source="replay"`, `origin` the recorded one, `run` this run).
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

from multidict import CIMultiDict

from twinsight.events import ReplaySummary
from twinsight.records import Correlation, Exchange, Response
from twinsight.store import StoreWriter, new_id
from twinsight.traffic import Target, TaskSet
from twinsight.traffic.send import Books, Outgoing, send

from .formats import Format
from .outgoing import HeaderOverrides, outgoing_headers
from .pacing import Pacing
from .sessions import partition_of, session_of

__all__ = ["ReplayOptions", "ReplayPlan", "Replayer"]


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
        self.summary = ReplaySummary(options.run, options.pacing.describe())
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
            self._dispatch(exchange, session)
        if self._workers.tasks:
            await asyncio.wait(set(self._workers.tasks))
        self.summary.duration_s = time.monotonic() - started
        self.summary.sessions = len(self._sessions)
        return self.summary

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
        self._sessions.add(session)
        queue = self._queues.get(session)
        if queue is not None:
            queue.append(exchange)  # its worker is running and will get to it
            return
        self._queues[session] = deque([exchange])
        self._workers.start(self._session(session), name="replay session")

    async def _alone(self, exchange: Exchange) -> None:
        try:
            await self.replay_one(exchange)
        finally:
            self._slots.release()

    async def _session(self, session: str) -> None:
        queue = self._queues[session]
        try:
            while queue:
                try:
                    await self.replay_one(queue[0])
                finally:
                    queue.popleft()
                    self._slots.release()
        finally:
            del self._queues[session]
            for _ in queue:  # only when cancelled: give back the slots of what never went
                self._slots.release()

    async def replay_one(self, recorded: Exchange) -> Exchange:
        """Send one recorded request to every target; store and return the new exchange."""
        redacted: list[bool] = []

        def headers(target: Target, length: int) -> CIMultiDict[str]:
            chosen, left_out = outgoing_headers(
                recorded.headers, target.name, self.options.headers, run=self.options.run
            )
            redacted.append(left_out)
            return chosen

        request = Outgoing(
            recorded.id, recorded.method, recorded.path, recorded.query, recorded.body.data
        )
        sent_at = datetime.now(UTC)
        responses, pairs = await send(
            request, self.targets, self.books, headers, max_body=self.options.max_body
        )
        exchange = replace(  # the recorded request as it was, with this run's answers
            recorded,
            id=new_id(),
            source="replay",
            responses=responses,
            ts=sent_at,
            correlations=pairs,
            origin=recorded.id,
            run=self.options.run,
        )
        self._count(responses, pairs, any(redacted))
        while not self.writer.room_for(exchange):
            self.writer.raise_if_stuck()
            await asyncio.sleep(0.01)  # a replay waits for the store rather than dropping
        self.writer.submit(exchange)
        return exchange

    def _count(
        self, responses: tuple[Response, ...], pairs: tuple[Correlation, ...], redacted: bool
    ) -> None:
        summary = self.summary
        summary.sent += 1
        summary.rewritten += bool(pairs)
        summary.redacted_headers += redacted
        for response in responses:
            if response.status is not None:
                summary.answered[response.target] += 1
                summary.statuses[(response.target, response.status)] += 1
            else:
                summary.errors[(response.target, response.error or "protocol")] += 1
