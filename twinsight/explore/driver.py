"""Sending explored requests to both targets and recording them: the I/O edge of explore.

Hypothesis calls test functions synchronously, so the driver owns an event loop on a
thread of its own and every call waits for its coroutine there: asyncio.run is never
nested in a running loop. Requests go out as the proxy's fan-out sends them
(`twinsight.traffic.send`): the correlation books carry each id the legacy hands
out over to the candidate's own. Every judged request becomes an exchange with
`source = "explore"`; whether its two answers diverge is for the injected classifier
(analysis, given by the command) to say.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

from multidict import CIMultiDict
from yarl import URL

from twinsight.records import PRIMARY_TARGET, Body, Exchange, Headers, Response
from twinsight.store import StoreWriter, new_id
from twinsight.traffic import Target
from twinsight.traffic.send import Books, Outgoing, send

from .reset import Reset

__all__ = [
    "EXPLORE_HEADER",
    "POOL",
    "Classify",
    "Driver",
    "Outcome",
    "Step",
    "Verdict",
    "created_id",
    "created_path",
]

EXPLORE_HEADER = "X-Twinsight-Explore"
POOL = 8
"""Connections to each target: the most requests explore sends at once (a batch of the
parallel-equals-sequential property); a request beyond it would wait for one."""
CANDIDATE = "candidate"
_T = TypeVar("_T")


@dataclass(frozen=True)
class Step:
    """One generated request: a JSON body (None: no body) and a raw query string."""

    method: str
    path: str
    query: str = ""
    body: Any = None
    has_body: bool = False

    @property
    def payload(self) -> bytes:
        """The body as sent: compact JSON, UTF-8, non-ASCII kept as is."""
        if not self.has_body:
            return b""
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()

    def headers(self, extra: Sequence[tuple[str, str]], run: str) -> Headers:
        """The request headers: `extra` (from --header), a JSON content type, the run."""
        found = list(extra)
        if self.has_body:
            found.append(("Content-Type", "application/json"))
        found.append((EXPLORE_HEADER, run))
        return tuple(found)


class Verdict(NamedTuple):
    """How analysis classes a pair of answers, and why."""

    classification: str
    reason: str


Classify = Callable[[Step, Headers, Response, Response], Verdict]
"""(the request, its headers, the legacy's answer, the candidate's) -> the verdict."""


@dataclass(frozen=True)
class Outcome:
    """One step sent: the two answers and the verdict on them."""

    step: Step
    legacy: Response
    candidate: Response
    verdict: Verdict
    exchange_id: str = ""


def created_id(response: Response) -> str | None:
    """The id a create handed out: the body's `id`, else the `Location` header's last
    segment; None when it failed."""
    if response.status is None or not 200 <= response.status < 300:
        return None
    try:
        body = json.loads(response.body.data)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("id"), str | int):
        return str(body["id"])
    location = response.header("location")
    return location.rstrip("/").rsplit("/", 1)[-1] if location else None


def created_path(collection: str, response: Response) -> str | None:
    """Where a create's answer says the new resource lives: its `Location` header's path,
    else the collection's path and the new id; None when it created nothing."""
    made = created_id(response)
    if made is None:
        return None
    location = response.header("location")
    return URL(location).path if location else f"{collection.rstrip('/')}/{made}"


class Driver:
    """Both targets, the correlation books, the store writer (if any) and a loop thread."""

    def __init__(
        self,
        urls: tuple[str, str],
        classify: Classify,
        *,
        headers: Sequence[tuple[str, str]] = (),
        writer: StoreWriter | None = None,
        run: str = "explore",
        timeout: float = 10.0,
        max_body: int = 1 << 20,
        reset: Reset | None = None,
    ) -> None:
        self.targets = [
            Target(PRIMARY_TARGET, URL(urls[0]), timeout),
            Target(CANDIDATE, URL(urls[1]), timeout),
        ]
        self.classify, self.extra, self.writer, self.run = classify, headers, writer, run
        self.max_body, self.resets = max_body, reset
        self.books = Books((t.name for t in self.targets), correlate=True)
        self.sent = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> Driver:
        self._thread.start()
        self.wait(self._open())
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self.wait(self._close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    async def _open(self) -> None:
        # Books hold futures of this loop: they are made on it.
        self.books = Books((t.name for t in self.targets), correlate=True)
        for target in self.targets:
            await target.open(pool=POOL)

    async def _close(self) -> None:
        for target in self.targets:
            await target.close()

    def wait(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """Run `coroutine` on the driver's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def exchange(self, step: Step, session: str) -> Outcome:
        """Send `step` to both targets, judge the answers and record the exchange."""
        return self.exchanges([step], session)[0]

    def exchanges(self, steps: Sequence[Step], session: str, *, parallel: int = 1) -> list[Outcome]:
        """Send `steps` (up to `parallel` at once, else in order), judge and record each."""
        if parallel > 1:
            slots = asyncio.Semaphore(parallel)

            async def bounded(step: Step, headers: Headers) -> Exchange:
                async with slots:
                    return await self._send(step, headers, session)

            async def together() -> list[Exchange]:
                sent = [bounded(s, s.headers(self.extra, self.run)) for s in steps]
                return list(await asyncio.gather(*sent))

            exchanges = self.wait(together())
        else:
            exchanges = [
                self.wait(self._send(s, s.headers(self.extra, self.run), session)) for s in steps
            ]
        return [
            self._judged(step, exchange) for step, exchange in zip(steps, exchanges, strict=True)
        ]

    def _judged(self, step: Step, exchange: Exchange) -> Outcome:
        legacy, candidate = exchange.responses
        verdict = self.classify(step, exchange.headers, legacy, candidate)
        if self.writer is not None:
            self.writer.put(exchange)
        self.sent += 1
        return Outcome(step, legacy, candidate, verdict, exchange.id)

    def reset(self) -> None:
        """Bring both targets back to a known state as the config says (nothing if it does
        not say how); the correlation books start afresh, since the ids they paired are gone."""
        reset = self.resets
        if reset is None:
            return
        headers = CIMultiDict(Step("POST", "/").headers(self.extra, self.run))

        async def afresh() -> None:
            await reset.run(self.targets, headers)
            self.books = Books((t.name for t in self.targets), correlate=True)

        self.wait(afresh())

    def undo(self, outcome: Outcome) -> None:
        """Delete on each target what `outcome`'s create made there, at the path its own
        answer names, unrecorded: a create only one target accepted (a divergence) is gone
        on that one too, so no later list shows it."""
        headers = CIMultiDict(Step("DELETE", "/").headers(self.extra, self.run))

        async def delete() -> None:
            for target, answer in zip(
                self.targets, (outcome.legacy, outcome.candidate), strict=True
            ):
                path = created_path(outcome.step.path, answer)
                if path is not None:
                    await target.call("DELETE", path, "", headers, b"", max_body=0)

        self.wait(delete())

    async def _send(self, step: Step, headers: Headers, session: str | None) -> Exchange:
        body = step.payload
        request = Outgoing(new_id(), step.method, step.path, step.query, body)

        def outgoing(target: Target, length: int) -> CIMultiDict[str]:
            return CIMultiDict(headers)

        sent_at = datetime.now(UTC)
        responses, pairs = await send(
            request, self.targets, self.books, outgoing, max_body=self.max_body
        )
        return Exchange(
            id=request.id,
            source="explore",
            method=step.method,
            path=step.path,
            query=step.query,
            headers=headers,
            body=Body.of(body, self.max_body),
            responses=responses,
            session=session,
            ts=sent_at,
            correlations=pairs,
            run=self.run,
        )
