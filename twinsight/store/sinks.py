"""Where batches go: a DuckDB file (one writing process) or a folder of Parquet segments (many).

A batch is written all or nothing: one transaction in a DuckDB file, a set of files
renamed into place in a segment folder. Rows are keyed (see `schema.Table.key`): a
DuckDB file keeps the first copy of each key and counts the rest as duplicates, so a
retried batch or a segment absorbed twice adds nothing.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from twinsight.store.files import StoreError, bodies_folder, connect, first_line
from twinsight.store.migrations import migrate
from twinsight.store.schema import TABLES

__all__ = ["DuckDBSink", "SegmentSink", "Sink", "Written", "absorb_segments"]


WRITER_MEMORY_LIMIT = "128MB"
"""DuckDB's buffer cache grows with the file (by default up to 80 % of RAM): a capture that
runs for days only appends, so a small cache keeps its memory flat. It holds because large
bodies stay out of the tables (LARGE_BODY) and batches are bounded in bytes (the writer)."""

LARGE_BODY = 32 << 10
"""Bodies longer than this are stored in Parquet files beside a DuckDB file (`FILE.bodies/`)
rather than in its tables. DuckDB keeps values of 64 KiB and more (a quarter block) in
blocks of their own and a checkpoint pins all of a row group's at once: under the writer's
128 MB, bodies of 64 KiB failed every write after ~200 MiB of them, 128 KiB after ~100
MiB, 1 MiB sooner; 32 KiB and 48 KiB ones went on past 1 GiB. Half the limit, for margin."""
BODY_COLUMNS = {
    "exchanges": ("request_body", ("id",)),
    "responses": ("body", ("exchange_id", "target")),
}
_LOOKUP_CHUNK = 1000


@dataclass(frozen=True)
class Written:
    """What one batch added: new exchanges, and exchanges the store already held."""

    exchanges: int = 0
    duplicates: int = 0

    def __add__(self, other: Written) -> Written:
        return Written(self.exchanges + other.exchanges, self.duplicates + other.duplicates)


CounterRows = Callable[[Written], pa.Table | None]
"""Given what a batch adds, the capture counters to write in the same batch (or None)."""


class Sink(Protocol):
    """Receives whole batches; a batch is written all or nothing."""

    def write(self, tables: dict[str, pa.Table], counters: CounterRows | None = None) -> Written:
        """Write one batch; `counters` rows go in the same transaction."""
        ...

    def reopen(self) -> None:
        """Start afresh after a failure that left the connection unusable."""
        ...

    def close(self) -> None:
        """Make everything written durable and release the store."""
        ...


class DuckDBSink:
    """Appends batches to a DuckDB file, one transaction per batch, one row per key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create its folder: {exc.strerror}") from None
        self._connection = connect(path, read_only=False)
        try:
            # Before the writer's limit: rebuilding an older store's tables with keys
            # sorts all of it, bodies included (a 33 MB store failed under 128 MB).
            self.notes = migrate(self._connection, str(path))
        except duckdb.Error as exc:
            self._connection.close()
            raise StoreError(f"{path}: cannot migrate the store: {first_line(exc)}") from None
        self._connection.execute(f"SET memory_limit = '{WRITER_MEMORY_LIMIT}'")

    def _open(self) -> duckdb.DuckDBPyConnection:
        connection = connect(self.path, read_only=False)
        connection.execute(f"SET memory_limit = '{WRITER_MEMORY_LIMIT}'")
        return connection

    def reopen(self) -> None:
        """Close the connection, whatever its state, and open the file again."""
        with contextlib.suppress(duckdb.Error):
            self._connection.close()
        self._connection = self._open()

    def write(self, tables: dict[str, pa.Table], counters: CounterRows | None = None) -> Written:
        """Insert every table of the batch in one transaction, leaving out the exchanges the
        file already holds (and repeats within the batch): they count as duplicates."""
        connection = self._connection
        tables, written = self._fresh(tables)
        tables, spilled = self._spill(tables)
        connection.execute("BEGIN")
        try:
            for name, table in tables.items():
                self._insert(name, table)
            extra = counters(written) if counters is not None else None
            if extra is not None:
                self._insert("capture_counters", extra)
            connection.execute("COMMIT")
        except BaseException:
            _quietly(connection, "ROLLBACK")
            for file in spilled:  # bodies of rows that were never stored
                file.unlink(missing_ok=True)
            raise
        return written

    def _spill(self, tables: dict[str, pa.Table]) -> tuple[dict[str, pa.Table], list[Path]]:
        """Large bodies into a Parquet file beside the store, NULL in the tables.

        Written before the transaction, and removed if it fails; a file a crash left
        behind matches no row (readers join a body only where the row's is NULL)."""
        out, files = dict(tables), []
        for name, (column, key) in BODY_COLUMNS.items():
            table = tables.get(name)
            if table is None or not table.num_rows:
                continue
            large = pc.fill_null(pc.greater(pc.binary_length(table[column]), LARGE_BODY), False)
            if not pc.any(large).as_py():
                continue
            folder = bodies_folder(self.path)
            folder.mkdir(exist_ok=True)
            final = folder / f"{name}-{uuid.uuid4().hex}.parquet"
            partial = folder / f".{final.name}.partial"
            pq.write_table(table.filter(large).select([*key, column]), partial)
            os.replace(partial, final)
            files.append(final)
            kept = pc.if_else(large, pa.scalar(None, pa.binary()), table[column])
            out[name] = table.set_column(table.schema.get_field_index(column), column, kept)
        return out, files

    def _fresh(self, tables: dict[str, pa.Table]) -> tuple[dict[str, pa.Table], Written]:
        """The batch without rows of exchanges already stored or repeated in the batch.

        Looked up by key rather than left to `INSERT OR IGNORE`, which holds a whole
        batch in memory to check it: large bodies ran out of the writer's memory."""
        if "exchanges" not in tables:
            # Counters alone; other rows without their exchange (a segment batch whose
            # exchanges file never landed) are orphans: left out.
            return {n: t for n, t in tables.items() if n == "capture_counters"}, Written()
        ids = tables["exchanges"].column("id").to_pylist()
        held = self._held(ids)
        kept = set(ids) - held
        fresh = {"exchanges": tables["exchanges"]}
        if held or len(kept) != len(ids):
            seen: set[str] = set()
            mask = []
            for exchange_id in ids:
                mask.append(exchange_id in kept and exchange_id not in seen)
                seen.add(exchange_id)
            fresh["exchanges"] = tables["exchanges"].filter(pa.array(mask, pa.bool_()))
        for name, table in tables.items():
            if name != "exchanges":
                # Always: one exchange may repeat a row of its own (the same id rewritten
                # twice in one request gives two equal correlations).
                fresh[name] = _first_per_key(table, TABLES[name].key, kept)
        return fresh, Written(len(kept), len(ids) - len(kept))

    def _held(self, ids: list[str]) -> set[str]:
        held: set[str] = set()
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            # Literal lists let DuckDB look the keys up in the index instead of scanning.
            listed = ", ".join(
                "'" + i.replace("'", "''") + "'" for i in ids[start : start + _LOOKUP_CHUNK]
            )
            held.update(
                str(row[0])
                for row in self._connection.execute(
                    f"SELECT id FROM exchanges WHERE id IN ({listed})"
                ).fetchall()
            )
        return held

    def _insert(self, name: str, table: pa.Table) -> None:
        connection = self._connection
        connection.register("twinsight_batch", table)
        try:
            # Counter rows are small and belong to no exchange: the key alone decides.
            verb = "INSERT OR IGNORE" if name == "capture_counters" else "INSERT"
            connection.execute(f"{verb} INTO {name} BY NAME SELECT * FROM twinsight_batch")
        finally:
            # Quietly: in an aborted transaction this fails too, hiding the first error.
            with contextlib.suppress(duckdb.Error):
                connection.unregister("twinsight_batch")

    def checkpoint(self) -> None:
        """Write everything committed into the file itself."""
        self._connection.execute("CHECKPOINT")

    def close(self) -> None:
        """Checkpoint and close the file."""
        try:
            self._connection.execute("CHECKPOINT")
        finally:
            self._connection.close()


