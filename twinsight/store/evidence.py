"""What the readiness verdict reads from a store and its derived tables, as typed rows.

Read over one connection (`reader.open_store`): the capture views, with the tables an
analysis derived attached beside them. The SQL filters, joins and counts; deciding
anything from these rows is `twinsight.analysis.readiness`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import duckdb

from twinsight.records import PRIMARY_TARGET, REPLICA_TARGET
from twinsight.store.info import store_info

__all__ = [
    "AnswerSample",
    "ClassificationCount",
    "ClusterShare",
    "ReasonCount",
    "StoredEvidence",
    "candidates",
    "stored_evidence",
]


class ClassificationCount(NamedTuple):
    """Exchanges of one endpoint with one classification (for one candidate)."""

    endpoint: str
    classification: str
    exchanges: int


class ReasonCount(NamedTuple):
    """Exchanges of one endpoint classified alike for the same reason."""

    endpoint: str
    classification: str
    reason: str
    exchanges: int


class AnswerSample(NamedTuple):
    """One target's answers to the classified exchanges of one endpoint."""

    endpoint: str
    target: str
    answered: int  # with a status
    errors: int  # a 5xx status, or no answer (an error kind)
    latencies_ms: list[float]
    unanswered: int = 0  # no status (an error kind): with `answered`, every exchange once


class ClusterShare(NamedTuple):
    """A cluster of real differences, its share of its endpoint, and the classifications of
    the exchanges it lists for the candidate."""

    endpoint: str
    location: str
    kind: str
    description: str
    exchanges: int
    share: float
    classifications: list[str]


@dataclass(frozen=True)
class StoredEvidence:
    """Everything the readiness verdict weighs, for one candidate."""

    candidate: str
    counts: list[ClassificationCount] = field(default_factory=list)
    reasons: list[ReasonCount] = field(default_factory=list)  # of the disagreeing exchanges
    answers: list[AnswerSample] = field(default_factory=list)
    clusters: list[ClusterShare] = field(default_factory=list)
    not_compared: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)  # capture counters, all writers
    window: tuple[str | None, str | None] = (None, None)


DISAGREEING = ("regression", "spec_conflict", "candidate_error", "unexplained")

_COUNTS = """
SELECT endpoint, classification, count(*) FROM {db}.classifications
WHERE candidate = ? GROUP BY ALL ORDER BY ALL
"""
_REASONS = """
SELECT endpoint, classification, reason, count(*) FROM {db}.classifications
WHERE candidate = ? AND list_contains(?, classification)
GROUP BY ALL ORDER BY 4 DESC, 1, 2, 3 LIMIT 200
"""
_ANSWERS = """
SELECT c.endpoint, r.target, count(r.status),
       count(*) FILTER (r.error IS NOT NULL OR r.status >= 500),
       coalesce(list(r.latency_ms ORDER BY r.latency_ms)
                FILTER (r.latency_ms IS NOT NULL AND r.error IS NULL), []),
       count(*) FILTER (r.status IS NULL)
FROM {db}.classifications c
JOIN responses r ON r.exchange_id = c.exchange_id AND r.target IN (?, c.candidate)
WHERE c.candidate = ?
GROUP BY ALL ORDER BY ALL
"""
_CLUSTERS = """
SELECT k.endpoint, k.location, k.kind, k.description, k.exchanges, k.share,
       coalesce(list(DISTINCT c.classification ORDER BY c.classification)
                FILTER (c.classification IS NOT NULL), [])
FROM (SELECT *, row_number() OVER () AS position FROM {db}.clusters) k
LEFT JOIN {db}.classifications c
  ON list_contains(k.exchange_ids, c.exchange_id) AND c.candidate = ?
GROUP BY k.position, 1, 2, 3, 4, 5, 6 ORDER BY k.position
"""
# Why an exchange was not compared for the candidate, as the analysis pipeline skips them.
_NOT_COMPARED = """
SELECT CASE
         WHEN l.exchange_id IS NULL THEN 'no legacy answer'
         WHEN l.error = 'cancelled' THEN 'legacy answer cut short'
         WHEN c.exchange_id IS NULL THEN 'no candidate answer stored'
         WHEN c.error = 'unsent' THEN 'never sent to the candidate'
         WHEN c.error = 'cancelled' THEN 'candidate still in flight at shutdown'
       END AS why, count(*)
FROM exchanges e
LEFT JOIN responses l ON l.exchange_id = e.id AND l.target = ?
LEFT JOIN responses c ON c.exchange_id = e.id AND c.target = ?
GROUP BY ALL HAVING why IS NOT NULL ORDER BY ALL
"""


def derived_database(connection: duckdb.DuckDBPyConnection) -> str | None:
    """The attached database holding the derived tables (`stored` or `derived`), if any."""
    row = connection.execute(
        "SELECT database_name FROM duckdb_tables() WHERE table_name = 'classifications' "
        "AND database_name IN ('stored', 'derived') LIMIT 1"
    ).fetchone()
    return str(row[0]) if row else None


def candidates(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The candidates an analysis classified exchanges for, else those that answered."""
    db = derived_database(connection)
    if db is not None:
        sql = f"SELECT DISTINCT candidate FROM {db}.classifications ORDER BY 1"
        found = [str(row[0]) for row in connection.execute(sql).fetchall()]
        if found:
            return found
    rows = connection.execute("SELECT DISTINCT target FROM responses ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows if r[0] not in (PRIMARY_TARGET, REPLICA_TARGET)]


def stored_evidence(
    connection: duckdb.DuckDBPyConnection, candidate: str, paths: list[Path]
) -> StoredEvidence:
    """What the store at `connection` holds about `candidate` (see `StoredEvidence`)."""
    info = store_info(connection, paths, endpoints=0)
    not_compared = _rows(connection, _NOT_COMPARED, [PRIMARY_TARGET, candidate])
    base = StoredEvidence(
        candidate,
        not_compared={str(why): int(n) for why, n in not_compared},
        counters=info.counters,
        window=(info.first, info.last),
    )
    db = derived_database(connection)
    if db is None or not _has(connection, db, "clusters"):
        return base
    return StoredEvidence(
        candidate,
        counts=[
            ClassificationCount(e, k, int(n))
            for e, k, n in _rows(connection, _COUNTS.format(db=db), [candidate])
        ],
        reasons=[
            ReasonCount(str(e), str(k), str(why), int(n))
            for e, k, why, n in _rows(
                connection, _REASONS.format(db=db), [candidate, list(DISAGREEING)]
            )
        ],
        answers=[
            AnswerSample(e, t, int(a), int(x), [float(v) for v in ms], int(u))
            for e, t, a, x, ms, u in _rows(
                connection, _ANSWERS.format(db=db), [PRIMARY_TARGET, candidate]
            )
        ],
        clusters=[
            ClusterShare(e, loc, kind, what, int(n), float(share), list(found))
            for e, loc, kind, what, n, share, found in _rows(
                connection, _CLUSTERS.format(db=db), [candidate]
            )
        ],
        not_compared=base.not_compared,
        counters=base.counters,
        window=base.window,
    )


def _has(connection: duckdb.DuckDBPyConnection, db: str, table: str) -> bool:
    found = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = ?",
        [db, table],
    ).fetchone()
    return bool(found and found[0])


def _rows(
    connection: duckdb.DuckDBPyConnection, sql: str, params: list[Any]
) -> list[tuple[Any, ...]]:
    return connection.cursor().execute(sql, params).fetchall()
