"""What the readiness verdict reads from a store and its derived tables, as typed rows.

Read over one connection (`reader.OpenStore`): the capture views, with the tables an
analysis derived attached beside them. The SQL filters, joins and counts; deciding
anything from these rows is `twinsight.analysis.readiness`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb

from twinsight.records import PRIMARY_TARGET, REPLICA_TARGET
from twinsight.store.files import fetch_all, has_table
from twinsight.store.info import answered, store_info

__all__ = [
    "AnswerSample",
    "ClassificationCount",
    "ClusterShare",
    "Comparability",
    "ReasonCount",
    "ReplayedExchange",
    "StoredEvidence",
    "candidates",
    "comparability",
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
    """A cluster of real differences on one endpoint: its exchanges there, its share of the
    endpoint, and the classifications of the exchanges it lists there for the candidate. A
    cause on several endpoints gives one per endpoint (`spans` says on how many)."""

    endpoint: str
    location: str
    kind: str
    description: str
    exchanges: int
    share: float
    classifications: list[str]
    spans: int = 1


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
# A cluster per endpoint it is on (real differences only: inferred noise is no finding);
# `{spread}` reads a store whose clusters predate `endpoints` as one endpoint each.
_CLUSTERS = """
WITH k AS (
  SELECT row_number() OVER () AS position, location, kind, description, exchange_ids, {spread}
  FROM {db}.clusters {where}
), each AS (
  SELECT position, location, kind, description, exchange_ids, len(eps) AS spans,
         unnest(eps) AS endpoint, unnest(ns) AS n, unnest(shares) AS share,
         unnest(range(len(eps))) AS place
  FROM k
)
SELECT e.endpoint, e.location, e.kind, e.description, e.n, e.share,
       coalesce(list(DISTINCT c.classification ORDER BY c.classification)
                FILTER (c.classification IS NOT NULL), []), e.spans
FROM each e
LEFT JOIN {db}.classifications c
  ON list_contains(e.exchange_ids, c.exchange_id) AND c.candidate = ? AND c.endpoint = e.endpoint
GROUP BY e.position, e.place, 1, 2, 3, 4, 5, 6, 8 ORDER BY e.position, e.place
"""
_SPREAD = (
    "endpoints AS eps, endpoint_exchanges AS ns, endpoint_shares AS shares",
    "WHERE noise IS NULL",
)
_ONE_ENDPOINT = ("[endpoint] AS eps, [exchanges] AS ns, [share] AS shares", "")
# Why an exchange was not compared for the candidate, as the analysis pipeline skips them;
# a recording a replay in the store repeats is compared there, so not counted.
_NOT_COMPARED = """
SELECT CASE
         WHEN l.exchange_id IS NULL THEN 'no legacy answer'
         WHEN l.error = 'cancelled' THEN 'legacy answer cut short'
         WHEN c.exchange_id IS NULL AND e.id IN (SELECT origin FROM exchanges) THEN NULL
         WHEN c.exchange_id IS NULL THEN 'no candidate answer stored'
         WHEN c.error = 'unsent' THEN 'never sent to the candidate'
         WHEN c.error = 'cancelled' THEN 'candidate still in flight at shutdown'
       END AS why, count(*)
FROM exchanges e
LEFT JOIN responses l ON l.exchange_id = e.id AND l.target = ?
LEFT JOIN responses c ON c.exchange_id = e.id AND c.target = ?
GROUP BY ALL HAVING why IS NOT NULL ORDER BY ALL
"""


class ReplayedExchange(NamedTuple):
    """A replayed exchange some target refused, with the recording it repeats."""

    recorded_status: int | None  # the recorded legacy answer's; None when not in the store
    degraded: tuple[str, ...]  # what the replay substituted or left out of the request


class Comparability(NamedTuple):
    """What decides, beside the answers, whether exchanges can be compared at all."""

    replayed: dict[str, ReplayedExchange]
    """Replayed exchanges a target answered 401, 403 or 407, by id."""
    degraded: list[tuple[tuple[str, ...], int]]
    """Each set of replay notes, and how many exchanges carry it."""
    unmirrored: int
    """Writes the capture served but never mirrored (`dropped.write_not_mirrored`)."""
    unreplayed: int = 0
    """Exchanges no candidate answered (recorded or imported) that no replay repeats."""
    replayed_recordings: int = 0
    """Exchanges no candidate answered that a replay in the store repeats: compared there."""
    unanswered: int = 0
    """Exchanges no target answered: stored, but with nothing to compare."""


# Only a replay some target refused can be one its missing credentials made incomparable.
_REFUSED_REPLAYS = """
SELECT e.id, o.status, {notes}
FROM exchanges e
LEFT JOIN responses o ON o.exchange_id = e.origin AND o.target = ?
WHERE e.origin IS NOT NULL AND e.id IN (
  SELECT exchange_id FROM responses WHERE status IN (401, 403, 407))
