"""Capture completeness, measured: how much traffic was seen, sampled, mirrored, stored, dropped."""

from __future__ import annotations

from collections import Counter

__all__ = ["CaptureCounters"]


class CaptureCounters:
    """Monotonic named counts, bumped on the event loop and read by the writer thread.

    Names used by producers: `served`, `sampled`, `mirrored`, `stored`, and
    `dropped.REASON` (e.g. `dropped.queue_full`, `dropped.store_backlog`).
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
