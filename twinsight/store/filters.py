"""Which exchanges a pass over a store reads: every one, those no earlier analysis
classified, or those the evidence it kept does not cover (`twinsight.store.kept`).

The ids of a filtered pass are picked once per open store, into a table of the store's
own in-memory database: an incremental run reads through one filter eight times or more
(the paths, counts and cuts, both passes' requests and answers, the ids it keeps). Each
anti-join against every earlier id costs a hash of every id in the store (~0.3 s a
million here); a join against the picked ids, a scan of the store's ids alone. Counting
and ranking what a filter picks (how many, where to cut parts and runs) needs no scan of
the store at all: the picked table holds exactly those ids (`counted_in`).
"""

from __future__ import annotations

import duckdb

__all__ = ["counted_in", "picked"]

# Each filter: the table its ids are picked into, and the ids it leaves out.
_PICKS = {
    "only_new": ("twinsight_new_ids", "analysed_ids"),  # classified by an earlier analysis
    "unread": ("twinsight_unread_ids", "read_ids"),  # covered by the evidence it kept
}
_IN = "WHERE {{column}} IN (SELECT id FROM {table})"


def picked(
    connection: duckdb.DuckDBPyConnection, *, only_new: bool = False, unread: bool = False
) -> str:
    """The filter (`{column}` unfilled) of exchanges no earlier analysis classified
    (`only_new`) or read evidence from (`unread`); empty for every exchange. The first
    call for a filter picks its ids on `connection`."""
    assert not (only_new and unread), "one filter at a time"
    if not (only_new or unread):
        return ""
    table, left_out = _PICKS["only_new" if only_new else "unread"]
    # A table, not a TEMP one: the cursors that read side by side must see it too.
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {table} AS SELECT id FROM exchanges "
        f"WHERE id NOT IN (SELECT id FROM {left_out})"
    )
    return _IN.format(table=table)


def counted_in(where: str) -> tuple[str, str]:
    """What to count and rank the exchanges `where` picks in, and the filter to do it
    with: for a filter `picked` made (narrowed to an id range or not), its own table,
    which holds the ids it picks and nothing else (a scan of the new ids, not of the
    store); for any other, the store's `exchanges` and `where` itself."""
    for table, _ in _PICKS.values():
        head = _IN.format(table=table)
        if where.startswith(head):
            narrowed = where.removeprefix(head).removeprefix(" AND ")
            return table, f"WHERE {narrowed}" if narrowed else ""
    return "exchanges", where
