"""The writer's backlog: exchanges handed over and not yet written, bounded in count and bytes."""

from __future__ import annotations

import threading
from collections import deque

from twinsight.records import Exchange

__all__ = ["Backlog", "exchange_size"]


def exchange_size(exchange: Exchange) -> int:
    """Body bytes an exchange holds in memory: its request's and its responses'."""
    return len(exchange.body.data) + sum(len(r.body.data) for r in exchange.responses)


class Backlog:
    """A queue shared by submitters and one writer; what a flush took still counts until it
    is written or given back, so the bounds hold while a batch is in flight."""

    def __init__(self, max_exchanges: int, max_bytes: int) -> None:
        self.max_exchanges, self.max_bytes = max_exchanges, max_bytes
        self._queue: deque[Exchange] = deque()
        self._bytes = 0
        self._taken, self._taken_bytes = 0, 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, exchange: Exchange) -> bool:
        """Queue `exchange` if there is room; whether it was queued."""
        size = exchange_size(exchange)
        with self._lock:
            if not self._room(size):
                return False
            self._queue.append(exchange)
            self._bytes += size
        return True

    def room_for(self, exchange: Exchange) -> bool:
        """Whether `add` would take `exchange` now."""
        with self._lock:
            return self._room(exchange_size(exchange))

    def _room(self, size: int) -> bool:
        """Room for `size` more bytes (call holding the lock); one exchange always fits alone."""
        held = len(self._queue) + self._taken
        held_bytes = self._bytes + self._taken_bytes
        return held < self.max_exchanges and (not held or held_bytes + size <= self.max_bytes)

    def take(self) -> list[Exchange]:
        """Everything queued, in order; still counted against the bounds until `give_back`."""
        with self._lock:
            taken = list(self._queue)
            self._taken, self._taken_bytes = len(taken), self._bytes
            self._queue.clear()
            self._bytes = 0
        return taken

    def give_back(self, exchanges: list[Exchange]) -> None:
        """Put `exchanges` (not written) back in front; the rest of what was taken is done."""
        with self._lock:
            self._queue.extendleft(reversed(exchanges))
            self._bytes += sum(exchange_size(e) for e in exchanges)
            self._taken = self._taken_bytes = 0

    def drop_all(self) -> int:
        """Empty the backlog, taken exchanges included; how many were queued."""
        left = len(self.take())
        self.give_back([])
        return left
