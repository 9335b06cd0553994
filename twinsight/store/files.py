"""A store's files: opening a DuckDB file, where its large bodies live, errors naming them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from twinsight.errors import StoreError

__all__ = [
    "StoreError",
    "bodies_folder",
    "connect",
    "fetch_all",
    "first_line",
    "has_table",
    "segment_folder",
    "unreadable_store",
]


def bodies_folder(path: Path) -> Path:
    """Where the large bodies of the DuckDB file at `path` are kept."""
    return path.with_name(path.name + ".bodies")


def segment_folder(path: Path) -> Path:
    """Where captures into the DuckDB file at `path` write their Parquet segments until they
    absorb them into it (at their stop, or the next one's start after a kill)."""
    return path.with_name(path.name + ".segments")


def connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file at `path`, with a one-line error when it cannot be."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        reason = str(exc).splitlines()[0]
        if "lock" in reason.lower():
            reason = (
                "another process holds it for writing (readers of a live capture use --segments)"
            )
        raise StoreError(f"{path}: cannot open the store: {reason}") from None
    except duckdb.Error as exc:
        raise StoreError(f"{path}: not a twinsight store: {str(exc).splitlines()[0]}") from None


def fetch_all(
    connection: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[tuple[Any, ...]]:
    """Every row of `sql`, on a cursor of its own (another result may be open on `connection`)."""
    return connection.cursor().execute(sql, params).fetchall()


def has_table(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    *,
    database: str | None = None,
    column: str | None = None,
) -> bool:
    """Whether `database` (the connection's own by default) holds `table` (with `column`)."""
    sql = (
        "SELECT 1 FROM duckdb_columns() WHERE database_name = coalesce(?, current_database()) "
        "AND table_name = ? AND (? IS NULL OR column_name = ?) LIMIT 1"
    )
    return bool(fetch_all(connection, sql, [database, table, column, column]))


_UNREADABLE = ("corrupt", "checksum", "magic bytes", "parquet", "invalid metadata", "truncated")


def unreadable_store(exc: BaseException) -> StoreError | None:
    """A one-line StoreError when `exc` says a store's bytes are damaged; None otherwise
    (then it is a bug, reported as one)."""
    if not isinstance(exc, duckdb.Error | pa.ArrowException):
        return None
    text = first_line(exc)
    if isinstance(exc, duckdb.IOException) or any(word in text.lower() for word in _UNREADABLE):
        return StoreError(f"cannot read the store, it is damaged: {text}")
    return None


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type when it has none)."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
