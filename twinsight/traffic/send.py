"""One request to several targets at once, with each target's own ids put in.

Shared by the proxy's fan-out and the replayer: a `Round` is one request on its
way. Each target's call waits for the id and validator pairs its request needs
(`Books`), is sent with that target's headers (its own validators put in the
conditional ones), and always ends in a `Response` (a bug of ours becomes the
`protocol` error kind, never a lost exchange). The legacy's answer announces the
ids (of a create) and validators (of any success) it handed out to every book,
and each other target's answer settles them, which releases requests that wait
for those pairs.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from multidict import CIMultiDict

from twinsight.records import LEARNED_FROM_ANSWER, PRIMARY_TARGET, Correlation, Response

from .book import CorrelationBook
from .correlation import CREATING_METHODS, id_values, referenced
from .target import Target
from .validators import validator_keys

__all__ = ["Books", "HeadersFor", "Outgoing", "Round", "send"]

log = logging.getLogger(__name__)

HeadersFor = Callable[[Target, int], CIMultiDict[str]]
"""The headers of the request to one target, given the length of the body it is sent."""


@dataclass(frozen=True)
class Outgoing:
    """A request as it goes to every target, before each target's own ids are put in."""

    id: str
    method: str
    path: str
    query: str
    body: bytes


class Books:
    """The correlation books of one capture or run: one per target other than the legacy."""

    def __init__(self, targets: Iterable[str], *, correlate: bool) -> None:
        self.by_target = {
            name: CorrelationBook(name) for name in targets if correlate and name != PRIMARY_TARGET
        }

    def __bool__(self) -> bool:
        return bool(self.by_target)

    def __iter__(self) -> Iterator[CorrelationBook]:
        return iter(self.by_target.values())

    def get(self, target: str) -> CorrelationBook | None:
        """The book of `target`; None for the legacy or when ids are not correlated."""
        return self.by_target.get(target)


ANNOUNCE_MAX_BODY = 64 * 1024
"""Largest legacy answer whose ids are announced before the client has it (a 64 KiB JSON
body parses in about 1-2 ms here; creates rarely answer more)."""


