"""A segment folder's derived tables as Parquet, for tools other than DuckDB.

The derived tables of a segment folder live in `analysis.duckdb`, in one transaction with
the state the next run starts from; Athena, Trino, Spark or pandas cannot read that file.
So each write also leaves them in `derived/TABLE/STAMP.parquet` inside the folder. A table
a run adds to gets one file of the rows that run added (a run costs what it adds, not what
the store holds); a table a run replaces gets one file of every row, and its older files go.
A table added to for `COMPACT_AT` runs is then written whole, as one file: readers list and
open every file (hourly runs would leave ~8,760 a year), and the rewrite, spread over the
runs before it, costs each of them 1/`COMPACT_AT` of the table.

Files are committed with `analysis.duckdb`, in two steps: they are written hidden
(`.STAMP.parquet.partial`, which DuckDB's `*.parquet`, pyarrow and Spark all pass over), the
write's transaction records them in `derived_files`, and only after it commits are they
renamed into view. A write that failed or was killed before its commit leaves hidden files
the next write removes; one killed after it, hidden files the next write shows. A reader
sees each run's rows whole or not at all.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from twinsight.store.files import has_table

__all__ = ["COMPACT_AT", "EXPORTED", "EXPORT_FOLDER", "Export"]

EXPORT_FOLDER = "derived"
EXPORTED = frozenset(
    {
        "analysis_runs",
        "checks",
        "classifications",
        "cluster_history",
        "clusters",
        "differences",
        "load_results",
        "scenario_totals",
    }
)
"""The tables readers come for; the state only the next run reads (its evidence, its
clustering) stays in `analysis.duckdb`."""
COMPACT_AT = 48
"""Files of a table the runs that add to it leave before one writes it whole again."""
_LEDGER = "derived_files"
_PARTIAL = ".partial"


class Export:
    """The Parquet files one write of the derived tables of `folder` leaves beside them."""

    def __init__(self, folder: Path) -> None:
        self.root = folder / EXPORT_FOLDER
        self.stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"

    def stage(
        self, connection: duckdb.DuckDBPyConnection, table: str, added: str | None = None
    ) -> None:
        """In the write's transaction: `table`'s file, hidden, recorded in the ledger. Of the
        rows SQL reads from `added` when the table was added to and files of it are there
        already, fewer than `COMPACT_AT` (none when nothing was added), else of the whole
        table, replacing them."""
        if table not in EXPORTED:
            return
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {_LEDGER} (table_name VARCHAR, file VARCHAR, rows BIGINT)"
        )
        only = added if added is not None and 0 < _files(connection, table) < COMPACT_AT else None
        name = f"{table}/{self.stamp}.parquet"
        partial = self._hidden(name)
        partial.parent.mkdir(parents=True, exist_ok=True)
        rows = _copy(connection, only or table, partial)
        if only is None:
            connection.execute(f"DELETE FROM {_LEDGER} WHERE table_name = ?", [table])
        elif rows == 0:
            partial.unlink()
            return
        connection.execute(f"INSERT INTO {_LEDGER} VALUES (?, ?, ?)", [table, name, rows])

    def settle(self, connection: duckdb.DuckDBPyConnection) -> set[str]:
        """Outside a transaction: show the hidden files the ledger names and remove every
        other file of the exported tables; the files the ledger names (folder-relative)."""
        named = {f"{EXPORT_FOLDER}/{n}" for n in _ledger(connection)}
        for table in EXPORTED:
            for file in (self.root / table).glob("*"):
                shown = file.name.removeprefix(".").removesuffix(_PARTIAL)
                relative = f"{EXPORT_FOLDER}/{table}/{shown}"
                if relative not in named:
                    file.unlink(missing_ok=True)
                elif file.name.endswith(_PARTIAL):
                    file.replace(file.with_name(shown))
        return named

    def _hidden(self, name: str) -> Path:
        file = self.root / name
        return file.with_name(f".{file.name}{_PARTIAL}")


def _copy(connection: duckdb.DuckDBPyConnection, source: str, file: Path) -> int:
    """Every row SQL reads from `source` into the Parquet file `file`; how many."""
    quoted = str(file).replace("'", "''")
    copied = connection.execute(f"COPY (SELECT * FROM {source}) TO '{quoted}' (FORMAT parquet)")
    row = copied.fetchone()
    return int(row[0]) if row else 0


def _files(connection: duckdb.DuckDBPyConnection, table: str) -> int:
    """How many files of `table` the ledger names."""
    found = connection.execute(f"SELECT count(*) FROM {_LEDGER} WHERE table_name = ?", [table])
    row = found.fetchone()
    return int(row[0]) if row else 0


def _ledger(connection: duckdb.DuckDBPyConnection) -> list[str]:
    if not has_table(connection, _LEDGER):
        return []
    return [row[0] for row in connection.execute(f"SELECT file FROM {_LEDGER}").fetchall()]
