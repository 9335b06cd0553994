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
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

__all__ = ["SessionOrder", "Turn", "wait_for_turns"]

Turn = asyncio.Future[None]
"""A mirror call the client has seen answered by the legacy; done once the call finishes."""

_Key = tuple[str, str]


class SessionOrder:
    """Per (session, target): the mirror calls still running whose legacy answer is in."""

    def __init__(self) -> None:
        self._running: dict[_Key, set[Turn]] = {}

    def __len__(self) -> int:
        return len(self._running)

    def before(self, session: str | None, target: str) -> tuple[Turn, ...]:
        """The calls a call of `session` to `target`, read now, must wait for (often none)."""
        if session is None:
            return ()
        running = self._running.get((session, target))
        return tuple(running) if running else ()

    def seen(self, session: str, target: str) -> Turn:
        """A call of `session` to `target`, still running, whose legacy answer just came."""
        turn: Turn = asyncio.get_running_loop().create_future()
        self._running.setdefault((session, target), set()).add(turn)
        return turn

    def finished(self, session: str, target: str, turn: Turn) -> None:
        """`turn`'s call is over (answer, error, timeout or cancelled): release its waiters."""
        if not turn.done():
            turn.set_result(None)
        key = (session, target)
        running = self._running.get(key)
        if running is not None:
            running.discard(turn)
            if not running:
                del self._running[key]  # bounded memory: no entry outlives its calls


async def wait_for_turns(turns: Collection[Turn], timeout: float) -> bool:
    """Wait until every call of `turns` is over, at most `timeout` s; whether they all were."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    # One at a time: most are over by the time their turn to be looked at comes, and
    # those cost no callback (a busy shared session may list many).
    for turn in turns:
        if not turn.done():
            await asyncio.wait((turn,), timeout=max(deadline - loop.time(), 0.0))
            if not turn.done():
                return False
    return True
