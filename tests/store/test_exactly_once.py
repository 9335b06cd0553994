"""Each exchange stored exactly once: keys, all-or-nothing batches, idempotent retries."""

from __future__ import annotations

import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli.run import twinsight
from twinsight.records import Exchange
from twinsight.store import (
    DuckDBSink,
    Redactor,
    SegmentSink,
    StoreWriter,
    absorb_segments,
    check_store,
    open_store,
    store_info,
)
from twinsight.store import sinks as sinks_module
from twinsight.store.schema import TABLES
from twinsight.store.sinks import CounterRows, Written
from twinsight.testing import exchange

from .helpers import unkeyed_tables

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def ids_in(connection: duckdb.DuckDBPyConnection, table: str = "exchanges") -> list[str]:
    column = "id" if table == "exchanges" else "exchange_id"
    return [row[0] for row in connection.execute(f"SELECT {column} FROM {table}").fetchall()]


def raw_counts(path: Path) -> tuple[int, int]:
    """(exchanges, responses) rows in the file itself, without any reader's deduplication."""
    with duckdb.connect(str(path), read_only=True) as connection:
        row = connection.execute(
            "SELECT (SELECT count(*) FROM exchanges), (SELECT count(*) FROM responses)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


class FailingAfterFirstTable(DuckDBSink):
    """Fails its first batch after the first table went in (inside the transaction)."""

    failures = 1

    def _insert(self, name: str, table: pa.Table) -> int:
        added = super()._insert(name, table)
        if self.failures:
            self.failures -= 1
            raise OSError("injected: failed after the first table")
        return added


def test_a_batch_failing_after_its_first_table_is_retried_once(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    items = [exchange(f"/tasks/{i}") for i in range(50)]
    writer = StoreWriter(FailingAfterFirstTable(path), redactor=Redactor())
    for item in items:
        assert writer.submit(item)
    writer.flush()  # the first attempt fails whole; the halves go in
    writer.close()
    assert raw_counts(path) == (50, 100)
    assert sorted(ids_in(open_store(path))) == sorted(i.id for i in items)
    assert writer.counters["stored"] == 50


def test_a_batch_committed_then_reported_failed_is_not_doubled(tmp_path: Path) -> None:
    class CommitThenFail(DuckDBSink):
        failures = 1

        def write(
            self, tables: dict[str, pa.Table], counters: CounterRows | None = None
        ) -> Written:
            written = super().write(tables, counters)
            if self.failures:
                self.failures -= 1
                raise OSError("injected: the commit went through, the caller heard otherwise")
            return written

    path = tmp_path / "s.duckdb"
    items = [exchange() for _ in range(10)]
    writer = StoreWriter(CommitThenFail(path), redactor=Redactor())
    for item in items:
        writer.submit(item)
    writer.flush()
    writer.close()
    assert raw_counts(path) == (10, 20)
    assert writer.counters["duplicate"] == 10


def test_a_segment_batch_failing_after_its_first_file_leaves_nothing_and_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real, calls = sinks_module.os.replace, []

    def flaky_replace(source: Any, target: Any) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError("injected: rename failed")
        real(source, target)

    monkeypatch.setattr(sinks_module.os, "replace", flaky_replace)
    folder = tmp_path / "segments"
    writer = StoreWriter(SegmentSink(folder, "w"), redactor=Redactor())
    items = [exchange() for _ in range(5)]
    for item in items:
        writer.submit(item)
    writer.flush()
    writer.close()
    assert not list(folder.glob(".*partial"))
    connection = open_store(segments=folder)
    assert sorted(ids_in(connection)) == sorted(i.id for i in items)
    assert len(ids_in(connection, "responses")) == 10


def test_the_same_exchange_submitted_twice_is_stored_once(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    item = exchange()
    writer = StoreWriter(DuckDBSink(path), redactor=Redactor())
    writer.submit(item)
    writer.submit(item)  # in one batch
    writer.flush()
    writer.submit(item)  # and in a later one
    writer.close()
    assert raw_counts(path) == (1, 2)
    assert writer.counters["stored"] == 1
    assert writer.counters["duplicate"] == 2


def test_absorbing_a_segment_folder_twice_adds_nothing(tmp_path: Path) -> None:
    folder, path = tmp_path / "segments", tmp_path / "s.duckdb"
    writer = StoreWriter(SegmentSink(folder, "w"), redactor=Redactor())
    for _ in range(7):
        writer.submit(exchange())
    writer.close()
    assert absorb_segments(folder, path) == Written(7, 0)
    assert absorb_segments(folder, path) == Written(0, 7)
    assert raw_counts(path) == (7, 14)
    # Read together, the file and the segments it absorbed count each exchange once.
    both = open_store(path, folder)
    info = store_info(both, [path, folder])
    assert info.exchanges == 7
    assert len(ids_in(both, "responses")) == 14


def test_segments_copied_twice_read_as_one(tmp_path: Path) -> None:
    folder = tmp_path / "segments"
    writer = StoreWriter(SegmentSink(folder, "w"), redactor=Redactor())
    for _ in range(3):
        writer.submit(exchange())
    writer.close()
    for file in folder.glob("*-w-*.parquet"):
        table, _, rest = file.name.partition("-")
        (folder / f"{table}-copy-{rest}").write_bytes(file.read_bytes())
    assert len(ids_in(open_store(segments=folder))) == 3
    report = check_store(None, folder)
    assert report.duplicates["exchanges"] == (3, 0)


# -- a property: any interleaving of writes, failures and retries --------------------

FAULTS = st.sampled_from(["none", "before", "after_first_table", "after_commit"])


class Scripted(DuckDBSink):
    """A DuckDB sink failing where a script says, write by write."""

    def __init__(self, path: Path, script: list[str]) -> None:
        super().__init__(path)
        self.script = script
        self.fault = "none"

    def write(self, tables: dict[str, pa.Table], counters: CounterRows | None = None) -> Written:
        self.fault = self.script.pop(0) if self.script else "none"
        if self.fault == "before":
            raise OSError("injected before")
        written = super().write(tables, counters)
        if self.fault == "after_commit":
            raise OSError("injected after commit")
        return written

    def _insert(self, name: str, table: pa.Table) -> int:
        added = super()._insert(name, table)
        if self.fault == "after_first_table":
            raise OSError("injected after the first table")
        return added


class ScriptedSegments(SegmentSink):
    def __init__(self, folder: Path, script: list[str]) -> None:
        super().__init__(folder, "w")
        self.script = script

    def write(self, tables: dict[str, pa.Table], counters: CounterRows | None = None) -> Written:
        fault = self.script.pop(0) if self.script else "none"
        if fault == "before":
            raise OSError("injected before")
        written = super().write(tables, counters)
        if fault in ("after_commit", "after_first_table"):
            raise OSError("injected after the files were placed")
        return written


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("submit"), st.integers(1, 6)),
        st.tuples(st.just("resubmit"), st.integers(0, 30)),
        st.tuples(st.just("flush"), st.just(0)),
    ),
    min_size=1,
    max_size=12,
)


