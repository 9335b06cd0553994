"""Capture completeness, measured: how much traffic was seen, sampled, mirrored, stored, dropped."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

__all__ = ["BEFORE_CAPTURE", "CaptureCounters", "lost"]

BEFORE_CAPTURE = frozenset({"dropped.write_not_mirrored"})
"""Drops decided before a request is sampled: never part of what was captured."""


class CaptureCounters:
    """Monotonic named counts, bumped on the event loop and read by the writer thread.

    Names used by producers: `served`, `sampled`, `mirrored`, `stored`, `duplicate` (an
    exchange the store already held), `started` and `closed` (the writer began, and shut
    down cleanly), `dropped.REASON` (e.g. `dropped.queue_full`, `dropped.store_backlog`,
    `dropped.store_error`, `dropped.store_unavailable`), `refused.REASON` (requests turned
    away before capture, e.g. `refused.request_form`, `refused.client_gone`), and
    `order_wait.done` / `order_wait.expired` (a mirror waited for its session's earlier
    call to the same target, and whether that call ended within the target's timeout).
    """

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def add(self, name: str, amount: int = 1) -> None:
        """Count `amount` more of `name`."""
        self._counts[name] += amount

    def __getitem__(self, name: str) -> int:
        return self._counts[name]

    def snapshot(self) -> dict[str, int]:
        """A copy of every count so far."""
        return dict(self._counts)


def lost(counts: Mapping[str, int]) -> int:
    """Captured exchanges neither stored nor counted as dropped, from one writer's counts.

    Every sampled request ends stored, already stored (`duplicate`) or dropped; the rest
    were in the writer's hands when it stopped writing (a hard kill). Writers that do not
    sample (replay, import) wait for the store rather than lose anything: 0."""
    if "sampled" not in counts:
        return 0
    dropped = sum(
        value
        for name, value in counts.items()
        if name.startswith("dropped.") and name not in BEFORE_CAPTURE
    )
    return max(
        0, counts["sampled"] - counts.get("stored", 0) - counts.get("duplicate", 0) - dropped
    )
