"""Cutting a store's exchanges into contiguous runs of ids, one per worker process."""

from __future__ import annotations

from twinsight.store.facade import Store
from twinsight.store.filters import picked

__all__ = ["exchange_count", "id_cuts"]


def exchange_count(store: Store, *, only_new: bool = False, unread: bool = False) -> int:
    """How many exchanges the store holds; `only_new`: that no earlier analysis classified;
    `unread`: that the evidence it kept does not cover."""
    return store._count(picked(store._connection, only_new=only_new, unread=unread), None)


def id_cuts(store: Store, parts: int, *, only_new: bool = False, unread: bool = False) -> list[str]:
    """The ids that start parts 2..`parts`: cut there, the exchanges in id order fall into
    `parts` runs of about one size (fewer when there are fewer exchanges than parts)."""
    total = exchange_count(store, only_new=only_new, unread=unread)
    starts = sorted({total * k // parts + 1 for k in range(1, parts)} - {1, total + 1})
    return store._ids_at(picked(store._connection, only_new=only_new, unread=unread), None, starts)
