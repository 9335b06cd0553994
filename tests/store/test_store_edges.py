"""Edges of the store a review found: each failed before its fix."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from twinsight.records import Body, Correlation
from twinsight.store import (
    DuckDBSink,
    Redactor,
    SegmentSink,
    StoreError,
    StoreWriter,
    absorb_segments,
    check_store,
    open_store,
)
from twinsight.store.files import bodies_folder
from twinsight.store.sinks import CounterRows, Written
from twinsight.testing import exchange

from .helpers import unkeyed_tables
from .test_exactly_once import raw_counts


def test_an_exchange_repeating_a_correlation_of_its_own_is_stored(tmp_path: Path) -> None:
    # `/users/42/friends/42` rewrites the same id twice: two equal correlation rows.
    pair = Correlation("candidate", "42", "u-9", "path")
    item = replace(exchange("/users/42/friends/42"), correlations=(pair, pair))
    writer = StoreWriter(DuckDBSink(tmp_path / "s.duckdb"), redactor=Redactor())
    writer.submit(item)
    writer.close()
    assert writer.counters["stored"] == 1
    assert writer.counters["dropped.store_error"] == 0
    rows = open_store(tmp_path / "s.duckdb").execute("SELECT count(*) FROM correlations")
    assert rows.fetchone() == (1,)


class Held(DuckDBSink):
    """Holds every write until released, then fails it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.entered, self.release = threading.Event(), threading.Event()

    def write(self, tables: dict[str, pa.Table], counters: CounterRows | None = None) -> Written:
        self.entered.set()
        self.release.wait(10)
        raise OSError("injected: the disk is full")


def test_the_backlog_bound_holds_while_a_flush_is_in_progress(tmp_path: Path) -> None:
    sink = Held(tmp_path / "s.duckdb")
    writer = StoreWriter(sink, redactor=Redactor(), max_backlog=10, flush_interval=0.01).start()
    for _ in range(10):
        assert writer.submit(exchange())
    assert sink.entered.wait(10)  # the flush holds all ten
    accepted = sum(writer.submit(exchange()) for _ in range(10))
    sink.release.set()
    writer.close()
    assert accepted == 0
    assert writer.counters["dropped.store_backlog"] == 10


def test_a_large_body_of_a_failed_batch_leaves_no_file_and_never_shadows_a_stored_one(
    tmp_path: Path,
) -> None:
    class FailAfterResponses(DuckDBSink):
        failures = 1

        def _insert(self, name: str, table: pa.Table) -> None:
            super()._insert(name, table)
            if name == "responses" and self.failures:
                self.failures -= 1
                raise OSError("injected: the commit failed")

    path = tmp_path / "s.duckdb"
    large = exchange(legacy=b'{"a": "' + b"x" * 100_000 + b'"}')
    sink = FailAfterResponses(path)
    first = StoreWriter(sink, redactor=Redactor(), max_body=1 << 20)
    first.submit(large)
    first.flush()  # fails, and is tried again at close: that one goes in
    first.close()
    assert len(list(bodies_folder(path).glob("*.parquet"))) == 1  # the failed one removed
    (body,) = (
        open_store(path).execute("SELECT body FROM responses WHERE target = 'legacy'").fetchall()
    )
    assert len(body[0]) == len(large.responses[0].body.data)


def test_an_older_store_with_large_bodies_is_keyed_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    blob = os.urandom(128 << 10)
    with duckdb.connect(str(path)) as connection:
        unkeyed_tables(connection)
        connection.execute(
            "INSERT INTO exchanges (id, method, path) SELECT 'e' || i, 'GET', '/' "
            "FROM range(500) t(i)"
        )
        connection.execute(
            "INSERT INTO responses (exchange_id, target, status, body) "
            "SELECT 'e' || i, 'legacy', 200, ? FROM range(500) t(i)",
            [blob],
        )
    DuckDBSink(path).close()  # failed under the writer's memory limit (64 MB of bodies)
    assert raw_counts(path) == (500, 500)


def test_absorbing_a_batch_whose_exchanges_never_landed_adds_nothing_twice(
    tmp_path: Path,
) -> None:
    folder, path = tmp_path / "segments", tmp_path / "s.duckdb"
    writer = StoreWriter(SegmentSink(folder, "w"), redactor=Redactor())
    for _ in range(3):
        writer.submit(exchange())
    writer.close()
    for file in folder.glob("exchanges-*.parquet"):  # a kill between the renames
        file.rename(file.with_name("." + file.name + ".partial"))
    assert absorb_segments(folder, path) == Written()
    assert absorb_segments(folder, path) == Written()
    assert raw_counts(path) == (0, 0)


def test_an_unkeyed_store_reads_the_first_written_copy_every_time(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as connection:
        unkeyed_tables(connection)
        for path_written in ("/first", "/later"):
            connection.execute(
                "INSERT INTO exchanges (id, method, path) SELECT 'e' || i, 'GET', ? "
                "FROM range(50000) t(i)",
                [path_written],
            )
    for _ in range(3):
        reader = open_store(path)
        assert reader.execute("SELECT path, count(*) FROM exchanges GROUP BY 1").fetchall() == [
            ("/first", 50000)
        ]
        reader.close()


def test_closing_twice_counts_once(tmp_path: Path) -> None:
    class Down(DuckDBSink):
        def write(
            self, tables: dict[str, pa.Table], counters: CounterRows | None = None
        ) -> Written:
            raise OSError("injected: down")

    writer = StoreWriter(Down(tmp_path / "s.duckdb"), redactor=Redactor())
    for _ in range(3):
        writer.submit(exchange())
    writer.close()
    writer.close()
    assert writer.counters["dropped.store_unavailable"] == 3
    assert writer.counters["closed"] == 1


def test_store_check_refuses_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(StoreError, match="not a twinsight store"):
        check_store(path, None)
    with pytest.raises(StoreError, match="not a twinsight store"):
        check_store(path, None, repair=True)
    with duckdb.connect(str(path)) as connection:  # and --repair added nothing to it
        assert connection.execute("SELECT count(*) FROM duckdb_tables()").fetchone() == (1,)


def test_a_body_stored_beside_the_file_reads_back_whole(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    item = exchange(legacy=b'{"a": "' + b"y" * 50_000 + b'"}')
    writer = StoreWriter(DuckDBSink(path), redactor=Redactor())
    writer.submit(item)
    writer.close()
    (body,) = (
        open_store(path).execute("SELECT body FROM responses WHERE target = 'legacy'").fetchall()
    )
    assert body[0] == item.responses[0].body.data
    assert Body.of(body[0], 1 << 20).sha256 == item.responses[0].body.sha256