class SegmentSink:
    """Writes each batch as Parquet segments `TABLE-WRITER-SEQ.parquet` in a folder.

    A batch appears only when complete: every file is written aside, then renamed into
    place, exchanges last; a failure removes what the attempt wrote. Segments have no
    keys: readers keep the first copy of a key (a retry that lost its cleanup to a crash).
    """

    def __init__(self, folder: Path, writer: str) -> None:
        # Here, not at the top: objects reads the analysis file's name from derived,
        # which imports this module.
        from twinsight.store.objects import ObjectLocation, ObjectSegments

        self.folder, self.writer = folder, writer
        location = ObjectLocation.of(folder)  # s3://bucket/prefix: segments as objects
        self._objects = ObjectSegments.open(location) if location is not None else None
        if self._objects is None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{folder}: cannot create the segment folder: {exc}") from None
        self._seq = 0

    def write(self, tables: dict[str, pa.Table], counters: CounterRows | None = None) -> Written:
        """Write one segment per non-empty table; readers start from exchanges, so they are
        renamed into place last (in object storage: written last, then the manifest)."""
        exchanges = tables["exchanges"].num_rows if "exchanges" in tables else 0
        written = Written(exchanges)
        extra = counters(written) if counters is not None else None
        batch = dict(tables)
        if extra is not None:
            batch["capture_counters"] = extra
        self._seq += 1
        ordered = sorted(batch.items(), key=lambda item: item[0] == "exchanges")
        if self._objects is not None:
            self._objects.put_batch(f"{self.writer}-{self._seq:06d}", ordered)
        else:
            self._place(ordered)
        return written

    def _place(self, ordered: list[tuple[str, pa.Table]]) -> None:
        """Write each table aside, then rename them into place in that order."""
        # Recreated if someone removed it mid-run: what was in it is gone, the rest is not.
        self.folder.mkdir(parents=True, exist_ok=True)
        placed: list[Path] = []
        partials: list[tuple[Path, Path]] = []
        try:
            for name, table in ordered:
                final = self.folder / f"{name}-{self.writer}-{self._seq:06d}.parquet"
                partial = self.folder / f".{final.name}.{uuid.uuid4().hex}.partial"
                partials.append((partial, final))
                pq.write_table(table, partial, compression="zstd")
            for partial, final in partials:
                os.replace(partial, final)
                placed.append(final)
        except BaseException:
            for path in [p for p, _ in partials] + placed:
                path.unlink(missing_ok=True)
            raise

    def reopen(self) -> None:
        """Nothing to reopen: each batch opens its own files."""

    def close(self) -> None:
        """Nothing to release: every segment is complete once written."""


