"""Cutting a store's exchanges into contiguous runs of ids, one per worker process."""

from __future__ import annotations

from twinsight.store.facade import _NEW_ONLY, Store

__all__ = ["exchange_count", "id_cuts"]

_RANKED = """
SELECT id FROM (
  SELECT e.id, row_number() OVER (ORDER BY e.id) AS n FROM exchanges e {where}
) WHERE n IN (SELECT unnest(?)) ORDER BY id
"""
_COUNT = "SELECT count(*) FROM exchanges e {where}"


def exchange_count(store: Store, *, only_new: bool = False) -> int:
    """How many exchanges the store holds; `only_new`: that no earlier analysis classified."""
    count: int = next(store._rows(_COUNT.format(where=_where(only_new))))[0]
    return count


def id_cuts(store: Store, parts: int, *, only_new: bool = False) -> list[str]:
    """The ids that start parts 2..`parts`: cut there, the exchanges in id order fall into
    `parts` runs of about one size (fewer when there are fewer exchanges than parts)."""
    total = exchange_count(store, only_new=only_new)
    starts = sorted({total * k // parts + 1 for k in range(1, parts)} - {1, total + 1})
    query = _RANKED.format(where=_where(only_new))
    return [row[0] for row in store._rows(query, params=[starts])] if starts else []


def _where(only_new: bool) -> str:
    return _NEW_ONLY.format(column="e.id") if only_new else ""
