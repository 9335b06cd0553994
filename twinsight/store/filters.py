"""Which exchanges a pass over a store reads: every one, those no earlier analysis
classified, or those the evidence it kept does not cover (`twinsight.store.kept`)."""

from __future__ import annotations

__all__ = ["NEW_ONLY", "UNREAD", "new_only"]

NEW_ONLY = "WHERE {column} NOT IN (SELECT id FROM analysed_ids)"
UNREAD = "WHERE {column} NOT IN (SELECT id FROM read_ids)"


def new_only(*, only_new: bool = False, unread: bool = False) -> str:
    """The filter (`{column}` unfilled) of exchanges no earlier analysis classified
    (`only_new`) or read evidence from (`unread`); empty for every exchange."""
    assert not (only_new and unread), "one filter at a time"
    return NEW_ONLY if only_new else UNREAD if unread else ""
