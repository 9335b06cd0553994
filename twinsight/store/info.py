"""`twinsight store info`: what a store holds, by source, target and endpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb

from twinsight.identifiers import id_segment_sql
from twinsight.records import PRIMARY_TARGET, REPLICA_TARGET
from twinsight.store.counters import lost
from twinsight.store.files import bodies_folder, fetch_all

__all__ = ["Answered", "StoreInfo", "UncleanWriter", "answered", "store_info"]

# Endpoints for an overview: segments shaped like identifiers become {id}, as analysis
# folds them (analysis also reads spec templates and folds high-cardinality literals).
_SEGMENTS = "list_filter(string_split(path, '/'), lambda s: s <> '')"
_FOLDED = (
    f"list_transform({_SEGMENTS}, lambda s: CASE WHEN {id_segment_sql('s')} "
    "THEN '{id}' ELSE s END)"
)
# A path not starting with `/` (`OPTIONS *`, an absolute URI) is shown as it is.
_ENDPOINT_SQL = (
    f"method || ' ' || CASE WHEN starts_with(path, '/') "
    f"THEN '/' || array_to_string({_FOLDED}, '/') ELSE path END"
)


@dataclass(frozen=True)
class UncleanWriter:
    """A capture process with no record of a clean shutdown (killed, crashed, or still on)."""

    writer: str
    last_flush: str
    lost: int


@dataclass
class StoreInfo:
    """Counts and extent of a store."""

    exchanges: int = 0
    first: str | None = None
    last: str | None = None
    size_bytes: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    by_target: dict[str, dict[str, int]] = field(default_factory=dict)
    by_endpoint: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    lost: int = 0  # captured, never stored nor counted as dropped: see `counters.lost`
    unclean: list[UncleanWriter] = field(default_factory=list)
    unanswered: int = 0  # exchanges without any response: nothing to compare
    capturing: bool = False
    """A capture or replay into the file runs now: its counts are as of its writers' last
    flush, and `lost` includes what it holds and has not flushed yet."""


def store_info(
    connection: duckdb.DuckDBPyConnection, paths: list[Path], *, endpoints: int = 20
) -> StoreInfo:
    """Summarise the store open on `connection` (see `open_store`); `paths` give its size."""
    info = StoreInfo(size_bytes=sum(_size(p) for p in paths))
    row = connection.execute("SELECT count(*), min(ts), max(ts) FROM exchanges").fetchone()
    if row:
        info.exchanges = int(row[0])
        info.first, info.last = (str(v) if v is not None else None for v in row[1:])
    info.by_source = _pairs(
        connection, "SELECT source, count(*) FROM exchanges GROUP BY 1 ORDER BY 2 DESC"
    )
    for target, outcome, count in connection.execute(
        "SELECT target, coalesce(error, 'answered'), count(*) FROM responses "
        "WHERE exchange_id IN (SELECT id FROM exchanges) GROUP BY 1, 2 ORDER BY 1, 3 DESC"
    ).fetchall():
        info.by_target.setdefault(target, {})[outcome] = int(count)
    info.by_endpoint = _pairs(
        connection,
        f"SELECT {_ENDPOINT_SQL} AS endpoint, count(*) FROM exchanges "
        f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {int(endpoints)}",
    )
    info.unanswered = answered(connection).by_none
    _completeness(connection, info)
    return info


def _completeness(connection: duckdb.DuckDBPyConnection, info: StoreInfo) -> None:
    """Counters summed over writers, and what each writer's last counters say was lost."""
    per_writer: dict[str, dict[str, int]] = {}
    last_flush: dict[str, str] = {}
    # Counters are cumulative per writer: the last row of each name per writer.
    for writer, name, value, ts in connection.execute(
        "SELECT writer, name, arg_max(value, ts), max(ts) FROM capture_counters "
        "GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall():
        per_writer.setdefault(str(writer), {})[str(name)] = int(value)
        last_flush[str(writer)] = max(last_flush.get(str(writer), ""), str(ts))
    totals: dict[str, int] = {}
    for writer, counts in per_writer.items():
        for name, value in counts.items():
            totals[name] = totals.get(name, 0) + value
        missing = lost(counts)
        info.lost += missing
        if "closed" not in counts:
            info.unclean.append(UncleanWriter(writer, last_flush[writer], missing))
    info.counters = dict(sorted(totals.items()))


class Answered(NamedTuple):
    """Exchanges by who answered them, where that leaves them uncompared."""

    by_none: int
    """No target answered: stored, but with nothing to compare."""
    by_no_candidate: int
    """Answered, by no candidate, and no replay in the store repeats them."""
    replayed: int
    """Answered by no candidate, and a replay in the store repeats them: compared there."""


# One pass over every exchange's answers, grouped by exchange.
_ANSWERED = """
SELECT count(*) FILTER (answered IS NULL),
       count(*) FILTER (NOT compared AND NOT replayed),
       count(*) FILTER (NOT compared AND replayed)
FROM (
  SELECT a.answered, a.compared,
         e.id IN (SELECT origin FROM exchanges WHERE origin IS NOT NULL) AS replayed
  FROM exchanges e LEFT JOIN (
    SELECT exchange_id, true AS answered, bool_or(target NOT IN (?, ?)) AS compared
    FROM responses GROUP BY exchange_id) a ON a.exchange_id = e.id)
"""


def answered(connection: duckdb.DuckDBPyConnection) -> Answered:
    """Exchanges nobody answered, and those no candidate did (the legacy and a replica of
    it are not candidates)."""
    # On a cursor of its own: analysis asks while another read may be open.
    (row,) = fetch_all(connection, _ANSWERED, [PRIMARY_TARGET, REPLICA_TARGET])
    return Answered(*(int(n or 0) for n in row))


def _pairs(connection: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in connection.execute(sql).fetchall()}


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.glob("*.parquet"))
    bodies = bodies_folder(path)
    return (path.stat().st_size if path.exists() else 0) + (_size(bodies) if bodies.is_dir() else 0)