@PROPERTY
@given(steps=STEPS, script=st.lists(FAULTS, max_size=20), segments=st.booleans())
def test_every_acknowledged_exchange_is_stored_exactly_once(
    tmp_path_factory: pytest.TempPathFactory,
    steps: list[tuple[str, int]],
    script: list[str],
    segments: bool,
) -> None:
    where = tmp_path_factory.mktemp("prop")
    sink: DuckDBSink | SegmentSink = (
        ScriptedSegments(where / "seg", list(script))
        if segments
        else Scripted(where / "s.duckdb", list(script))
    )
    writer = StoreWriter(sink, redactor=Redactor())
    acknowledged: list[Exchange] = []
    for action, amount in steps:
        if action == "submit":
            for _ in range(amount):
                item = exchange()
                if writer.submit(item):
                    acknowledged.append(item)
        elif action == "resubmit" and acknowledged:
            writer.submit(acknowledged[amount % len(acknowledged)])
        else:
            writer.flush()
    # However the store failed on the way, enough flushes store everything.
    for _ in range(len(script) + 2):
        writer.flush()
    writer.close()
    connection = open_store(segments=where / "seg") if segments else open_store(where / "s.duckdb")
    stored = ids_in(connection)
    assert sorted(stored) == sorted({i.id for i in acknowledged})
    assert sorted(ids_in(connection, "responses")) == sorted(2 * stored)
    if not segments:
        assert raw_counts(where / "s.duckdb") == (len(stored), 2 * len(stored))
    assert store_info(connection, []).lost == 0


# -- older stores: migration and `store check` ----------------------------------------


