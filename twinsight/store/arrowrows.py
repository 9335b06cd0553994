"""Rows of a wide read turned into Python column by column, from DuckDB's Arrow batches.

Analysis reads every request and every answer, bodies and header lists included. DuckDB
turning each row into Python values one by one was the largest single cost of reading
(about twice the Arrow way, on small JSON exchanges), and each header line became a dict
that readers turned into a pair again. Here each column of a batch is converted at once,
and header lists (`list<struct<name, value>>`) become tuples of (name, value) pairs.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pyarrow as pa

__all__ = ["HeaderPairs", "arrow_rows", "system_arrow_pool"]

HeaderPairs = tuple[tuple[str, str], ...]
"""Header lines in order, as (name, value) pairs."""


def arrow_rows(batches: pa.RecordBatchReader) -> Iterator[tuple[Any, ...]]:
    """Each row of `batches` as a tuple of Python values, header lists as `HeaderPairs`."""
    for batch in batches:
        yield from zip(*(_values(column) for column in batch.columns), strict=True)


def _values(column: pa.Array) -> list[Any]:
    if _is_header_list(column.type):
        return _header_pairs(column)
    values: list[Any] = column.to_pylist()
    return values


def _is_header_list(kind: pa.DataType) -> bool:
    listed = pa.types.is_list(kind) or pa.types.is_large_list(kind)
    if not listed or not pa.types.is_struct(kind.value_type):
        return False
    return [field.name for field in kind.value_type] == ["name", "value"]


def _header_pairs(column: pa.ListArray) -> list[HeaderPairs | None]:
    """Each row's header lines as pairs (None where the list is NULL): the names and values
    of the whole batch converted at once, then sliced per row."""
    offsets = column.offsets.to_pylist()  # into `values`, which a slice does not cut
    first = offsets[0]
    lines = column.values.slice(first, offsets[-1] - first)
    names, values = lines.field("name").to_pylist(), lines.field("value").to_pylist()
    pairs = list(zip(names, values, strict=True))
    found: list[HeaderPairs | None] = [
        tuple(pairs[start - first : end - first]) for start, end in pairwise(offsets)
    ]
    if column.null_count:
        for row, valid in enumerate(column.is_valid().to_pylist()):
            if not valid:
                found[row] = None
    return found


def system_arrow_pool() -> None:
    """Take Arrow's buffers from the system allocator in this process from now on.

    A reading process (analysis and its workers, reports) allocates Arrow buffers in bursts:
    each batch read, each Parquet file of derived rows written or read back. Arrow's
    default pool (mimalloc) keeps what they free: measured at 200,000 exchanges, the
    analysing process held 38 MB more at its peak, the parent of two workers 96 MB and each
    worker 40-60 MB, for no speed measured. The system allocator hands large buffers back
    to the OS as they are freed. Buffers made before the switch are freed to their own pool.
    """
    if pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())
