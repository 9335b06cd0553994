"""Tables derived by analysis, written beside the exchanges they come from.

Into the DuckDB store itself, or, for a segment folder, into `analysis.duckdb`
inside it (segments stay append-only and readable by other tools; the tables readers
come for are also written as Parquet into its `derived/`: `exported.py`). An
`analysis_runs` row records what each run was computed with (a fingerprint of
the spec, rules and targets), so the next run can add only new exchanges when
nothing else changed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import duckdb

from twinsight.store.columns import Columns
from twinsight.store.exported import Export
from twinsight.store.files import connect, has_table
from twinsight.store.schema import (
    ANALYSIS_RUNS,
    CHECKS,
    CLUSTER_HISTORY,
    CLUSTER_STATE,
    CLUSTERS,
    AnalysisRun,
    ClusterRow,
    ClusterStateRow,
    HistoryRow,
    Table,
)
from twinsight.store.sinks import WRITER_MEMORY_LIMIT

__all__ = [
    "DERIVED_FILE",
    "ClusterPast",
    "Derived",
    "EarlierCounts",
    "RunFixes",
    "ScenarioCount",
]

DERIVED_FILE = "analysis.duckdb"


@dataclass(frozen=True)
class EarlierCounts:
    """Classifications recorded at a store, counted."""

    by_endpoint: dict[str, int]
    by_classification: dict[str, int]
    features: dict[tuple[str, str], int]  # (endpoint, request feature) -> classifications


class ScenarioCount(NamedTuple):
    """Per scenario and target: exchanges checked, and those whose every checked line passed."""

    scenario: str
    target: str
    exchanges: int
    passed: int


@dataclass(frozen=True)
class ClusterPast:
    """The clusters earlier runs found, by fingerprint: the last run's (as it recorded them)
    and the fingerprints of every run before it."""

    previous: dict[str, HistoryRow]
    earlier: frozenset[str]


@dataclass(frozen=True)
class RunFixes:
    """What the last recorded run no longer found of the run before it: when each ran
    (None: no such run) and that run's rows of the clusters gone, in fingerprint order."""

    last: datetime | None
    previous: datetime | None
    fixed: list[HistoryRow]


SCENARIO_TOTALS = "scenario_totals"
"""Per scenario and target, what the `checks` rows add up to (`ScenarioCount`), added to as
each run writes its checks: counting over every check costs a pass over a table that grows
with the store (~0.5 s of CPU a million exchanges), for every `report`, `ready` and
`propose`."""
_SCENARIOS = """
SELECT scenario, target, count(*) AS exchanges, count(*) FILTER (passed) AS passed
FROM (SELECT exchange_id, candidate, scenario, target, bool_and(passed) AS passed
      FROM {checks} GROUP BY ALL)
GROUP BY ALL ORDER BY ALL
"""
_TOTALLED = f"""
SELECT scenario, target, sum(exchanges)::BIGINT, sum(passed)::BIGINT
FROM {SCENARIO_TOTALS} GROUP BY ALL ORDER BY ALL
"""


