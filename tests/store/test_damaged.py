"""A damaged store or segment is one line on the command line (exit 2), never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.run import twinsight
from twinsight.store import DuckDBSink, Redactor, SegmentSink, StoreWriter
from twinsight.testing import exchange


def damaged_file(path: Path) -> Path:
    writer = StoreWriter(DuckDBSink(path), redactor=Redactor())
    for i in range(3000):
        writer.submit(exchange(f"/tasks/{i}"))
    writer.close()
    size = path.stat().st_size
    with path.open("r+b") as file:  # past the header: a data block, not the file's head
        file.seek(size // 2)
        file.write(os.urandom(20_000))
    return path


@pytest.mark.parametrize("command", [["store", "info"], ["analyze"], ["store", "check"]])
def test_a_damaged_data_block_is_one_line(tmp_path: Path, command: list[str]) -> None:
    path = damaged_file(tmp_path / "s.duckdb")
    result = twinsight(*command, "--store", str(path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error:")
    assert "damaged" in line or "cannot" in line


def test_a_damaged_segment_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "segments"
    writer = StoreWriter(SegmentSink(folder, "w"), redactor=Redactor())
    writer.submit(exchange())
    writer.close()
    for segment in folder.glob("responses-*.parquet"):
        segment.write_bytes(segment.read_bytes()[:40])  # cut short
    result = twinsight("store", "info", "--segments", str(folder))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
