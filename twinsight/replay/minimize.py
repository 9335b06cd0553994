"""`--minimize`: the smallest request that still diverges, found greedily within bounds.

The loop asks an injected predicate (`still_diverges`: send to both targets and
compare; built by the caller, so that replay needs no analysis) about the
candidates of `twinsight.replay.shrink`, accepts the first smaller request that
still diverges and starts over from it, until no candidate does or a bound is
hit. A family of candidates (a string's prefixes, a number's smaller values) is
tried at its smallest and then bisected, assuming that a longer prefix diverges
whenever a shorter one does: "é" * 200 reaches "é" * 128 in a handful of tries.

No request is asked about twice (answers are remembered), so a write never goes
twice with the same content to a target; without `allow_writes` writes are not
sent at all.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .shrink import Family, Request, families, size

__all__ = ["NOT_WRITES", "Minimized", "StillDiverges", "minimize"]

StillDiverges = Callable[[Request], Awaitable[bool]]
"""Whether a candidate request still shows the divergence (it is sent to every target)."""

NOT_WRITES = "writes are not re-sent without --minimize-writes"
NOT_REPRODUCED = "the example does not diverge on the live targets"
NONE_SMALLER = "no smaller request still diverges"
STEP_BOUND = "step bound reached"
TIME_BOUND = "time bound reached"


@dataclass(frozen=True)
class Minimized:
    """The outcome: the smallest request found and how the search went."""

    original: Request
    request: Request
    steps: int  # requests asked about (each sent once to every target)
    accepted: list[str]  # what each accepted step took away, in order
    reason: str  # why the search stopped

    @property
    def reproduced(self) -> bool:
        """Whether the example diverged on the live targets at all."""
        return self.reason not in (NOT_WRITES, NOT_REPRODUCED)


class _Search:
    """The bounded state of one minimization: remembered answers, steps, time."""

    def __init__(self, still_diverges: StillDiverges, max_steps: int, max_seconds: float) -> None:
        self.still_diverges, self.max_steps = still_diverges, max_steps
        self.deadline = time.monotonic() + max_seconds
        self.answers: dict[Request, bool] = {}

    @property
    def bound(self) -> str | None:
        """Which bound stops the search, if one does."""
        if len(self.answers) >= self.max_steps:
            return STEP_BOUND
        if time.monotonic() >= self.deadline:
            return TIME_BOUND
        return None

    async def diverges(self, request: Request) -> bool | None:
        """The predicate's answer, asked once per request; None when a bound stops it."""
        if request in self.answers:
            return self.answers[request]
        if self.bound is not None:
            return None
        answer = self.answers[request] = await self.still_diverges(request)
        return answer

    async def smallest(self, family: Family, current: Request) -> Request | None:
        """The smallest member of `family` that still diverges: k = 0, else (when the largest
        smaller member still diverges) a bisection; None when none does or a bound stops it."""
        ceiling = size(current)
        first: Request = family.build(0)
        if size(first) < ceiling and await self.diverges(first):
            return first  # the most aggressive member: nothing smaller to look for
        if family.above <= 1:
            return None
        # The next smaller first: when even it no longer diverges, no smaller one does,
        # which saves a whole bisection once a value is already at its minimum.
        nearest: Request = family.build(family.above - 1)
        if size(nearest) >= ceiling or not await self.diverges(nearest):
            return None
        low, high, best = 1, family.above - 1, None
        while low < high:
            middle = (low + high) // 2
            candidate: Request = family.build(middle)
            answer = await self.diverges(candidate) if size(candidate) < ceiling else False
            if answer is None:
                break
            if answer:
                high, best = middle, candidate
            else:
                low = middle + 1
        return best if best is not None else nearest


async def minimize(
    request: Request,
    still_diverges: StillDiverges,
    *,
    max_steps: int = 200,
    max_seconds: float = 60.0,
    allow_writes: bool = False,
) -> Minimized:
    """Shrink `request` while `still_diverges` holds, asking it about at most `max_steps`
    requests (the original first) within about `max_seconds` (a request in flight is let
    finish). A write (POST, PUT, PATCH, DELETE) is returned unchanged unless `allow_writes`."""
    if request.is_write and not allow_writes:
        return Minimized(request, request, 0, [], NOT_WRITES)
    search = _Search(still_diverges, max_steps, max_seconds)
    reproduced = await search.diverges(request)
    if not reproduced:
        reason = NOT_REPRODUCED if reproduced is False else search.bound or STEP_BOUND
        return Minimized(request, request, len(search.answers), [], reason)
    current, accepted = request, []
    while True:
        for family in families(current):
            found = await search.smallest(family, current)
            if found is not None:
                current = found
                accepted.append(family.what)
                break
            if search.bound is not None:
                return Minimized(request, current, len(search.answers), accepted, search.bound)
        else:
            return Minimized(request, current, len(search.answers), accepted, NONE_SMALLER)
