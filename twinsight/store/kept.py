"""The evidence an analysis kept for the next (`evidence`, `evidence_runs`, `evidence_ids`,
`evidence_tokens`), read back through an open store, and the ids of the exchanges it does
not cover."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa

from twinsight.store.facade import Store
from twinsight.store.filters import picked
from twinsight.store.schema import (
    EVIDENCE,
    EVIDENCE_RUNS,
    EVIDENCE_TOKENS,
    EvidenceRow,
    EvidenceRun,
    TokenRow,
)

__all__ = ["KeptEvidence", "covered_among", "kept_evidence", "kept_tokens_among", "unread_ids"]

Key = tuple[str, str]

_SERVED_AGAIN = """
SELECT DISTINCT n.endpoint, n.location FROM twinsight_new_tokens n
JOIN {kept} k ON k.endpoint = n.endpoint AND k.location = n.location AND k.key = n.key
"""
_COVERED = """
SELECT (SELECT count(*) FROM read_ids),
       (SELECT count(*) FROM exchanges WHERE id IN (SELECT id FROM read_ids))
"""


class KeptEvidence(NamedTuple):
    """What an earlier analysis read of the legacy's and the replica's answers."""

    run: EvidenceRun
    rows: Iterator[EvidenceRow]


def kept_evidence(store: Store) -> KeptEvidence | None:
    """The evidence an earlier analysis kept, if whole: the ids it covers are all there."""
    # Kept by a version whose layout differs: read everything (the version is checked too).
    if not store._has(EVIDENCE_RUNS.name, "replayed") or not store._has(EVIDENCE.name):
        return None
    columns = ", ".join(EvidenceRun._fields)
    runs = store._all(f"SELECT {columns} FROM earlier_{EVIDENCE_RUNS.name}")
    read, there = store._all(_COVERED)[0]
    if len(runs) != 1 or not EvidenceRun(*runs[0]).exchanges == read == there:
        # Written by another run than its ids, by hand, or exchanges left the store since
        # (segments removed, another segment folder): what it kept may be theirs.
        return None
    columns = ", ".join(EvidenceRow._fields)
    rows = store._rows(f"SELECT {columns} FROM earlier_{EVIDENCE.name}", batch=50_000)
    return KeptEvidence(EvidenceRun(*runs[0]), map(EvidenceRow._make, rows))


def kept_tokens_among(store: Store, tokens: Iterable[tuple[str, str, bytes]]) -> set[Key]:
    """The (endpoint, location) of each of `tokens` (endpoint, location, 8-byte key) the
    kept evidence already holds: served again, so repeated there. A join in DuckDB: the
    kept tokens (one per exchange for a legacy that stamps each answer) stay out of Python."""
    if not store._has(EVIDENCE_TOKENS.name):
        return set()
    found = pa.Table.from_pylist(
        [dict(zip(TokenRow._fields, token, strict=True)) for token in tokens],
        schema=EVIDENCE_TOKENS.arrow_schema(),
    )
    store._connection.register("twinsight_new_tokens", found)
    try:
        # On the connection itself: a registered table is not seen from its cursors.
        sql = _SERVED_AGAIN.format(kept=f"earlier_{EVIDENCE_TOKENS.name}")
        rows = store._connection.execute(sql).fetchall()
    finally:
        store._connection.unregister("twinsight_new_tokens")
    return {(endpoint, location) for endpoint, location in rows}


def covered_among(store: Store, ids: Iterable[str]) -> set[str]:
    """Those of `ids` the kept evidence covers (read by an earlier run)."""
    wanted = list(ids)
    if not wanted:  # most stores hold no refused replay: no pass over every kept id
        return set()
    query = "SELECT id FROM read_ids WHERE id IN (SELECT unnest(?::VARCHAR[]))"
    return {row[0] for row in store._rows(query, 10_000, [wanted])}


def unread_ids(store: Store, out: Path, *, every: bool = False) -> None:
    """Write the ids of the exchanges the kept evidence does not cover (`every`: of all
    exchanges) to the Parquet file `out`, as `evidence_ids` holds them."""
    where = picked(store._connection, unread=not every).format(column="id")
    quoted = str(out).replace("'", "''")
    # Unsorted: `evidence_ids` is only ever looked up, and a full store's ids are many.
    store._connection.execute(
        f"COPY (SELECT id FROM exchanges {where}) TO '{quoted}' (FORMAT parquet)"
    )
