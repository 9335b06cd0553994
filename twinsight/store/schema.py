"""The store's tables, declared once: DuckDB DDL, Arrow schemas and migrations come from here.

Every column is described in `README.md` beside this file (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

__all__ = ["KEYED", "MIGRATIONS", "SCHEMA_VERSION", "TABLES", "Column", "Table"]

_HEADERS = pa.list_(pa.struct([("name", pa.string()), ("value", pa.string())]))
_HEADERS_SQL = "STRUCT(name VARCHAR, value VARCHAR)[]"


@dataclass(frozen=True)
class Column:
    name: str
    sql: str
    arrow: pa.DataType


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # what makes a row itself: the store keeps one row per key

    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of a batch or Parquet segment of this table."""
        return pa.schema(
            [pa.field(c.name, c.arrow) for c in self.columns],
            metadata={"twinsight_schema_version": str(SCHEMA_VERSION)},
        )

    def create_sql(self) -> str:
        """`CREATE TABLE` for DuckDB."""
        body = ", ".join(f"{c.name} {c.sql}" for c in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.name} ({body}, PRIMARY KEY ({self.key_sql}))"

    @property
    def key_sql(self) -> str:
        """The key columns, comma-separated."""
        return ", ".join(self.key)


def _c(name: str, sql: str, arrow: pa.DataType) -> Column:
    return Column(name, sql, arrow)


_TS = pa.timestamp("us", tz="UTC")
EXCHANGES = Table(
    "exchanges",
    (
        _c("id", "VARCHAR", pa.string()),
        _c("ts", "TIMESTAMPTZ", _TS),
        _c("source", "VARCHAR", pa.string()),
        _c("session", "VARCHAR", pa.string()),
        _c("method", "VARCHAR", pa.string()),
        _c("scheme", "VARCHAR", pa.string()),
        _c("host", "VARCHAR", pa.string()),
        _c("path", "VARCHAR", pa.string()),
        _c("query", "VARCHAR", pa.string()),
        _c("request_headers", _HEADERS_SQL, _HEADERS),
        _c("request_body", "BLOB", pa.binary()),
        _c("request_content_type", "VARCHAR", pa.string()),
        _c("request_encoding", "VARCHAR", pa.string()),
        _c("request_size", "BIGINT", pa.int64()),
        _c("request_sha256", "VARCHAR", pa.string()),
        _c("request_truncated", "BOOLEAN", pa.bool_()),
        _c("origin", "VARCHAR", pa.string()),
        _c("writer", "VARCHAR", pa.string()),
        _c("replay_run", "VARCHAR", pa.string()),
    ),
    ("id",),
)
RESPONSES = Table(
    "responses",
    (
        _c("exchange_id", "VARCHAR", pa.string()),
        _c("target", "VARCHAR", pa.string()),
        _c("status", "INTEGER", pa.int32()),
        _c("headers", _HEADERS_SQL, _HEADERS),
        _c("body", "BLOB", pa.binary()),
        _c("content_type", "VARCHAR", pa.string()),
        _c("encoding", "VARCHAR", pa.string()),
        _c("body_size", "BIGINT", pa.int64()),
        _c("body_sha256", "VARCHAR", pa.string()),
        _c("truncated", "BOOLEAN", pa.bool_()),
        _c("latency_ms", "DOUBLE", pa.float64()),
        _c("error", "VARCHAR", pa.string()),
    ),
    ("exchange_id", "target"),
)
CORRELATIONS = Table(
    "correlations",
    (
        _c("exchange_id", "VARCHAR", pa.string()),
        _c("target", "VARCHAR", pa.string()),
        _c("location", "VARCHAR", pa.string()),
        _c("legacy_value", "VARCHAR", pa.string()),
        _c("target_value", "VARCHAR", pa.string()),
    ),
    ("exchange_id", "target", "location", "legacy_value"),
)
CAPTURE_COUNTERS = Table(
    "capture_counters",
    (
        _c("ts", "TIMESTAMPTZ", _TS),
        _c("writer", "VARCHAR", pa.string()),
        _c("name", "VARCHAR", pa.string()),
        _c("value", "BIGINT", pa.int64()),
    ),
    ("writer", "name", "ts"),
)
TABLES = {t.name: t for t in (EXCHANGES, RESPONSES, CORRELATIONS, CAPTURE_COUNTERS)}

KEYED = "keyed"
"""The migration that gives every table its key; `sinks.migrate` runs it in Python, since it
first removes the extra copies older stores may hold and reports how many."""

# Each migration takes a store from version N-1 to N. Append, never edit. Version 1
# creates the tables as declared now (keys included), so later ones must hold on a store
# that already has what they add: `ADD COLUMN IF NOT EXISTS`, keys added only when absent.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    tuple(table.create_sql() for table in TABLES.values()),
    ("ALTER TABLE exchanges ADD COLUMN IF NOT EXISTS replay_run VARCHAR",),
    (KEYED,),
)
SCHEMA_VERSION = len(MIGRATIONS)
