"""`--dask` over segments in object storage: each worker copies the segments from the
bucket itself (as on a cluster whose machines do not share the caller's folder), and the
derived tables are what one process makes of the caller's copy. A real S3 API server and a
real two-process `LocalCluster` on loopback."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.analysis.test_workers import rows, summary, synthetic
from tests.store.objectstore import S3, s3, s3_server
from twinsight.config import Config
from twinsight.store import SegmentSink
from twinsight.store.derived import DERIVED_FILE
from twinsight.store.exported import EXPORT_FOLDER
from twinsight.store.objects import ObjectLocation, cache_folder, pull
from twinsight.testing import write_store

pytest.importorskip("distributed")

from twinsight.analysis.cluster import DaskAddress, DaskPool, dask_client
from twinsight.analysis.service import analyze_store

__all__ = ["s3", "s3_server"]  # fixtures, used by name


def exported(folder: Path, table: str) -> list[tuple[Any, ...]]:
    """The rows of `table`'s Parquet files in `derived/`, sorted, the run's time left out."""
    read = pq.read_table(folder / EXPORT_FOLDER / table).to_pylist()
    assert read
    return sorted(tuple(v for k, v in row.items() if k != "analysed_at") for row in read)


def test_workers_copy_the_segments_themselves_and_judge_alike(s3: S3, tmp_path: Path) -> None:
    location = ObjectLocation.of(s3.url())
    assert location is not None
    write_store(SegmentSink(Path(s3.url()), "w1"), synthetic(300, seed=7))
    mine = pull(location)
    alone = shutil.copytree(mine, tmp_path / "alone")
    found = analyze_store(None, alone, config=Config(), spec=None, workers=1)
    # Started here, after the fixture set the environment: the workers reach the bucket.
    with dask_client(DaskAddress.of("local:2")) as client:
        pool = DaskPool(client, url=location.url, min_per_worker=1)
        parallel = analyze_store(None, mine, config=Config(), spec=None, pool=pool)
    assert summary(parallel) == summary(found)
    assert rows(mine / DERIVED_FILE) == rows(alone / DERIVED_FILE)
    for table in ("classifications", "differences", "clusters"):  # and their Parquet files
        assert exported(mine, table) == exported(alone, table)
    shared = cache_folder(location)
    copies = list(shared.parent.glob(f"{shared.name}.worker-*"))
    assert copies  # the workers read copies of their own
    assert all(sorted(c.glob("*.parquet")) for c in copies)
