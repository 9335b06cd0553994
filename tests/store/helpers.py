"""A store as an older twinsight made it, for migration tests (exchanges: `twinsight.testing`)."""

from __future__ import annotations

import duckdb

from twinsight.store.schema import TABLES


def unkeyed_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """The tables of a schema-2 store, as an older twinsight made them: no keys."""
    for table in TABLES.values():
        columns = ", ".join(f"{c.name} {c.sql}" for c in table.columns)
        connection.execute(f"CREATE TABLE {table.name} ({columns})")
    connection.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMPTZ)")
    connection.execute("INSERT INTO schema_version VALUES (1, now()), (2, now())")
