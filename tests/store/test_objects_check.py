"""`twinsight store check --segments s3://bucket/prefix`, against a real S3 API server: every
message names the URL the user gave (and an object's key under it), never the local copy."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pyarrow as pa

from tests.cli.run import twinsight
from twinsight.store import SegmentSink
from twinsight.store.objects import ObjectLocation, ObjectSegments
from twinsight.testing import exchange, write_store

from .objectstore import S3, s3, s3_server

__all__ = ["s3", "s3_server"]  # fixtures, used by name


def _flat(text: str) -> str:
    return re.sub(r"[\s│]+", " ", text)  # rich wraps long lines


def test_store_check_names_the_url_and_never_the_local_copy(s3: S3, tmp_path: Path) -> None:
    items = [exchange(path=f"/tasks/{i}") for i in range(3)]
    write_store(SegmentSink(Path(s3.url()), "first"), items)
    cache = str(tmp_path / "cache")

    sound = twinsight("store", "check", "--segments", s3.url(), env=s3.env)
    assert sound.returncode == 0, sound.stderr
    assert f"ok {s3.url()}: one row per key" in _flat(sound.stdout)
    assert cache not in sound.stdout + sound.stderr

    write_store(SegmentSink(Path(s3.url()), "again"), items)  # every exchange twice
    twice = twinsight("store", "check", "--segments", s3.url(), env=s3.env)
    assert twice.returncode == 1, twice.stdout + twice.stderr
    assert f"{s3.url()}: 2 problem(s)" in _flat(twice.stderr), twice.stderr  # two tables
    assert "--repair" not in twice.stderr  # it refuses segments: no hint at it
    assert cache not in twice.stdout + twice.stderr

    refused = twinsight("store", "check", "--segments", s3.url(), "--repair", env=s3.env)
    assert refused.returncode == 2
    assert f"{s3.url()}: segments are never rewritten" in _flat(refused.stderr)
    assert cache not in refused.stderr


def test_a_damaged_object_is_named_by_its_key_under_the_url(s3: S3) -> None:
    segments = ObjectSegments.open(ObjectLocation(s3.bucket, "run"))
    damaged = b"not a parquet file, though named as one"
    segments._put(segments.location.key("exchanges-w-000001.parquet"), pa.py_buffer(damaged))
    files = [{"name": "exchanges-w-000001.parquet", "size": len(damaged)}]
    manifest = orjson.dumps({"files": files})
    segments._put(segments.location.key("batches/w-000001.json"), pa.py_buffer(manifest))

    done = twinsight("store", "check", "--segments", s3.url(), env=s3.env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"{s3.url()}/exchanges-w-000001.parquet" in _flat(done.stderr), done.stderr
    assert "Traceback" not in done.stderr
    assert str(Path(s3.env["XDG_CACHE_HOME"])) not in done.stderr
