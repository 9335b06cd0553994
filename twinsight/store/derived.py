"""Tables derived by analysis, written beside the exchanges they come from.

Into the DuckDB store itself, or, for a segment folder, into `analysis.duckdb`
inside it (segments stay append-only and readable by other tools). An
`analysis_runs` row records what each run was computed with (a fingerprint of
the spec, rules and targets), so the next run can add only new exchanges when
nothing else changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from twinsight.store.files import connect
from twinsight.store.sinks import WRITER_MEMORY_LIMIT

__all__ = [
    "DERIVED_FILE",
    "AnalysisState",
    "EarlierCounts",
    "analysis_state",
    "derived_location",
    "earlier_counts",
    "earlier_differences",
    "write_derived",
]

DERIVED_FILE = "analysis.duckdb"
_RUNS = "analysis_runs"


@dataclass(frozen=True)
class AnalysisState:
    """What the last analysis of a store was computed with."""

    fingerprint: str
    analysed_at: datetime
    exchanges: int


def derived_location(path: Path | None, segments: Path | None) -> Path:
    """Where derived tables go for a store given as a file, a segment folder, or both."""
    if path is not None:
        return path
    assert segments is not None, "a store is a file or a segment folder"
    return segments / DERIVED_FILE


def write_derived(
    target: Path,
    tables: dict[str, pa.Table | Path],
    *,
    append: frozenset[str] = frozenset(),
    state: AnalysisState | None = None,
) -> None:
    """Replace each named table in the DuckDB file at `target` (or add to those in `append`)
    and record `state`, all in one transaction. A table is Arrow or a Parquet file."""
    connection = connect(target, read_only=False)
    connection.execute(f"SET memory_limit = '{WRITER_MEMORY_LIMIT}'")
    try:
        connection.execute("BEGIN")
        for name, table in tables.items():
            if isinstance(table, Path):
                quoted = str(table).replace("'", "''")
                source = f"read_parquet('{quoted}')"
            else:
                connection.register("twinsight_derived", table)
                source = "twinsight_derived"
            if name in append and _exists(connection, name):
                connection.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {source}")
            else:
                connection.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {source}")
            if not isinstance(table, Path):
                connection.unregister("twinsight_derived")
        if state is not None:
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {_RUNS} "
                "(fingerprint VARCHAR, analysed_at TIMESTAMPTZ, exchanges BIGINT)"
            )
            connection.execute(
                f"INSERT INTO {_RUNS} VALUES (?, ?, ?)",
                [state.fingerprint, state.analysed_at, state.exchanges],
            )
        connection.execute("COMMIT")
    finally:
        connection.close()


def _exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    found = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND table_name = ?",
        [table],
    ).fetchone()
    return bool(found and found[0])


def _reading(target: Path, *tables: str) -> duckdb.DuckDBPyConnection | None:
    """A read-only connection to `target` if it holds every table of `tables`."""
    if not target.exists():
        return None
    connection = connect(target, read_only=True)
    if all(_exists(connection, t) for t in tables):
        return connection
    connection.close()
    return None


def analysis_state(target: Path) -> AnalysisState | None:
    """The last analysis run recorded at `target`, if any (and its tables are all there)."""
    connection = _reading(target, _RUNS, "classifications", "differences")
    if connection is None:
        return None
    try:
        row = connection.execute(
            f"SELECT fingerprint, analysed_at, exchanges FROM {_RUNS} "
            "ORDER BY analysed_at DESC LIMIT 1"
        ).fetchone()
    finally:
        connection.close()
    return AnalysisState(*row) if row else None


_EARLIER = """
SELECT d.exchange_id, d.endpoint, d.location, d.kind, d.legacy_value, d.candidate_value,
       c.classification, c.features
FROM differences d
JOIN classifications c USING (exchange_id, candidate)
WHERE d.noise IS NULL AND d.accepted IS NULL
  AND (c.classification IN ('unexplained', 'regression') OR d.kind = 'changed')
ORDER BY d.exchange_id
"""


def earlier_differences(target: Path) -> Iterator[tuple[Any, ...]]:
    """Real differences recorded at `target` that clusters and volatile proposals start from:
    (exchange id, endpoint, location, kind, legacy JSON, candidate JSON, classification,
    request features)."""
    connection = _reading(target, "classifications", "differences")
    if connection is None:
        return
    try:
        cursor = connection.execute(_EARLIER)
        while rows := cursor.fetchmany(10_000):
            yield from rows
    finally:
        connection.close()


@dataclass(frozen=True)
class EarlierCounts:
    """Classifications recorded at a store, counted."""

    by_endpoint: dict[str, int]
    by_classification: dict[str, int]
    features: dict[tuple[str, str], int]  # (endpoint, request feature) -> classifications


def earlier_counts(target: Path) -> EarlierCounts:
    """What the classifications recorded at `target` add up to."""
    connection = _reading(target, "classifications")
    if connection is None:
        return EarlierCounts({}, {}, {})
    try:
        by_endpoint = connection.execute(
            "SELECT endpoint, count(*) FROM classifications GROUP BY ALL"
        ).fetchall()
        by_class = connection.execute(
            "SELECT classification, count(*) FROM classifications GROUP BY ALL"
        ).fetchall()
        features = connection.execute(
            "SELECT endpoint, feature, count(*) FROM "
            "(SELECT endpoint, unnest(features) AS feature FROM classifications) GROUP BY ALL"
        ).fetchall()
    finally:
        connection.close()
    return EarlierCounts(dict(by_endpoint), dict(by_class), {(e, f): n for e, f, n in features})


_SCENARIOS = """
SELECT scenario, target, count(*) AS exchanges, count(*) FILTER (passed) AS passed
FROM (SELECT exchange_id, candidate, scenario, target, bool_and(passed) AS passed
      FROM checks GROUP BY ALL)
GROUP BY ALL ORDER BY ALL
"""


def scenario_counts(target: Path) -> list[tuple[str, str, int, int]]:
    """Per scenario and target: (scenario, target, exchanges checked, exchanges whose every
    checked line passed), over the `checks` recorded at `target`."""
    connection = _reading(target, "checks")
    if connection is None:
        return []
    try:
        return [tuple(row) for row in connection.execute(_SCENARIOS).fetchall()]
    finally:
        connection.close()