@dataclass(frozen=True)
class Derived:
    """The derived tables of one store, at `location`: the DuckDB file itself, or
    DERIVED_FILE in a segment folder."""

    location: Path
    exported: bool = False
    """Whether each write also leaves the tables as Parquet beside it (`exported`)."""

    @classmethod
    def of(cls, path: Path | None, segments: Path | None) -> Derived:
        """The derived tables of the store in `path`, `segments`, or both (a segment
        folder's are also written as Parquet into it)."""
        if path is not None:
            return cls(path)
        assert segments is not None, "a store is a file or a segment folder"
        return cls(segments / DERIVED_FILE, exported=True)

    def state(self) -> AnalysisRun | None:
        """The last analysis run recorded, if any (and its tables are all there: a store
        analysed before runs kept their clustering is judged again, once)."""
        return self._last_run("classifications", "differences", CLUSTER_STATE.name)

    def analysed(self) -> bool:
        """Whether an analysis has written its clusters here."""
        return self._last_run(CLUSTERS.name) is not None

    def cluster_state(self) -> list[ClusterStateRow]:
        """The clustering the last run ended with (`twinsight.analysis.cluster_state`)."""
        connection = self._reading(CLUSTER_STATE.name)
        if connection is None:
            return []
        try:
            rows = connection.execute(f"SELECT * FROM {CLUSTER_STATE.name}").fetchall()
        finally:
            connection.close()
        return [ClusterStateRow(*row) for row in rows]

    def counts(self) -> EarlierCounts:
        """What the classifications recorded so far add up to."""
        connection = self._reading("classifications")
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
        found = {(e, f): n for e, f, n in features}
        return EarlierCounts(dict(by_endpoint), dict(by_class), found)

    def scenario_counts(self) -> list[ScenarioCount]:
        """Per scenario and target, over the `checks` recorded so far (as the runs that wrote
        them totalled them, or, in a store no run has totalled yet, counted over every one)."""
        connection = self._reading(CHECKS.name)
        if connection is None:
            return []
        try:
            kept = has_table(connection, SCENARIO_TOTALS)
            query = _TOTALLED if kept else _SCENARIOS.format(checks=CHECKS.name)
            return [ScenarioCount(*row) for row in connection.execute(query).fetchall()]
        finally:
            connection.close()

    def clusters(self) -> list[ClusterRow]:
        """Every cluster of the last analysis, inferred noise included, as ranked; the
        `fingerprint` and `status` are None in tables written before clusters had them."""
        connection = self._reading(CLUSTERS.name)
        if connection is None:
            return []
        try:
            rows = connection.execute(f"SELECT * FROM {CLUSTERS.name}").fetchall()
        finally:
            connection.close()
        return [ClusterRow(*row) for row in rows]

    def last_recorded(self) -> AnalysisRun | None:
        """The last analysis run recorded, if runs record their clusters here (a store
        analysed before they did has no `cluster_history`)."""
        return self._last_run(CLUSTER_HISTORY.name)

    def _last_run(self, *beside: str) -> AnalysisRun | None:
        """The last row of `analysis_runs`, if the file holds it and every table of `beside`."""
        connection = self._reading(ANALYSIS_RUNS.name, *beside)
        if connection is None:
            return None
        try:
            row = connection.execute(
                f"SELECT fingerprint, analysed_at, exchanges FROM {ANALYSIS_RUNS.name} "
                "ORDER BY analysed_at DESC LIMIT 1"
            ).fetchone()
        finally:
            connection.close()
        return AnalysisRun(*row) if row else None

    def cluster_past(self, *, of_last: bool = False) -> ClusterPast:
        """What the recorded runs found; nothing before any run recorded its clusters.
        `of_last`: the past the last run was marked against (a re-read of it is marked so)."""
        runs = self._runs(2)[1:] if of_last else self._runs(1)
        if not runs:
            return ClusterPast({}, frozenset())
        previous = self._history(runs[0])
        connection = self._reading(CLUSTER_HISTORY.name)
        assert connection is not None, "a run was recorded with its clusters"
        try:
            rows = connection.execute(
                f"SELECT DISTINCT fingerprint FROM {CLUSTER_HISTORY.name} WHERE analysed_at < ?",
                [runs[0]],
            ).fetchall()
        finally:
            connection.close()
        return ClusterPast({r.fingerprint: r for r in previous}, frozenset(r[0] for r in rows))

    def fixed_clusters(self) -> list[HistoryRow]:
        """The clusters of the run before the last one that the last run no longer found,
        as that run recorded them, in fingerprint order."""
        return self.run_fixes().fixed

    def run_fixes(self) -> RunFixes:
        """The last two runs that recorded their clusters, and the clusters of the earlier
        one the last no longer found."""
        runs = self._runs(2)
        if len(runs) < 2:
            return RunFixes(runs[0] if runs else None, None, [])
        now = {r.fingerprint for r in self._history(runs[0])}
        gone = [r for r in self._history(runs[1]) if r.fingerprint not in now]
        return RunFixes(runs[0], runs[1], gone)

    def _runs(self, count: int) -> list[datetime]:
        """When the last `count` runs that recorded their clusters ran, the last first."""
        connection = self._reading(ANALYSIS_RUNS.name, CLUSTER_HISTORY.name)
        if connection is None:
            return []
        try:
            rows = connection.execute(
                f"SELECT DISTINCT analysed_at FROM {ANALYSIS_RUNS.name} "
                "ORDER BY analysed_at DESC LIMIT ?",
                [count],
            ).fetchall()
        finally:
            connection.close()
        return [row[0] for row in rows]

    def _history(self, analysed_at: datetime) -> list[HistoryRow]:
        """The clusters the run at `analysed_at` recorded, in fingerprint order."""
        connection = self._reading(CLUSTER_HISTORY.name)
        if connection is None:
            return []
        try:
            rows = connection.execute(
                f"SELECT * FROM {CLUSTER_HISTORY.name} WHERE analysed_at = ? ORDER BY fingerprint",
                [analysed_at],
            ).fetchall()
        finally:
            connection.close()
        return [HistoryRow(*row) for row in rows]

    def write(
        self,
        tables: Sequence[Columns],
        *,
        append: Collection[str] = frozenset(),
        state: AnalysisRun | None = None,
    ) -> None:
        """Replace each table (or add to those named in `append`) and record `state`, all in
        one transaction; for a segment folder, their Parquet files with them (`exported`)."""
        export = Export(self.location.parent) if self.exported else None
        connection = connect(self.location, read_only=False)
        connection.execute(f"SET memory_limit = '{WRITER_MEMORY_LIMIT}'")
        try:
            if export is not None:
                export.settle(connection)  # what a killed write left
            connection.execute("BEGIN")
            for rows in tables:
                _write_rows(connection, rows, rows.name in append, export)
            if state is not None:
                connection.execute(ANALYSIS_RUNS.create_sql())
                runs = ANALYSIS_RUNS.name
                connection.execute(f"INSERT INTO {runs} VALUES (?, ?, ?)", list(state))
                if export is not None:
                    export.stage(connection, runs)
            connection.execute("COMMIT")
            files = export.settle(connection) if export is not None else set()
        finally:
            connection.close()
        # Here, not at the top: objects imports this module.
        from twinsight.store.exported_objects import push_exported
        from twinsight.store.objects import push_analysis

        # A copy of segments in object storage: back there.
        push_analysis(self.location)
        if export is not None:
            push_exported(self.location.parent, files)

    def _reading(self, *tables: str) -> duckdb.DuckDBPyConnection | None:
        """A read-only connection if the file holds every table of `tables`."""
        if not self.location.exists():
            return None
        connection = connect(self.location, read_only=True)
        if all(has_table(connection, t) for t in tables):
            return connection
        connection.close()
        return None


