"""Bringing a DuckDB store to the current schema, and counting the extra copies of a key."""

from __future__ import annotations

import duckdb

from twinsight.store.files import StoreError
from twinsight.store.schema import KEYED, MIGRATIONS, SCHEMA_VERSION, TABLES

__all__ = ["count_duplicates", "migrate"]


def migrate(connection: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """Bring the store at `connection` to the current schema version; notes on what changed."""
    connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, applied_at TIMESTAMPTZ)"
    )
    row = connection.execute("SELECT max(version) FROM schema_version").fetchone()
    current = int(row[0]) if row and row[0] is not None else 0
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"{name}: store schema version {current} is newer than this twinsight's "
            f"({SCHEMA_VERSION}); upgrade twinsight"
        )
    notes: list[str] = []
    for version in range(current + 1, SCHEMA_VERSION + 1):
        connection.execute("BEGIN")
        for statement in MIGRATIONS[version - 1]:
            if statement == KEYED:
                notes.extend(_add_keys(connection))
            else:
                connection.execute(statement)
        connection.execute("INSERT INTO schema_version VALUES (?, now())", [version])
        connection.execute("COMMIT")
    return notes


def count_duplicates(connection: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int]:
    """Extra rows of `table` beyond one per key: (exact copies of another row, copies of a
    key with other values)."""
    key = TABLES[table].key_sql
    row = connection.execute(
        f"SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT * FROM {table})), "
        f"count(*) - (SELECT count(*) FROM (SELECT DISTINCT {key} FROM {table})) FROM {table}"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]) - int(row[0])


def _add_keys(connection: duckdb.DuckDBPyConnection) -> list[str]:
    keyed = {
        str(row[0])
        for row in connection.execute(
            "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
        ).fetchall()
    }
    notes = []
    for name, table in TABLES.items():
        if name in keyed:
            continue
        exact, differing = count_duplicates(connection, name)
        if exact or differing:
            notes.append(
                f"{name}: removed {exact} exact duplicate row(s) and {differing} differing "
                f"cop(ies) of a key (the first written kept)"
            )
        # Rebuilt rather than deduplicated in place: DuckDB checks a key added in the
        # transaction that deleted the copies against the deleted rows too.
        connection.execute(f"ALTER TABLE {name} RENAME TO {name}_unkeyed")
        connection.execute(table.create_sql())
        connection.execute(
            f"INSERT INTO {name} BY NAME SELECT * FROM {name}_unkeyed WHERE rowid IN "
            f"(SELECT min(rowid) FROM {name}_unkeyed GROUP BY {table.key_sql}) ORDER BY rowid"
        )
        connection.execute(f"DROP TABLE {name}_unkeyed")
    return notes