def unkeyed_store_with_copies(path: Path) -> list[str]:
    """A schema-2 store (no keys) holding exact and differing copies; returns its ids."""
    with duckdb.connect(str(path)) as connection:
        unkeyed_tables(connection)
        for row in ("a", "a", "b", "c"):  # 'a' twice: an exact copy
            connection.execute(
                "INSERT INTO exchanges (id, method, path) VALUES (?, 'GET', '/x')", [row]
            )
        connection.execute("INSERT INTO exchanges (id, method, path) VALUES ('b', 'PATCH', '/')")
        for row in ("a", "a", "b", "c", "zombie"):
            connection.execute(
                "INSERT INTO responses (exchange_id, target, status) VALUES (?, 'legacy', 200)",
                [row],
            )
    return ["a", "b", "c"]


def test_store_check_finds_copies_and_repair_removes_them(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    unkeyed_store_with_copies(path)
    before = check_store(path, None)
    assert before.duplicates["exchanges"] == (1, 1)
    assert before.duplicates["responses"] == (1, 0)
    assert before.orphan_responses == 1
    assert set(before.unkeyed) == set(TABLES)
    repaired = check_store(path, None, repair=True)
    assert any(
        "exchanges: removed 1 exact duplicate row(s) and 1 differing" in n
        for n in repaired.repaired
    )
    assert repaired.duplicates["exchanges"] == (0, 0)
    assert repaired.unkeyed == []
    assert raw_counts(path) == (3, 4)
    with duckdb.connect(str(path)) as connection:  # the first written copy of 'b' is kept
        assert connection.execute("SELECT method FROM exchanges WHERE id = 'b'").fetchall() == [
            ("GET",)
        ]


def test_store_check_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    unkeyed_store_with_copies(path)

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return twinsight("store", "check", "--store", str(path), *extra)

    found = run()
    assert found.returncode == 1, found.stderr
    assert "exchanges: 1 exact duplicate row(s), 1 differing" in found.stdout
    assert "--repair removes duplicates" in found.stderr
    repaired = run("--repair")
    assert "repaired" in repaired.stdout
    assert "responses: 1 without their exchange" in repaired.stdout  # orphans are reported
    assert repaired.returncode == 1
    assert "Traceback" not in found.stderr + repaired.stderr


def test_opening_an_older_store_for_writing_keys_it(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    unkeyed_store_with_copies(path)
    sink = DuckDBSink(path)
    assert sink.notes == [
        "exchanges: removed 1 exact duplicate row(s) and 1 differing cop(ies) of a key "
        "(the first written kept)",
        "responses: removed 1 exact duplicate row(s) and 0 differing cop(ies) of a key "
        "(the first written kept)",
    ]
    sink.close()
    assert raw_counts(path) == (3, 4)


# -- the writer never wedges ----------------------------------------------------------


def big(size: int, max_body: int, json: bool = False) -> Exchange:
    """An exchange whose two answers are `size` bytes each, `max_body` of them kept: a JSON
    document (redacted as one, at C speed) or text (scanned by pattern, at about 70 ns a
    byte), each as large."""
    answer = b'["' + b"x" * (size - 4) + b'"]' if json else b"x" * size
    item = exchange()
    responses = tuple(
        replace(r, body=replace(r.body, data=answer[:max_body], size=size)) for r in item.responses
    )
    return replace(item, responses=responses)


# Text and JSON answers alike: the sizes are what these are about, and a text scan of the
# largest totals (200 MiB each) would take most of their time for no more than 1x50MB shows.
@pytest.mark.parametrize(
    ("count", "size", "max_body", "json"),
    [
        (60, 1 << 20, 1 << 20, False),
        (5, 20 << 20, 32 << 20, True),
        (1, 50 << 20, 100 << 20, False),
        # Kept in the tables, these failed every write at ~100 MiB.
        (800, 128 << 10, 1 << 20, True),
    ],
    ids=["60x1MiB", "5x20MB", "1x50MB", "800x128KiB"],
)
def test_large_answers_do_not_stop_the_store(
    tmp_path: Path, count: int, size: int, max_body: int, json: bool
) -> None:
    path = tmp_path / "s.duckdb"
    writer = StoreWriter(DuckDBSink(path), redactor=Redactor(), max_body=max_body)
    for _ in range(count):
        assert writer.submit(big(size, max_body, json))
    writer.flush()
    for _ in range(300):
        writer.submit(exchange())
    writer.close()
    assert writer.failure is None
    assert raw_counts(path) == (count + 300, 2 * (count + 300))
    assert writer.counters["stored"] == count + 300


class Refusing(DuckDBSink):
    """Refuses any batch holding one given exchange (as DuckDB refuses bad data), or every
    batch while `down` (as a full disk does)."""

    def __init__(self, path: Path, poison: str = "") -> None:
        super().__init__(path)
        self.poison, self.down, self.calls = poison, False, 0

    def write(self, tables: dict[str, pa.Table], counters: CounterRows | None = None) -> Written:
        self.calls += 1
        ids = tables["exchanges"].column("id").to_pylist() if "exchanges" in tables else []
        if self.down:
            raise OSError("injected: refused")
        if self.poison in ids:
            raise duckdb.ConversionException("injected: refused")
        return super().write(tables, counters)


def test_an_exchange_the_store_refuses_is_dropped_after_retries_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    items = [exchange() for _ in range(64)]
    sink = Refusing(tmp_path / "s.duckdb", poison=items[37].id)
    writer = StoreWriter(sink, redactor=Redactor())
    for item in items:
        writer.submit(item)
    writer.flush()
    assert writer.counters["stored"] == 63
    assert writer.backlog == 1
    assert sink.calls <= 2 * 7 + 2  # found by halving, not one write per exchange
    writer.flush()
    writer.flush()
    assert writer.counters["dropped.store_error"] == 1
    assert writer.backlog == 0
    writer.close()
    assert raw_counts(tmp_path / "s.duckdb") == (63, 126)
    assert writer.failure is None
    info = store_info(open_store(tmp_path / "s.duckdb"), [])
    assert info.counters["dropped.store_error"] == 1
    assert sum("refused" in r.message for r in caplog.records if r.levelname == "ERROR") <= 3


def test_a_store_that_is_down_keeps_the_backlog_and_says_why(tmp_path: Path) -> None:
    sink = Refusing(tmp_path / "s.duckdb")
    sink.down = True
    writer = StoreWriter(sink, redactor=Redactor())
    items = [exchange() for _ in range(200)]
    for item in items:
        writer.submit(item)
    for _ in range(5):
        calls = sink.calls
        assert writer.flush() == 0
        assert sink.calls - calls <= 2 * 8 + 2
    assert writer.failure == "OSError: injected: refused"
    assert writer.backlog == 200  # nothing dropped while the store is down
    sink.down = False
    assert writer.flush() == 200
    assert writer.failure is None
    writer.close()
    assert raw_counts(tmp_path / "s.duckdb") == (200, 400)


def test_closing_on_a_dead_store_counts_what_is_left_and_does_not_raise(tmp_path: Path) -> None:
    sink = Refusing(tmp_path / "s.duckdb")
    sink.down = True
    writer = StoreWriter(sink, redactor=Redactor())
    for _ in range(5):
        writer.submit(exchange())
    writer.close()
    assert writer.counters["dropped.store_unavailable"] == 5


def test_the_backlog_is_bounded_in_bytes(tmp_path: Path) -> None:
    writer = StoreWriter(
        DuckDBSink(tmp_path / "s.duckdb"), redactor=Redactor(), max_backlog_bytes=3 << 20
    )
    accepted = [writer.submit(big(1 << 20, 1 << 20)) for _ in range(3)]
    assert accepted == [True, False, False]  # each holds two 1 MiB answers
    assert writer.counters["dropped.store_backlog"] == 2
    writer.close()


def test_an_exchange_larger_than_the_byte_bound_still_goes_through_alone(tmp_path: Path) -> None:
    writer = StoreWriter(
        DuckDBSink(tmp_path / "s.duckdb"), redactor=Redactor(), max_backlog_bytes=1 << 20
    )
    assert writer.submit(big(4 << 20, 4 << 20))
    writer.close()
    assert raw_counts(tmp_path / "s.duckdb") == (1, 2)


def test_an_importer_waiting_on_a_dead_store_stops_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from twinsight.store import StoreError
    from twinsight.store import writer as writer_module

    monkeypatch.setattr(writer_module, "STUCK_AFTER_S", 0.3)
    sink = Refusing(tmp_path / "s.duckdb")
    sink.down = True
    writer = StoreWriter(sink, redactor=Redactor(), flush_interval=0.02, max_backlog=5).start()

    def import_many() -> None:
        for _ in range(100):  # the backlog fills; put waits for the store, then stops
            writer.put(exchange())

    started = time.monotonic()
    with pytest.raises(StoreError, match="cannot write the store: OSError: injected: refused"):
        import_many()
    assert time.monotonic() - started < 5
    writer.close()
    assert writer.counters["dropped.store_unavailable"] >= 5