ORDER BY e.id
"""
_DEGRADED = """
SELECT replay_degraded, count(*) FROM exchanges
WHERE len(replay_degraded) > 0 GROUP BY ALL ORDER BY 2 DESC, 1
"""
# Counters are cumulative per writer: the last value of each writer, summed.
_UNMIRRORED = """
SELECT coalesce(sum(v), 0) FROM (
  SELECT arg_max(value, ts) AS v FROM capture_counters
  WHERE name = 'dropped.write_not_mirrored' GROUP BY writer)
"""


def comparability(connection: duckdb.DuckDBPyConnection) -> Comparability:
    """What the store says about exchanges that cannot be compared (see `Comparability`);
    a store from before replays recorded their notes has none."""
    noted = has_table(connection, "exchanges", column="replay_degraded")
    sql = _REFUSED_REPLAYS.format(notes="e.replay_degraded" if noted else "NULL")
    replayed = {
        str(id_): ReplayedExchange(None if status is None else int(status), tuple(notes or ()))
        for id_, status, notes in fetch_all(connection, sql, [PRIMARY_TARGET])
    }
    degraded = (
        [(tuple(notes), int(n)) for notes, n in fetch_all(connection, _DEGRADED)] if noted else []
    )
    unmirrored = fetch_all(connection, _UNMIRRORED)
    counted = answered(connection)
    return Comparability(
        replayed,
        degraded,
        int(unmirrored[0][0]) if unmirrored else 0,
        counted.by_no_candidate,
        counted.replayed,
        counted.by_none,
    )


def candidates(connection: duckdb.DuckDBPyConnection, db: str | None) -> list[str]:
    """The candidates an analysis classified exchanges for, else those that answered;
    `db` holds the derived tables (see `reader.OpenStore`)."""
    if db is not None:
        sql = f"SELECT DISTINCT candidate FROM {db}.classifications ORDER BY 1"
        found = [str(row[0]) for row in fetch_all(connection, sql)]
        if found:
            return found
    rows = fetch_all(connection, "SELECT DISTINCT target FROM responses ORDER BY 1")
    return [str(r[0]) for r in rows if r[0] not in (PRIMARY_TARGET, REPLICA_TARGET)]


def stored_evidence(
    connection: duckdb.DuckDBPyConnection, db: str | None, candidate: str, paths: list[Path]
) -> StoredEvidence:
    """What the store at `connection` (its derived tables in `db`) holds about `candidate`
    (see `StoredEvidence`)."""
    info = store_info(connection, paths, endpoints=0)
    not_compared = fetch_all(connection, _NOT_COMPARED, [PRIMARY_TARGET, candidate])
    base = StoredEvidence(
        candidate,
        not_compared={str(why): int(n) for why, n in not_compared},
        counters=info.counters,
        window=(info.first, info.last),
    )
    if db is None or not has_table(connection, "clusters", database=db):
        return base
    return StoredEvidence(
        candidate,
        counts=[
            ClassificationCount(e, k, int(n))
            for e, k, n in fetch_all(connection, _COUNTS.format(db=db), [candidate])
        ],
        reasons=[
            ReasonCount(str(e), str(k), str(why), int(n))
            for e, k, why, n in fetch_all(
                connection, _REASONS.format(db=db), [candidate, list(DISAGREEING)]
            )
        ],
        answers=[
            AnswerSample(e, t, int(a), int(x), [float(v) for v in ms], int(u))
            for e, t, a, x, ms, u in fetch_all(
                connection, _ANSWERS.format(db=db), [PRIMARY_TARGET, candidate]
            )
        ],
        clusters=_clusters(connection, db, candidate),
        not_compared=base.not_compared,
        counters=base.counters,
        window=base.window,
    )


def _clusters(connection: duckdb.DuckDBPyConnection, db: str, candidate: str) -> list[ClusterShare]:
    """Every cluster of real differences, once per endpoint it is on."""
    spread, where = (
        _SPREAD if has_table(connection, "clusters", database=db, column="noise") else _ONE_ENDPOINT
    )
    sql = _CLUSTERS.format(db=db, spread=spread, where=where)
    return [
        ClusterShare(e, loc, kind, what, int(n), float(share), list(found), int(spans))
        for e, loc, kind, what, n, share, found, spans in fetch_all(connection, sql, [candidate])
    ]
