"""Tables derived by analysis, written beside the exchanges they come from.

Into the DuckDB store itself, or, for a segment folder, into `analysis.duckdb`
inside it (segments stay append-only and readable by other tools).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from twinsight.store.sinks import connect

__all__ = ["DERIVED_FILE", "derived_location", "write_derived"]

DERIVED_FILE = "analysis.duckdb"


def derived_location(path: Path | None, segments: Path | None) -> Path:
    """Where derived tables go for a store given as a file, a segment folder, or both."""
    if path is not None:
        return path
    assert segments is not None, "a store is a file or a segment folder"
    return segments / DERIVED_FILE


def write_derived(target: Path, tables: dict[str, pa.Table]) -> None:
    """Replace each named table in the DuckDB file at `target`, all in one transaction."""
    connection = connect(target, read_only=False)
    try:
        connection.execute("BEGIN")
        for name, table in tables.items():
            connection.register("twinsight_derived", table)
            connection.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM twinsight_derived")
            connection.unregister("twinsight_derived")
        connection.execute("COMMIT")
    finally:
        connection.close()
