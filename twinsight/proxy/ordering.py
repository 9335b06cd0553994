"""Mirrors of one session reach each target in the order the client could see.

A client that sends request N+1 after it got the answer to N may depend on N's
effect (a PATCH, then a GET of the same record). The legacy saw them in that
order; a slower candidate must too, or it answers the GET with the old state and
is blamed for our reordering. So a mirror call of session S to target T waits for
the calls of S to T whose legacy answer was in when its own request was read.

Calls the legacy had not answered yet were concurrent at the client (it had no
answer to wait for), so they are not waited for: parallel requests of one session,
or the many clients sharing the fallback session of one address (behind a NAT or a
load balancer), are never put in a line. A wait lasts at most the target's
timeout, then the call goes anyway. Nothing here is on the client's path: only
mirror tasks wait. A session's entry is dropped as soon as its last call finishes.

Each call costs O(log n) in the calls running for its session: a call marks the
last turn handed out when it was read and waits until every turn up to that mark is
over. (A tuple of the running turns per call, waited for one by one, cost O(n): all
of a load generator's connections share one address, so one fallback session, and
with ~1,000 mirrors in flight the proxy slowed down as it went.)
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["Mark", "SessionOrder", "Turn", "wait_for_turns"]

Turn = int
"""A mirror call the client has seen answered by the legacy, numbered as they are seen."""

_Key = tuple[str, str]


@dataclass
class _Line:
    """One (session, target): its running turns, and the calls waiting for some of them."""

    running: set[Turn] = field(default_factory=set)
    oldest: list[Turn] = field(default_factory=list)  # a heap; finished turns left lazily
    waiting: list[tuple[Turn, int, asyncio.Future[None]]] = field(default_factory=list)

    def first_running(self) -> Turn | None:
        """The oldest turn still running, or None."""
        while self.oldest and self.oldest[0] not in self.running:
            heapq.heappop(self.oldest)
        return self.oldest[0] if self.oldest else None

    def release(self) -> None:
        """Let go the waiters whose turns are all over."""
        first = self.first_running()
        while self.waiting and (first is None or self.waiting[0][0] < first):
            _, _, waiter = heapq.heappop(self.waiting)
            if not waiter.done():
                waiter.set_result(None)


class Mark(NamedTuple):
    """What one call waits for: every turn of `line` up to `upto`."""

    line: _Line
    upto: Turn

    def passed(self) -> bool:
        """Whether every turn up to the mark is over."""
        first = self.line.first_running()
        return first is None or first > self.upto


class SessionOrder:
    """Per (session, target): the mirror calls still running whose legacy answer is in."""

    def __init__(self) -> None:
        self._lines: dict[_Key, _Line] = {}
        self._turns = itertools.count(1)
        self._last: Turn = 0

    def __len__(self) -> int:
        return len(self._lines)

    def before(self, session: str | None, target: str) -> Mark | None:
        """What a call of `session` to `target`, read now, must wait for (often nothing)."""
        if session is None:
            return None
        line = self._lines.get((session, target))
        if line is None or not line.running:
            return None
        return Mark(line, self._last)

    def seen(self, session: str, target: str) -> Turn:
        """A call of `session` to `target`, still running, whose legacy answer just came."""
        turn = self._last = next(self._turns)
        line = self._lines.setdefault((session, target), _Line())
        line.running.add(turn)
        heapq.heappush(line.oldest, turn)
        return turn

    def finished(self, session: str, target: str, turn: Turn) -> None:
        """`turn`'s call is over (answer, error, timeout or cancelled): release its waiters."""
        key = (session, target)
        line = self._lines.get(key)
        if line is None:
            return
        line.running.discard(turn)
        line.release()
        if not line.running and not line.waiting:
            del self._lines[key]  # bounded memory: no entry outlives its calls


_waiters = itertools.count()


async def wait_for_turns(mark: Mark, timeout: float) -> bool:
    """Wait until every call up to `mark` is over, at most `timeout` s; whether they all were."""
    if mark.passed():
        return True
    waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    heapq.heappush(mark.line.waiting, (mark.upto, next(_waiters), waiter))
    await asyncio.wait((waiter,), timeout=timeout)
    return waiter.done()
