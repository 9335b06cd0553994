"""A segment folder's derived tables as Parquet beside it: each file a run's rows, the files
of a table always what `analysis.duckdb` holds, hidden until their write commits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.analysis.test_workers import synthetic
from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.store import SegmentSink, exported
from twinsight.store.derived import DERIVED_FILE, Derived
from twinsight.store.exported import EXPORT_FOLDER, EXPORTED, Export
from twinsight.testing import write_store


def _analysed(folder: Path, *seeds: int, full: bool = False) -> None:
    for seed in seeds:
        write_store(SegmentSink(folder, f"w{seed}"), synthetic(60, seed=seed))
    analyze_store(None, folder, config=Config(), spec=None, workers=1, full=full)


def _held(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every exported table in `analysis.duckdb`, its rows sorted."""
    with duckdb.connect(str(folder / DERIVED_FILE), read_only=True) as connection:
        names = {r[0] for r in connection.execute("SHOW TABLES").fetchall()} & EXPORTED
        return {t: sorted(connection.execute(f"SELECT * FROM {t}").fetchall()) for t in names}


def _exported(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table in `derived/`, as a reader other than twinsight reads it."""
    found = {}
    for table in sorted((folder / EXPORT_FOLDER).iterdir()):
        read = pq.read_table(table).to_pylist()  # pyarrow's dataset: passes over hidden files
        found[table.name] = sorted(tuple(r.values()) for r in read)
    return found


def _files(folder: Path, table: str) -> list[str]:
    return sorted(f.name for f in (folder / EXPORT_FOLDER / table).iterdir())


def test_the_parquet_files_hold_what_the_analysis_file_holds(tmp_path: Path) -> None:
    _analysed(tmp_path, 1)
    held = _held(tmp_path)
    assert {"classifications", "differences", "clusters", "analysis_runs"} <= set(held)
    assert held["differences"]
    assert held["clusters"]
    assert _exported(tmp_path) == held
    assert not (tmp_path / EXPORT_FOLDER / "evidence").exists()  # the next run's state


def test_a_run_over_new_exchanges_adds_a_file_of_their_rows_only(tmp_path: Path) -> None:
    _analysed(tmp_path, 1)
    first = _files(tmp_path, "classifications")
    _analysed(tmp_path, 2)
    files = _files(tmp_path, "classifications")
    assert len(files) == 2
    assert first[0] in files
    (added,) = set(files) - set(first)
    new = pq.read_table(tmp_path / EXPORT_FOLDER / "classifications" / added)
    assert new.num_rows == 60  # the second writer's exchanges, judged by the second run
    assert len(_files(tmp_path, "clusters")) == 1  # replaced, its older file gone
    assert _exported(tmp_path) == _held(tmp_path)


def test_a_table_added_to_by_many_runs_is_written_whole_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exported, "COMPACT_AT", 3)
    _analysed(tmp_path, 1)
    _analysed(tmp_path, 2)
    _analysed(tmp_path, 3)
    assert len(_files(tmp_path, "classifications")) == 3
    _analysed(tmp_path, 4)
    assert len(_files(tmp_path, "classifications")) == 1
    assert _exported(tmp_path) == _held(tmp_path)
    assert len(_exported(tmp_path)["classifications"]) == 240
    _analysed(tmp_path, 5)  # and the next adds to it again
    assert len(_files(tmp_path, "classifications")) == 2
    assert _exported(tmp_path) == _held(tmp_path)


def test_a_full_run_replaces_every_file(tmp_path: Path) -> None:
    _analysed(tmp_path, 1)
    _analysed(tmp_path, 2)
    _analysed(tmp_path, full=True)
    assert len(_files(tmp_path, "classifications")) == 1
    assert _exported(tmp_path) == _held(tmp_path)


def test_a_store_analysed_before_the_export_is_exported_whole_once(tmp_path: Path) -> None:
    write_store(SegmentSink(tmp_path, "w1"), synthetic(60, seed=1))
    analyze_store(None, tmp_path, config=Config(), spec=None, workers=1)
    for table in (tmp_path / EXPORT_FOLDER).iterdir():  # as a store written before it was
        for file in table.iterdir():
            file.unlink()
    with duckdb.connect(str(tmp_path / DERIVED_FILE)) as connection:
        connection.execute("DROP TABLE derived_files")
    _analysed(tmp_path, 2)
    assert len(_files(tmp_path, "classifications")) == 1
    assert _exported(tmp_path) == _held(tmp_path)
    assert len(_exported(tmp_path)["classifications"]) == 120


def _staged(folder: Path, *, commit: bool) -> Path:
    """A write of `clusters` staged in a transaction that commits or not, never settled
    (a process killed after its commit, or one whose write failed)."""
    export = Export(folder)
    with duckdb.connect(str(folder / DERIVED_FILE)) as connection:
        connection.execute("BEGIN")
        connection.execute("CREATE TABLE clusters AS SELECT 1 AS exchanges")
        export.stage(connection, "clusters")
        connection.execute("COMMIT" if commit else "ROLLBACK")
    (hidden,) = (folder / EXPORT_FOLDER / "clusters").iterdir()
    assert hidden.name.startswith(".")
    assert hidden.name.endswith(".partial")
    assert not pq.read_table(folder / EXPORT_FOLDER / "clusters").num_rows  # out of sight
    return hidden


def _settle(folder: Path) -> set[str]:
    with duckdb.connect(str(folder / DERIVED_FILE)) as connection:
        return Export(folder).settle(connection)


def test_a_write_killed_after_its_commit_is_shown_by_the_next(tmp_path: Path) -> None:
    hidden = _staged(tmp_path, commit=True)
    shown = hidden.name.removeprefix(".").removesuffix(".partial")
    assert _settle(tmp_path) == {f"{EXPORT_FOLDER}/clusters/{shown}"}
    assert _files(tmp_path, "clusters") == [shown]
    assert pq.read_table(tmp_path / EXPORT_FOLDER / "clusters").to_pylist() == [{"exchanges": 1}]


def test_a_write_that_never_committed_leaves_nothing_once_settled(tmp_path: Path) -> None:
    _staged(tmp_path, commit=False)
    assert _settle(tmp_path) == set()
    assert _files(tmp_path, "clusters") == []


def test_a_duckdb_store_file_writes_no_parquet_beside_it(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, synthetic(60, seed=1))
    analyze_store(store, None, config=Config(), spec=None, workers=1)
    assert not Derived.of(store, None).exported
    assert not (tmp_path / EXPORT_FOLDER).exists()
