"""Reading a store: a DuckDB file, a folder of Parquet segments, or both, as one set of views.

Readers never write to what they read: the DuckDB file is attached read-only
and segments are read where they lie, so analysis can run while a capture that
writes segments goes on.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Collection, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import duckdb

from twinsight.store.arrowrows import arrow_rows, system_arrow_pool
from twinsight.store.capturelock import capture_holds
from twinsight.store.derived import DERIVED_FILE
from twinsight.store.files import (
    StoreError,
    bodies_folder,
    connect,
    fetch_all,
    has_table,
    segment_folder,
)
from twinsight.store.info import StoreInfo, store_info
from twinsight.store.schema import SCHEMA_VERSION, TABLES, Table
from twinsight.store.sinks import BODY_COLUMNS

__all__ = [
    "READER_MEMORY_LIMIT",
    "WORKER_MEMORY_LIMIT",
    "OpenStore",
    "open_store",
    "segment_sources",
]

READER_MEMORY_LIMIT = "512MB"
"""DuckDB's own memory for reading: by default it takes up to 80 % of RAM for sorts and
joins; past this it spills to a temporary folder. Analysis sorts requests and responses
side by side: 256 MB ran out of room for both on a million exchanges, 512 MB did not
(before reads were cut into runs of ids)."""
WORKER_MEMORY_LIMIT = "128MB"
"""The same for a worker process's reader, which reads one run of ids once, in id order,
on one thread: what DuckDB caches of the file is not read again, and with a worker per
CPU two workers held ~480 MB each at a million exchanges, most of it cached blocks.
Measured there: 128 MB on one thread read as fast; 64 MB on two threads ran out."""
_RELEASED_LIMIT = "16MB"


class OpenStore:
    """A store's views open on one connection of its own: close it, or use `with`.

    `_derived` names the attached database holding the tables an analysis derived
    (`stored` or `derived`), None before any analysis."""

    def __init__(
        self,
        path: Path | None = None,
        segments: Path | None = None,
        *,
        among: Collection[str] | None = None,
        worker: bool = False,
    ) -> None:
        """`worker`: a worker process's reader, one thread and `WORKER_MEMORY_LIMIT`."""
        system_arrow_pool()  # a reader's Arrow memory goes back as it is freed
        self._connection, folders, files = _opened(path, segments, among, worker=worker)
        self._limit = WORKER_MEMORY_LIMIT if worker else READER_MEMORY_LIMIT
        self.segment_files = frozenset(files)
        """The names of the segment files its views read (`among` them, when given)."""
        self._derived = _derived_database(self._connection)
        self._file = path
        self._read = folders if path is None else [path, *folders]  # what the views read

    def _summary(self, endpoints: int) -> StoreInfo:
        """`store_info` of this store, sized over the file and the segment folders its views
        read, and whether a capture or replay into the file runs now."""
        info = store_info(self._connection, self._read, endpoints=endpoints)
        info.capturing = self._file is not None and capture_holds(self._file)
        return info

    def _has(self, table: str, column: str | None = None) -> bool:
        """Whether the derived tables hold `table` (with `column`)."""
        if self._derived is None:
            return False
        return has_table(self._connection, table, database=self._derived, column=column)

    def _all(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return fetch_all(self._connection, sql, params)

    def _rows(
        self, sql: str, batch: int = 1000, params: list[Any] | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """The rows of `sql` streamed `batch` at a time, on a cursor of their own (so two
        results can be read side by side)."""
        cursor = self._connection.cursor().execute(sql, params)
        while rows := cursor.fetchmany(batch):
            yield from rows

    def _wide_rows(
        self, sql: str, batch: int = 1000, params: list[Any] | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """As `_rows`, each batch converted column by column through Arrow, header lists
        as (name, value) pairs (`arrow_rows`): for reads of many wide rows."""
        cursor = self._connection.cursor()
        yield from arrow_rows(cursor.sql(sql, params=params).to_arrow_reader(batch))

    def release_memory(self) -> None:
        """Hand back what DuckDB caches of the files read so far (later reads read them
        again): for a process about to wait while others read the store, or done with the
        blocks it read."""
        try:
            # Lowering the limit evicts every block nothing holds.
            self._connection.execute(f"SET memory_limit = '{_RELEASED_LIMIT}'")
        except duckdb.Error:
            pass  # more is held than fits: what could go, went
        finally:
            self._connection.execute(f"SET memory_limit = '{self._limit}'")

    def close(self) -> None:
        """Let the store go (a writer may open the file afterwards)."""
        self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_store(path: Path | None = None, segments: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with views `exchanges`, `responses`, `correlations`,
    `capture_counters` over the DuckDB file at `path` and the segments in `segments`, and
    `analysed_ids`: exchanges an earlier `twinsight analyze` classified, `read_ids`: those
    whose answers the evidence it kept covers."""
    return _opened(path, segments)[0]


def _opened(
    path: Path | None,
    segments: Path | None,
    among: Collection[str] | None = None,
    *,
    worker: bool = False,
) -> tuple[duckdb.DuckDBPyConnection, list[Path], list[str]]:
    """`open_store`'s connection, the segment folders its views read and the names of the
    segment files in them it reads: all, or only those `among` names (what another
    process opened: a file written since is left out). `worker`: see `OpenStore`."""
    if path is None and segments is None:
        raise StoreError("no store given: pass --store FILE or --segments DIR (or set [store])")
    sources: dict[str, list[str]] = {name: [] for name in TABLES}
    spill = tempfile.mkdtemp(prefix="twinsight-read-")  # where sorts past the limit go
    config: dict[str, Any] = {"memory_limit": READER_MEMORY_LIMIT, "temp_directory": spill}
    if worker:
        # Every CPU judges already; and what a sort pins grows with DuckDB's threads.
        config.update(memory_limit=WORKER_MEMORY_LIMIT, threads=1)
    connection = duckdb.connect(config=config)
    weakref.finalize(connection, shutil.rmtree, spill, True)
    keyed: set[str] = set()
    if path is not None:
        keyed = _attach(connection, path)
        for name in sources:
            sources[name].append(_file_source(name, bodies_folder(path)))
    # Listed only now that the file is attached: an absorb holds the file while it removes
    # the segments it absorbed, so none listed here goes (see `absorb_segments`).
    folders, names = _segment_folders(path, segments), list[str]()
    for folder in folders:
        files = _segment_files(folder, among)
        names.extend(Path(f).name for listed in files.values() for f in listed)
        for name, source in _sources(files, ordered=True).items():
            sources[name].append(source)
    _earlier_analysis(connection, path, segments)
    for name, table in TABLES.items():
        # A keyed file alone holds one row per key already; anything else may hold copies.
        copies = bool(folders) or name not in keyed
        connection.execute(f"CREATE VIEW {name} AS {_view(table, sources[name], copies)}")
    return connection, folders, names


def _segment_folders(path: Path | None, segments: Path | None) -> list[Path]:
    """The segment folders a store is read from: `segments`, and beside the file `path` the
    segments a capture into it has not absorbed yet (it is running, or it was killed and
    the next one absorbs them at its start): read with the file, never left out."""
    folders = [] if segments is None else [segments]
    beside = None if path is None else segment_folder(path)
    if beside is not None and beside != segments and any(beside.glob("*.parquet")):
        folders.append(beside)
    return folders


_ORDER, _FILE = "twinsight_source", "twinsight_file"


def _file_source(name: str, bodies: Path) -> str:
    """A SELECT over table `name` of the attached file, large bodies joined back in."""
    plain = f"SELECT 0 AS {_ORDER}, {_padded('rowid')} AS {_FILE}, * FROM stored.{name}"
    files = sorted(str(f) for f in bodies.glob(f"{name}-*.parquet")) if name in BODY_COLUMNS else []
    if not files:
        return plain
    column, key = BODY_COLUMNS[name]
    listed = _listed(files)
    on = " AND ".join(f"b.{k} = t.{k}" for k in key)
    # A retried batch may have written a body twice: one per key.
    side = (
        f"SELECT {', '.join(key)}, any_value({column}) AS twinsight_body "
        f"FROM read_parquet([{listed}]) GROUP BY ALL"
    )
    return (
        f"SELECT 0 AS {_ORDER}, {_padded('t.rowid')} AS {_FILE}, t.* REPLACE "
        f"(coalesce(t.{column}, b.twinsight_body) AS {column}) "
        f"FROM stored.{name} t LEFT JOIN ({side}) b ON {on}"
    )


def segment_sources(segments: Path, *, ordered: bool = False) -> dict[str, str]:
    """A SELECT over each table's segments in the folder, as written (copies included);
    `ordered` adds the columns `open_store` orders copies by."""
    return _sources(_segment_files(segments), ordered)


def _segment_files(segments: Path, among: Collection[str] | None = None) -> dict[str, list[str]]:
    """Each table's segment files in the folder (only those `among` names, if given)."""
    if not segments.is_dir():
        raise StoreError(f"{segments}: no such segment folder")
    found = {}
    for name in TABLES:
        files = sorted(
            str(f) for f in segments.glob(f"{name}-*.parquet") if among is None or f.name in among
        )
        if files:
            found[name] = files
    return found


def _sources(files: dict[str, list[str]], ordered: bool) -> dict[str, str]:
    """A SELECT over each table's `files` (none empty), as `segment_sources` says."""
    found = {}
    for name, listed_files in files.items():
        listed = _listed(listed_files)
        place = f"filename || {_padded('file_row_number')}"
        order = f"1 AS {_ORDER}, {place} AS {_FILE}, " if ordered else ""
        found[name] = (
            f"SELECT {order}* EXCLUDE (filename, file_row_number) "
            f"FROM read_parquet([{listed}], union_by_name = true, filename = true, "
            "file_row_number = true)"
        )
    return found


def _padded(number: str) -> str:
    """A row number as text that sorts as the number does."""
    return f"lpad(CAST({number} AS VARCHAR), 20, '0')"


def _listed(files: list[str]) -> str:
    """File names as a DuckDB list's items."""
    return ", ".join("'" + f.replace("'", "''") + "'" for f in files)


def _view(table: Table, sources: list[str], copies: bool) -> str:
    """`table` over its sources; with `copies`, one row per key: the first written, the
    file's before any segment's."""
    columns = ", ".join(f"NULL::{c.sql} AS {c.name}" for c in table.columns)
    # The typed empty branch gives every declared column, NULL in stores older than it.
    empty = f"SELECT 0 AS {_ORDER}, '' AS {_FILE}, {columns} LIMIT 0"
    union = " UNION ALL BY NAME ".join(f"({s})" for s in [empty, *sources])
    if not copies:
        return f"SELECT * EXCLUDE ({_ORDER}, {_FILE}) FROM ({union})"
    return (
        f"SELECT * EXCLUDE ({_ORDER}, {_FILE}) FROM ({union}) QUALIFY row_number() OVER "
        f"(PARTITION BY {table.key_sql} ORDER BY {_ORDER}, {_FILE}) = 1"
    )


def _earlier_analysis(
    connection: duckdb.DuckDBPyConnection, path: Path | None, segments: Path | None
) -> None:
    """Views over what an earlier analysis wrote: `analysed_ids` and `read_ids` (empty if
    nothing), and `earlier_` each of its classifications, differences and kept evidence
    when those tables exist."""
    database = None
    if path is not None:
        database = "stored"
    elif segments is not None and (segments / DERIVED_FILE).exists():
        connect(segments / DERIVED_FILE, read_only=True).close()
        connection.execute(f"ATTACH '{_quote(segments / DERIVED_FILE)}' AS derived (READ_ONLY)")
        database = "derived"
    found = {
        row[0]
        for row in connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [database]
        ).fetchall()
    }
    analysed = read = "SELECT NULL::VARCHAR AS id LIMIT 0"
    if "classifications" in found:
        analysed = f"SELECT DISTINCT exchange_id AS id FROM {database}.classifications"
    if "evidence_ids" in found:
        read = f"SELECT id FROM {database}.evidence_ids"
    connection.execute(f"CREATE VIEW analysed_ids AS {analysed}")
    connection.execute(f"CREATE VIEW read_ids AS {read}")
    for table in ("classifications", "differences", "evidence", "evidence_runs", "evidence_tokens"):
        if table in found:
            connection.execute(f"CREATE VIEW earlier_{table} AS SELECT * FROM {database}.{table}")


def _derived_database(connection: duckdb.DuckDBPyConnection) -> str | None:
    """The attached database holding the derived tables (`stored` or `derived`), if any."""
    for database in ("stored", "derived"):
        if has_table(connection, "classifications", database=database):
            return database
    return None


def _attach(connection: duckdb.DuckDBPyConnection, path: Path) -> set[str]:
    """Attach the file read-only as `stored`; the names of its keyed tables."""
    if not path.exists():
        raise StoreError(f"{path}: no such store file")
    connect(path, read_only=True).close()  # the clear error, if it cannot be opened
    connection.execute(f"ATTACH '{_quote(path)}' AS stored (READ_ONLY)")
    try:
        row = connection.execute("SELECT max(version) FROM stored.schema_version").fetchone()
    except duckdb.Error:
        raise StoreError(f"{path}: not a twinsight store (no schema_version table)") from None
    found = row[0] if row else None
    if found is None or int(found) > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: store schema version {found}; this twinsight reads up to {SCHEMA_VERSION}"
        )
    return {
        str(r[0])
        for r in connection.execute(
            "SELECT table_name FROM duckdb_constraints() "
            "WHERE database_name = 'stored' AND constraint_type = 'PRIMARY KEY'"
        ).fetchall()
    }


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
