"""Rows of one table gathered column by column and turned into Arrow as they grow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from twinsight.store.schema import Table

__all__ = ["Columns"]


class Columns:
    """Rows of `table` (its typed rows), sealed into compact Arrow batches every `batch` rows.

    With `spill`, sealed batches go to that Parquet file instead of memory: the
    differences of a million exchanges need not all be held at once.
    """

    # Rows waiting to be sealed are Python tuples, many times their Arrow size: sealing
    # every 10,000 rather than 50,000 took ~40 MB off each analysing worker at a million
    # exchanges, at no cost in time measured.
    def __init__(self, table: Table, *, batch: int = 10_000, spill: Path | None = None):
        self.declared, self.name, self.batch, self.spill = table, table.name, batch, spill
        self.schema = table.arrow_schema()
        # Rows as given, turned into columns when sealed (`zip(*rows)`): appending each
        # value to its column's list was ~7 µs a row in Python, most of a collector's cost.
        self.pending: list[tuple[Any, ...]] = []
        self.width = len(table.columns)
        self.batches: list[pa.RecordBatch] = []
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def add(self, row: tuple[Any, ...]) -> None:
        """Append one row (the table's row type: its fields are the columns, in order)."""
        if len(row) != self.width:
            raise ValueError(f"{self.name}: a row of {len(row)} values for {self.width} columns")
        self.pending.append(row)
        self.rows += 1
        if self.rows % self.batch == 0:
            self._seal()

    def _seal(self) -> None:
        if self.pending:
            arrays = [
                pa.array(values, field.type)
                for values, field in zip(zip(*self.pending, strict=True), self.schema, strict=True)
            ]
            sealed = pa.record_batch(arrays, schema=self.schema)
            self.pending = []
            if self.spill is None:
                self.batches.append(sealed)
            else:
                self._spill_writer().write_batch(sealed)

    def _spill_writer(self) -> pq.ParquetWriter:
        assert self.spill is not None
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.spill, self.schema)
        return self._writer

    def extend(self, source: Path) -> None:
        """Append every row of the Parquet file `source` (this table's schema), batch by
        batch: how the rows a worker process gathered join the run's."""
        self._seal()
        for read in pq.ParquetFile(source).iter_batches():
            # As declared: a file DuckDB wrote marks a NOT NULL column's field required.
            sealed = pa.RecordBatch.from_arrays(read.columns, schema=self.schema)
            self.rows += sealed.num_rows
            if self.spill is None:
                self.batches.append(sealed)
            else:
                self._spill_writer().write_batch(sealed)

    def table(self) -> pa.Table:
        """Everything added, as one table (read back from the spill file if there is one)."""
        source = self.source()
        return pq.read_table(source) if isinstance(source, Path) else source

    def source(self) -> pa.Table | Path:
        """Everything added: the table, or the finished spill file."""
        self._seal()
        if self.spill is None:
            return pa.Table.from_batches(self.batches, schema=self.schema)
        self._spill_writer().close()
        return self.spill

    def column(self, name: str) -> list[Any]:
        """One column as Python values (for small results)."""
        values: list[Any] = self.table().column(name).to_pylist()
        return values
