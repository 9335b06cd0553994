"""A fact one analysis read from the answers and keeps for the next (`kept`), as a row of
the store's `evidence` table."""

from __future__ import annotations

__all__ = ["Fact"]

Fact = tuple[str, str | None, str | None, bytes | None, bytes | None, int | None]
"""(kind, endpoint, location group, key, value, number): which fields a kind fills is its
tally's to say (`facts` and `restore` of each)."""
