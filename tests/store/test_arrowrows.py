"""Rows read through Arrow column by column equal DuckDB's own rows, header lists as pairs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from twinsight.store.arrowrows import arrow_rows
from twinsight.testing import get_item, write_store

LINE = pa.struct([("name", pa.string()), ("value", pa.string())])
text = st.text(max_size=8)
lines = st.lists(st.fixed_dictionaries({"name": text, "value": st.none() | text}), max_size=4)
rows = st.lists(
    st.tuples(st.none() | lines, st.none() | st.binary(max_size=8), st.none() | st.integers(-9, 9)),
    max_size=30,
)


def as_pairs(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """DuckDB's row with its header list as `arrow_rows` gives it."""
    headers, *rest = row
    pairs = None if headers is None else tuple((h["name"], h["value"]) for h in headers)
    return (pairs, *rest)


@given(rows, st.integers(1, 7))
def test_rows_through_arrow_equal_duckdb_rows(table: list[tuple[Any, ...]], batch: int) -> None:
    columns = list(zip(*table, strict=True)) or [[], [], []]
    found = pa.table(
        [pa.array(columns[0], pa.list_(LINE)), pa.array(columns[1], pa.binary()), columns[2]],
        names=["headers", "body", "n"],
    )
    with duckdb.connect() as connection:
        connection.register("found", found)
        expected = connection.execute("SELECT * FROM found").fetchall()
        read = list(arrow_rows(connection.sql("SELECT * FROM found").to_arrow_reader(batch)))
    assert read == [as_pairs(row) for row in expected]


def test_a_sliced_header_list_keeps_its_own_lines() -> None:
    listed = pa.array(
        [[{"name": "a", "value": "1"}], None, [], [{"name": "b", "value": "2"}]], pa.list_(LINE)
    )
    batch = pa.record_batch([listed.slice(1)], names=["headers"])
    read = list(arrow_rows(pa.RecordBatchReader.from_batches(batch.schema, [batch])))
    assert read == [(None,), ((),), ((("b", "2"),),)]


def test_a_process_that_opens_a_store_takes_arrow_buffers_from_the_system_allocator(
    tmp_path: Path,
) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, [get_item(1, {"legacy": {}, "candidate": {}})])
    # A process of its own: the default pool is Arrow's until a store is opened.
    script = (
        "import sys, pyarrow as pa; from pathlib import Path; from twinsight.store import Store\n"
        "before = pa.default_memory_pool().backend_name\n"
        "Store.open(Path(sys.argv[1]), None).close()\n"
        "print(before, pa.default_memory_pool().backend_name)"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(store)], capture_output=True, text=True, check=True
    )
    before, after = run.stdout.split()
    assert before != "system"
    assert after == "system"