class Round:
    """One request on its way to several targets: the legacy's answer once there is one,
    and the ids rewritten so far."""

    def __init__(self, request: Outgoing, books: Books) -> None:
        self.request, self.books = request, books
        self.legacy: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self.learns = request.method in CREATING_METHODS  # only they hand out new ids
        self.correlations: list[Correlation] = []
        self.answers: dict[str, Response] = {}  # by target, as they come
        # Targets whose book settled this request already (a dead one refuses at once):
        # the legacy's later answer announces nothing to them, or none would release it.
        self.settled: set[str] = set()

    def legacy_answered(self, legacy: Response) -> None:
        """The legacy's answer: the ids it hands out are pending in every book until the
        other target answers too (in none whose target settled already: nothing would
        release them); the first answer counts, later ones are ignored. Never raises."""
        if self.legacy.done():
            return
        try:
            if self.books:
                self._announce(legacy)
        except Exception:  # runs on the client's path: a bug of ours must not fail the client
            log.exception("announcing the legacy's answer to %s failed", self.request.id)
        finally:  # the other targets' calls wait for it, whatever happened above
            self.legacy.set_result(legacy)

    def _announce(self, legacy: Response) -> None:
        # On the client's path: a large answer (stored or decoded) is not parsed here
        # (~30 ms a MiB). Its ids are still learned once the other target answers; a
        # request naming one before then is not held back for it.
        small = len(legacy.body.data) <= ANNOUNCE_MAX_BODY
        ids = id_values(legacy, limit=ANNOUNCE_MAX_BODY) if self.learns and small else set()
        validators = validator_keys(legacy)  # any method: a GET's ETag is sent back later
        for name, book in self.books.by_target.items():
            if name not in self.settled:
                book.announce(self.request.id, ids, validators, path=self.request.path)

    @functools.cached_property
    def sent(self) -> frozenset[str]:
        """What the request named: an answer echoing it hands out no new id."""
        request = self.request
        return frozenset(referenced(request.path, request.query, request.body))

    async def legacy_answer(self, wait: float | None = None) -> Response | None:
        """The legacy's answer once there is one (waiting at most `wait` s); None if none came."""
        if not self.legacy.done():
            await asyncio.wait({self.legacy}, timeout=wait)
        return self.legacy.result() if self.legacy.done() else None

    async def send(
        self,
        target: Target,
        headers: HeadersFor,
        *,
        max_body: int,
        legacy_wait: float | None = None,
    ) -> Response:
        """Call `target` with its own ids and headers; its answer, or the error kind it came
        to (also in `answers`, where a cancelled call leaves `cancelled`)."""
        request, book = self.request, self.books.get(target.name)
        response = Response(target.name, error="cancelled", base_url=target.base_url)
        try:
            path, query, body, outgoing = await self._prepare(target, book, headers)
            response = await target.call(
                request.method, path, query, outgoing, body, max_body=max_body
            )
        except Exception:  # a bug of ours must not lose the exchange: it is stored as an error
            log.exception("call to %s failed", target.name)
            response = Response(target.name, error="protocol", base_url=target.base_url)
        finally:
            # Runs when cancelled too: the answer is kept, and no request waits for this
            # answer's pairs.
            self.answers[target.name] = response
            if target.name == PRIMARY_TARGET:
                self.legacy_answered(response)
            if book is not None:
                await self._settle(target.name, book, response, legacy_wait)
        return response

    async def _settle(
        self, name: str, book: CorrelationBook, response: Response, legacy_wait: float | None
    ) -> None:
        """Learn from `name`'s answer and the legacy's (waited for, unless `response` failed)
        and release the requests waiting for its pairs: always, even when cancelled."""
        legacy = None
        try:
            legacy = await self.legacy_answer(legacy_wait) if response.error is None else None
        finally:
            self.settled.add(name)
            # Releases waiters too; ids come from creates only, validators from any answer.
            request = self.request
            learned = book.settle(
                request.id,
                legacy,
                response,
                learn_ids=self.learns,
                # Only learning ids reads what was sent: a GET's path and query go unparsed.
                sent=self.sent if self.learns else frozenset(),
                path=request.path,
            )
            # Kept with the exchange that handed the ids out, so analysis knows the pair
            # even when no later request names it.
            self.correlations.extend(
                Correlation(name, str(mine), str(theirs), LEARNED_FROM_ANSWER)
                for mine, theirs in learned.items()
            )

    async def _prepare(
        self, target: Target, book: CorrelationBook | None, headers: HeadersFor
    ) -> tuple[str, str, bytes, CIMultiDict[str]]:
        """The path, query, body and headers of the request to `target`, with its own ids and
        validators put in once their pairs are known (waiting at most its timeout in all)."""
        request = self.request
        path, query, body = request.path, request.query, request.body
        if book is None:
            return path, query, body, headers(target, len(body))
        deadline = asyncio.get_running_loop().time() + target.timeout
        rewritten = await book.rewrite(
            path, query, body, wait=target.timeout, exchange_id=request.id
        )
        self.correlations.extend(rewritten.correlations)
        left = max(deadline - asyncio.get_running_loop().time(), 0.0)
        # Validators are looked up by the path as the client sent it: the legacy's.
        outgoing, found = await book.rewrite_headers(
            headers(target, len(rewritten.body)), wait=left, path=path, exchange_id=request.id
        )
        self.correlations.extend(found)
        return rewritten.path, rewritten.query, rewritten.body, outgoing


async def send(
    request: Outgoing,
    targets: Sequence[Target],
    books: Books,
    headers: HeadersFor,
    *,
    max_body: int,
) -> tuple[tuple[Response, ...], tuple[Correlation, ...]]:
    """`request` to every target at once: their answers in `targets`' order, and the ids
    rewritten on the way."""
    trip = Round(request, books)
    calls = [trip.send(target, headers, max_body=max_body) for target in targets]
    responses = tuple(await asyncio.gather(*calls))
    return responses, tuple(trip.correlations)
