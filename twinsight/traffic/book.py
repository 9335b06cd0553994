"""The correlation book of one target: pairs learned so far, and the waiting.

A request naming an id or validator whose pair is still in flight (the legacy answered,
this target not yet) waits for it, at most its target's timeout. Pure learning and
rewriting live in `correlation` and `validators`; this adds the state and the futures.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping, Set
from typing import Any

from multidict import CIMultiDict

from twinsight.records import Correlation, Response

from .correlation import Rewritten, learn_pairs, referenced, rewrite_request
from .validators import learn_validators, needed_validators, rewrite_conditional

__all__ = ["CorrelationBook"]

log = logging.getLogger(__name__)

_Resource = tuple[str, str]  # (path, legacy validator): see `CorrelationBook.validators`


class CorrelationBook:
    """The pairs learned so far for one target (ids, and validators apart), and values whose
    pair is still on its way.

    Validator pairs belong to a resource: keyed by (the path the legacy answered with the
    validator, as the client sent it, without query; the validator). An ETag `"1"` (a
    version counter) or a Last-Modified to the second is shared by many resources, and
    task 17's `"1"` must not become task 18's tag.

    Bounded: the oldest pairs of each kind are forgotten past `max_pairs`. Runs on one
    event loop.
    """

    def __init__(self, target: str, *, max_pairs: int = 100_000) -> None:
        self.target, self.max_pairs = target, max_pairs
        self.pairs: OrderedDict[str, Any] = OrderedDict()
        self.validators: OrderedDict[_Resource, str] = OrderedDict()  # see `validators`
        self._pending: dict[str, asyncio.Future[None]] = {}
        self._pending_validators: dict[_Resource, asyncio.Future[None]] = {}
        self._announced: dict[str, list[tuple[dict[Any, asyncio.Future[None]], Any]]] = {}

    def announce(
        self,
        exchange_id: str,
        ids: set[str],
        validators: Set[str] = frozenset(),
        *,
        path: str = "",
    ) -> None:
        """The legacy answered `exchange_id` (for `path`) with `ids` (`id_values`) and
        `validators` (`validators.validator_keys`): pending until `settle`."""
        held: list[tuple[dict[Any, asyncio.Future[None]], Any]] = [
            (self._pending, v) for v in ids if v not in self.pairs and v not in self._pending
        ]
        tags = ((path, v) for v in validators)
        held += [
            (self._pending_validators, key)
            for key in tags
            if key not in self.validators and key not in self._pending_validators
        ]
        if not held:
            return
        loop = asyncio.get_running_loop()
        for pending, value in held:
            pending[value] = loop.create_future()
        self._announced[exchange_id] = held

    def _own(self, exchange_id: str) -> set[asyncio.Future[None]]:
        """The futures `exchange_id`'s own announcement holds."""
        held = self._announced.get(exchange_id, ())
        return {pending[value] for pending, value in held if value in pending}

    def settle(
        self,
        exchange_id: str,
        legacy: Response | None,
        other: Response | None,
        *,
        learn_ids: bool = True,
        sent: Set[str] = frozenset(),
        path: str = "",
    ) -> dict[str, Any]:
        """Learn from the two answers to `exchange_id` (None: no answer) and release waiters;
        the id pairs the book did not hold yet (or held otherwise). Ids are learned only
        with `learn_ids` (answers to creates), and not from echoes of `sent` (`learn_pairs`);
        validators from any two successful answers, for `path` (the request's)."""
        learned: dict[str, Any] = {}
        if legacy is not None and other is not None:
            learned = learn_pairs(legacy, other, sent) if learn_ids else {}
            tags = learn_validators(legacy, other)
            _remember(self.validators, {(path, k): v for k, v in tags.items()}, self.max_pairs)
        fresh = {v: m for v, m in learned.items() if v not in self.pairs or self.pairs[v] != m}
        _remember(self.pairs, learned, self.max_pairs)
        for pending, value in self._announced.pop(exchange_id, []):
            future = pending.pop(value, None)
            if future is not None and not future.done():
                future.set_result(None)
        return fresh

    async def rewrite(
        self, path: str, query: str, body: bytes, *, wait: float, exchange_id: str = ""
    ) -> Rewritten:
        """Wait (at most `wait` seconds) for pairs this request needs, then rewrite it.
        Pairs its own exchange (`exchange_id`) announced are not waited for: only this very
        call would settle them (a PUT naming the id it creates)."""
        if self._pending:  # else there is nothing to wait for: skip parsing the request
            needed = referenced(path, query, body)
            await _wait_for(needed, self._pending, wait, self._own(exchange_id))
        return rewrite_request(self.target, path, query, body, self.pairs)

    async def rewrite_headers(
        self, headers: CIMultiDict[str], *, wait: float, path: str = "", exchange_id: str = ""
    ) -> tuple[CIMultiDict[str], tuple[Correlation, ...]]:
        """Wait (at most `wait` seconds) for validator pairs the conditional headers need
        for `path` (as the client sent it; not those its own exchange announced), then put
        this target's validators in (`validators.rewrite_conditional`)."""
        needed = needed_validators(headers)
        keys = {(path, key) for key in needed}
        if self._pending_validators:
            await _wait_for(keys, self._pending_validators, wait, self._own(exchange_id))
        pairs = {key: self.validators[(p, key)] for p, key in keys if (p, key) in self.validators}
        rewritten, found = rewrite_conditional(self.target, headers, pairs)
        if needed and not found:
            # Sent as is: the legacy's validator was never seen with an answer of this
            # target (an earlier capture, a failed answer), so the target will likely not
            # match it; the exchange shows that difference, which is real.
            log.debug("no %s validator for %s", self.target, sorted(needed))
        return rewritten, found


def _remember(book: OrderedDict[Any, Any], learned: Mapping[Any, Any], bound: int) -> None:
    for value, mapped in learned.items():
        book[value] = mapped
        book.move_to_end(value)
    while len(book) > bound:
        book.popitem(last=False)


async def _wait_for(
    needed: Set[Any],
    pending: Mapping[Any, asyncio.Future[None]],
    wait: float,
    own: Set[asyncio.Future[None]] = frozenset(),
) -> None:
    waiting = [pending[v] for v in needed if v in pending and pending[v] not in own]
    if waiting:
        await asyncio.wait(waiting, timeout=wait)
