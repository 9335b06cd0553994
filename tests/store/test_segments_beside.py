"""A capture into a store file writes segments beside it (`FILE.segments/`) until it absorbs
them: every reader of the file reads them with it, each exchange once."""

from __future__ import annotations

from pathlib import Path

import pytest

from twinsight.store import (
    DuckDBSink,
    Redactor,
    SegmentSink,
    Store,
    StoreWriter,
    absorb_segments,
    open_store,
    segment_folder,
    store_info,
)
from twinsight.store.beside import write_beside
from twinsight.testing import exchange


def written(sink: DuckDBSink | SegmentSink, count: int) -> list[str]:
    """`count` new exchanges through a writer into `sink`; their ids."""
    writer = StoreWriter(sink, redactor=Redactor())
    made = [exchange() for _ in range(count)]
    for item in made:
        writer.submit(item)
    writer.close()
    return [item.id for item in made]


def ids(path: Path) -> list[str]:
    with open_store(path) as connection:
        return [row[0] for row in connection.execute("SELECT id FROM exchanges").fetchall()]


def test_a_file_is_read_with_the_segments_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "capture.duckdb"
    in_file = written(DuckDBSink(path), 3)
    beside = written(SegmentSink(segment_folder(path), "w"), 4)
    assert sorted(ids(path)) == sorted(in_file + beside)
    connection = open_store(path)
    assert store_info(connection, [path]).exchanges == 7


def test_segments_absorbed_but_not_yet_removed_count_once(tmp_path: Path) -> None:
    # A capture killed between absorbing its segments and removing them.
    path = tmp_path / "capture.duckdb"
    written(DuckDBSink(path), 2)
    folder = segment_folder(path)
    beside = written(SegmentSink(folder, "w"), 5)
    absorb_segments(folder, path)
    found = ids(path)
    assert len(found) == 7 == len(set(found))
    assert set(beside) <= set(found)


def test_a_folder_without_segments_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "capture.duckdb"
    in_file = written(DuckDBSink(path), 2)
    folder = segment_folder(path)
    folder.mkdir()
    (folder / ".lock").touch()  # a running capture that has flushed nothing yet
    (folder / ".exchanges-w-1.parquet.0a.partial").write_bytes(b"half a file")
    assert sorted(ids(path)) == sorted(in_file)


def test_the_folder_beside_given_as_segments_too_is_read_and_sized_once(tmp_path: Path) -> None:
    path = tmp_path / "capture.duckdb"
    written(DuckDBSink(path), 2)
    folder = segment_folder(path)
    written(SegmentSink(folder, "w"), 3)
    with Store.open(path) as alone, Store.open(path, folder) as both:
        assert both.info() == alone.info()
        assert alone.info().exchanges == 5


def test_absorbed_segments_are_removed_before_the_file_is_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reader attaches the file before it lists the segments beside it, and cannot attach
    # it while the absorb holds it: removing them before letting go leaves no reader with a
    # listed segment gone (its next query failed: "No files found", told as damage).
    path = tmp_path / "capture.duckdb"
    written(DuckDBSink(path), 2)
    folder = segment_folder(path)
    beside = written(SegmentSink(folder, "w"), 3)
    left_at_close: list[list[Path]] = []
    close = DuckDBSink.close

    def watched(sink: DuckDBSink) -> None:
        left_at_close.append(sorted(folder.glob("*.parquet")))
        close(sink)

    monkeypatch.setattr(DuckDBSink, "close", watched)
    assert write_beside(path, lambda held: held.folder) == folder
    assert left_at_close == [[], []]  # at the start (three left beside) and at the end
    monkeypatch.undo()
    assert set(beside) <= set(ids(path))
    assert not folder.exists()


def test_a_store_is_sized_over_what_its_views_read(tmp_path: Path) -> None:
    # Segments a capture writes beside the file after it was opened are in neither the
    # counts nor the size: both say what this reader read.
    path = tmp_path / "capture.duckdb"
    written(DuckDBSink(path), 2)
    with Store.open(path) as opened:
        before = opened.info()
        written(SegmentSink(segment_folder(path), "w"), 3)
        after = opened.info()
    assert (
        (after.exchanges, after.size_bytes)
        == (before.exchanges, before.size_bytes)
        == (
            2,
            path.stat().st_size,
        )
    )