def absorb_segments(folder: Path, path: Path, *, remove: bool = False) -> Written:
    """Append the segments in `folder` to the DuckDB file at `path`, one transaction per
    written batch (a writer's exchanges, responses, correlations and counters of one flush).
    For work done by several processes at once, which a DuckDB file cannot take directly.
    Keys the file already holds are skipped, so absorbing a folder twice adds nothing.
    A folder in object storage (s3://bucket/prefix) is absorbed from a local copy of it.

    `remove` (a local folder): the segments found are removed once absorbed, before the
    file is let go. A reader of the file lists the segments beside it after attaching the
    file, which it cannot do while this holds it: so no reader lists a segment removed."""
    from twinsight.store.objects import ObjectLocation, pull

    location = ObjectLocation.of(folder)
    folder = pull(location) if location is not None else folder
    found = sorted(folder.glob("*.parquet"))
    batches: dict[str, dict[str, Path]] = {}
    for file in found:
        table, _, rest = file.stem.partition("-")
        if table in TABLES:
            batches.setdefault(rest, {})[table] = file
    remove = remove and location is None  # the local copy of a bucket is not the bucket
    sink = DuckDBSink(path)
    total = Written()
    try:
        for files in batches.values():
            tables = {name: _read_segment(file) for name, file in files.items()}
            total += sink.write(tables)
        if remove and found:
            sink.checkpoint()  # into the file itself before the segments go
            for file in found:
                file.unlink(missing_ok=True)
        sink.close()
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):  # the first failure is the one to tell
            sink.close()
        if isinstance(exc, duckdb.Error):  # each batch went in whole or not at all
            raise StoreError(f"{path}: cannot absorb the segments: {first_line(exc)}") from None
        raise
    return total


def _read_segment(file: Path) -> pa.Table:
    try:
        return pq.read_table(file)
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"{file}: cannot read the segment: {first_line(exc)}") from None


def _first_per_key(table: pa.Table, key: tuple[str, ...], exchanges: set[str]) -> pa.Table:
    """Rows of `table` belonging to `exchanges`, the first of each key."""
    seen: set[tuple[object, ...]] = set()
    mask = []
    columns = [table.column(name).to_pylist() for name in key]
    for values in zip(*columns, strict=True):
        row_key = tuple(values)
        # Counter rows belong to no exchange; every other table starts its key with one.
        mine = key[0] != "exchange_id" or values[0] in exchanges
        mask.append(mine and row_key not in seen)
        seen.add(row_key)
    return table.filter(pa.array(mask, pa.bool_()))


def _quietly(connection: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Run `statement`, ignoring a connection already unusable (the caller reports why)."""
    with contextlib.suppress(duckdb.Error):
        connection.execute(statement)