def _write_rows(
    connection: duckdb.DuckDBPyConnection, rows: Columns, append: bool, export: Export | None
) -> None:
    """One table written (`_write_table`), the scenario totals kept with the checks, and
    the files of both staged for `export`."""
    with _registered(connection, rows) as source:
        added = _write_table(connection, rows, source, append=append)
        if rows.name == CHECKS.name:
            _total_scenarios(connection, source, added=added)
        if export is not None:
            export.stage(connection, rows.name, source if added else None)
            if rows.name == CHECKS.name:
                export.stage(connection, SCENARIO_TOTALS)


@contextmanager
def _registered(connection: duckdb.DuckDBPyConnection, rows: Columns) -> Iterator[str]:
    """What SQL reads `rows` from while the block runs: their spilled Parquet file, or
    their Arrow table registered on `connection`."""
    table = rows.source()
    if isinstance(table, Path):
        yield "read_parquet('{}')".format(str(table).replace("'", "''"))
        return
    connection.register("twinsight_derived", table)
    try:
        yield "twinsight_derived"
    finally:
        connection.unregister("twinsight_derived")


def _write_table(
    connection: duckdb.DuckDBPyConnection, rows: Columns, source: str, *, append: bool
) -> bool:
    """One table's rows, read from `source`, into the database: added to the table already
    there when `append` (True returned), else the table made anew."""
    added = append and has_table(connection, rows.name)
    if added:
        _add_columns(connection, rows.declared)
        connection.execute(f"INSERT INTO {rows.name} BY NAME SELECT * FROM {source}")
    else:
        connection.execute(f"CREATE OR REPLACE TABLE {rows.name} AS SELECT * FROM {source}")
    return added


def _total_scenarios(connection: duckdb.DuckDBPyConnection, new: str, *, added: bool) -> None:
    """Keep `scenario_totals` as the checks just written (`new`) leave them: what they add
    up to added to the totals, or, when every check was written anew or no totals were kept
    yet, every check totalled. An exchange's checks are all written by one run."""
    if added and has_table(connection, SCENARIO_TOTALS):
        connection.execute(f"INSERT INTO {SCENARIO_TOTALS} {_SCENARIOS.format(checks=new)}")
        return
    every = _SCENARIOS.format(checks=CHECKS.name)
    connection.execute(f"CREATE OR REPLACE TABLE {SCENARIO_TOTALS} AS {every}")


def _add_columns(connection: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Add to `table` as the file holds it the columns declared since it was made: a row
    inserted by name must find each of its columns there."""
    for column in table.columns:
        if not has_table(connection, table.name, column=column.name):
            connection.execute(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {column.sql}")
