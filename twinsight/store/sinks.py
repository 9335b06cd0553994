"""Where batches go: a DuckDB file (one writing process) or a folder of Parquet segments (many)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from twinsight.errors import UserError
from twinsight.store.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["DuckDBSink", "SegmentSink", "Sink", "StoreError", "absorb_segments", "migrate"]


WRITER_MEMORY_LIMIT = "128MB"


class StoreError(UserError):
    """The store cannot be opened or written: the message names the file and why."""


class Sink(Protocol):
    """Receives whole batches; a batch is written all or nothing."""

    def write(self, tables: dict[str, pa.Table]) -> None: ...

    def close(self) -> None: ...


def migrate(connection: duckdb.DuckDBPyConnection, name: str) -> None:
    """Bring the store at `connection` to the current schema version."""
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
    for version in range(current + 1, SCHEMA_VERSION + 1):
        connection.execute("BEGIN")
        for statement in MIGRATIONS[version - 1]:
            connection.execute(statement)
        connection.execute("INSERT INTO schema_version VALUES (?, now())", [version])
        connection.execute("COMMIT")


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


class DuckDBSink:
    """Appends batches to a DuckDB file, one transaction per batch."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = connect(path, read_only=False)
        # DuckDB's buffer cache grows with the file (by default up to 80 % of RAM): a
        # capture that runs for days only appends, so a small cache keeps its memory flat.
        self._connection.execute(f"SET memory_limit = '{WRITER_MEMORY_LIMIT}'")
        migrate(self._connection, str(path))

    def write(self, tables: dict[str, pa.Table]) -> None:
        """Insert every table of the batch in one transaction."""
        connection = self._connection
        connection.execute("BEGIN")
        try:
            for name, table in tables.items():
                connection.register("twinsight_batch", table)
                connection.execute(f"INSERT INTO {name} BY NAME SELECT * FROM twinsight_batch")
                connection.unregister("twinsight_batch")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Checkpoint and close the file."""
        self._connection.execute("CHECKPOINT")
        self._connection.close()


class SegmentSink:
    """Writes each batch as Parquet segments `TABLE-WRITER-SEQ.parquet` in a folder.

    A segment appears under its final name only when complete (written aside,
    then renamed), so readers and a hard kill never see half a file.
    """

    def __init__(self, folder: Path, writer: str) -> None:
        self.folder, self.writer = folder, writer
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{folder}: cannot create the segment folder: {exc}") from None
        self._seq = 0

    def write(self, tables: dict[str, pa.Table]) -> None:
        """Write one segment per non-empty table, exchanges last.

        Readers start from exchanges, so a kill between two files leaves at most
        responses without their exchange, never an exchange without responses.
        """
        self._seq += 1
        for name, table in sorted(tables.items(), key=lambda item: item[0] == "exchanges"):
            final = self.folder / f"{name}-{self.writer}-{self._seq:06d}.parquet"
            partial = self.folder / f".{final.name}.{uuid.uuid4().hex}.partial"
            pq.write_table(table, partial, compression="zstd")
            os.replace(partial, final)

    def close(self) -> None:
        """Nothing to release: every segment is complete once written."""


def absorb_segments(folder: Path, path: Path) -> int:
    """Append the segments in `folder` to the DuckDB file at `path`, one transaction per
    written batch (a writer's exchanges, responses, correlations and counters of one
    flush), and return the exchanges added. For work done by several processes at once,
    which a DuckDB file cannot take directly."""
    batches: dict[str, dict[str, Path]] = {}
    for file in sorted(folder.glob("*.parquet")):
        table, _, rest = file.stem.partition("-")
        batches.setdefault(rest, {})[table] = file
    sink = DuckDBSink(path)
    added = 0
    try:
        for files in batches.values():
            tables = {name: pq.read_table(file) for name, file in files.items()}
            sink.write(tables)
            added += tables["exchanges"].num_rows if "exchanges" in tables else 0
    finally:
        sink.close()
    return added
