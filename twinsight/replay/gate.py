"""Causal order at run time: a request waits for the creates it depends on.

Two kinds of wait, both for requests of other sessions recorded earlier:
- uses: the request names an id or path the create handed out (`causal.CausalPlanner`);
- starts: a session's first request waits for the creates (that the recording shows
  succeed) still in flight when it is dispatched. A user's first call often depends on
  an account another session created, and nothing in the request names it (its
  credential is a keyed hash): recorded earlier, the create is replayed first. Once
  started, sessions run side by side.

Every wait is for a request dispatched earlier, and requests are dispatched in recorded
order, so waits cannot form a cycle; a create that fails still releases its waiters.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from twinsight.events import ReplaySummary
from twinsight.records import Exchange
from twinsight.store.ids import session_label

from .causal import CausalPlanner, Dependency, creates

__all__ = ["CausalGate"]

SHOWN_WAITS = 10  # session pairs named in the summary; the rest are counted


@dataclass
class _Create:
    session: str
    line: str  # "POST /accounts"
    done: asyncio.Event = field(default_factory=asyncio.Event)


class CausalGate:
    """Plans each dispatched request's waits, holds it until they are over, explains them."""

    def __init__(self, summary: ReplaySummary) -> None:
        self.summary = summary
        self._planner = CausalPlanner()
        self._creating: dict[str, _Create] = {}  # creates dispatched, not yet replayed
        self._waits: dict[str, list[str]] = {}  # recorded id -> the creates it waits for
        self._pairs: set[tuple[str, str]] = set()  # (session, creator's session) explained

    def plan(self, exchange: Exchange, session: str | None, *, first: bool) -> None:
        """Note what `exchange` (of `session`; `first`: its first request) waits for."""
        unit = session if session is not None else exchange.id
        needed = self._planner.see(exchange, session)
        if first:
            named = {d.creator for d in needed}
            line = f"{exchange.method} {exchange.path}"
            needed += [
                Dependency(exchange.id, unit, creator, made.session, "", made.line, line)
                # The latest first: the create closest to the start is named in the summary.
                for creator, made in reversed(self._creating.items())
                if made.session != unit and creator not in named
            ]
        if creates(exchange):
            self._creating[exchange.id] = _Create(unit, f"{exchange.method} {exchange.path}")
        if needed:
            self._waits[exchange.id] = [d.creator for d in needed]
            self._explain(needed)

    async def wait(self, recorded: Exchange) -> None:
        """Until every create `recorded` waits for has been replayed by every target."""
        for creator in self._waits.pop(recorded.id, ()):
            made = self._creating.get(creator)
            if made is not None:  # else replayed already
                await made.done.wait()

    def done(self, recorded: Exchange) -> None:
        """`recorded` was replayed (or never will be): release what waits for it."""
        made = self._creating.pop(recorded.id, None)
        if made is not None:
            made.done.set()

    def _explain(self, needed: list[Dependency]) -> None:
        summary = self.summary
        summary.waited += 1
        by_pair: dict[tuple[str, str], list[Dependency]] = {}
        for dependency in needed:
            by_pair.setdefault((dependency.session, dependency.creator_session), []).append(
                dependency
            )
        for pair, dependencies in by_pair.items():
            if pair in self._pairs:
                continue
            if dependencies[0].waiting != pair[0]:
                # A session waits again later; a request without one (its own id as its
                # session) never does: keeping its pairs would hold one per request.
                self._pairs.add(pair)
            if len(summary.waits) >= SHOWN_WAITS:
                summary.more_waits += 1
                continue
            line = dependencies[0].describe({s: session_label(s) for s in pair})
            more = len(dependencies) - 1
            summary.waits.append(line + (f" (and {more} more of its creates)" if more else ""))
