"""The derived tables' Parquet files in the bucket, beside the segments: put by whichever
machine analysed, read there as any Parquet dataset. A real S3 API server (moto)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest

from tests.analysis.test_workers import synthetic
from tests.store.objectstore import S3, s3, s3_server
from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.store import SegmentSink, exported_objects
from twinsight.store.derived import DERIVED_FILE
from twinsight.store.objects import ObjectLocation, pull
from twinsight.testing import write_store

__all__ = ["s3", "s3_server"]  # fixtures, used by name


def _analysed_on_a_machine(s3: S3, cache: Path, *, full: bool = False) -> Path:
    """Pull into the cache of a machine of its own and analyse there."""
    location = ObjectLocation.of(s3.url())
    assert location is not None
    folder = pull(location, cache)
    analyze_store(None, folder, config=Config(), spec=None, workers=1, full=full)
    return folder


def _ledger(folder: Path) -> list[str]:
    with duckdb.connect(str(folder / DERIVED_FILE), read_only=True) as connection:
        found = connection.execute("SELECT file FROM derived_files").fetchall()
    return sorted(f"derived/{name}" for (name,) in found)


def _derived_in_bucket(s3: S3) -> list[str]:
    return [n for n in s3.names(recursive=True) if n.startswith("derived/")]


def _in_bucket(s3: S3, table: str) -> list[str]:
    return [n for n in s3.names(recursive=True) if n.startswith(f"derived/{table}/")]


def _rows_in_bucket(s3: S3, table: str) -> int:
    found = ds.dataset(f"{s3.bucket}/run/derived/{table}", filesystem=s3.fs(), format="parquet")
    return found.count_rows()


def test_every_machine_leaves_the_bucket_holding_the_tables(s3: S3, tmp_path: Path) -> None:
    write_store(SegmentSink(Path(s3.url()), "w1"), synthetic(60, seed=1))
    first = _analysed_on_a_machine(s3, tmp_path / "one")
    assert _derived_in_bucket(s3) == _ledger(first)
    assert _rows_in_bucket(s3, "classifications") == 60

    # Another machine, whose folder has none of the first's Parquet files: they stay.
    write_store(SegmentSink(Path(s3.url()), "w2"), synthetic(60, seed=2))
    second = _analysed_on_a_machine(s3, tmp_path / "two")
    assert len(_in_bucket(s3, "classifications")) == 2
    assert len(_in_bucket(s3, "clusters")) == 1  # the first machine's, replaced
    assert _rows_in_bucket(s3, "classifications") == 120
    assert _derived_in_bucket(s3) == _ledger(second)

    _analysed_on_a_machine(s3, tmp_path / "two", full=True)
    assert len(_in_bucket(s3, "classifications")) == 1
    assert _rows_in_bucket(s3, "classifications") == 120


def test_a_file_another_analysis_removed_first_is_no_error(
    s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_store(SegmentSink(Path(s3.url()), "w1"), synthetic(30, seed=1))
    listed = exported_objects._names
    gone = "derived/clusters/20260101T000000-00000000.parquet"  # listed, removed since
    monkeypatch.setattr(exported_objects, "_names", lambda segments: {*listed(segments), gone})
    folder = _analysed_on_a_machine(s3, tmp_path / "one")
    assert _derived_in_bucket(s3) == _ledger(folder)
