"""Segments in object storage, against a real S3 API server: batches all or nothing, retries
adding nothing, reading through a local copy of only what is new, the analysis put back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.server import ThreadedMotoServer

from twinsight.config import Config
from twinsight.store import SegmentSink, Store, StoreError, open_store
from twinsight.store.objects import ObjectLocation, ObjectSegments, pull, push_analysis
from twinsight.testing import exchange, store_writer, write_store

from .objectstore import S3, SECRET_KEY, s3, s3_server

__all__ = ["s3", "s3_server"]  # fixtures, used by name


def batch_of(folder: Path, count: int) -> dict[str, pa.Table]:
    """The tables of one batch of `count` exchanges, as a local segment sink wrote them."""
    write_store(SegmentSink(folder, "local"), [exchange() for _ in range(count)])
    tables: dict[str, pa.Table] = {}
    for file in sorted(folder.glob("*.parquet")):
        name = file.name.split("-", 1)[0]
        if name != "capture_counters":
            tables[name] = pq.read_table(file)
    return tables


def exchanges_in(folder: Path) -> list[tuple[str, bytes | None]]:
    with Store.open(None, folder) as opened:
        return [(e.id, e.answers[0].body) for e in opened.exchanges()]


def test_location_of_a_url_and_of_its_folded_path() -> None:
    assert ObjectLocation.of("s3://bucket/a/b/") == ObjectLocation("bucket", "a/b")
    assert ObjectLocation.of(Path("s3://bucket/a/b")) == ObjectLocation("bucket", "a/b")
    assert ObjectLocation.of(Path("segments")) is None
    assert ObjectLocation.of("s3://bucket").url == "s3://bucket"  # type: ignore[union-attr]
    with pytest.raises(StoreError, match="s3://BUCKET/PREFIX"):
        ObjectLocation.of("s3:///prefix")
    settings = Config.model_validate({"store": {"segments": "s3://bucket/a"}})
    assert ObjectLocation.of(settings.store.segments) == ObjectLocation("bucket", "a")


def test_a_sinks_batches_read_back_as_a_folders_do(s3: S3, tmp_path: Path) -> None:
    items = [exchange(path=f"/tasks/{i}") for i in range(7)]
    write_store(SegmentSink(tmp_path / "local", "w"), items)
    write_store(SegmentSink(Path(s3.url()), "w"), items)

    names = s3.names()
    assert "exchanges-w-000002.parquet" in names
    assert s3.names("run/batches", recursive=True)  # one manifest per batch
    pulled = pull(ObjectLocation.of(s3.url()))  # type: ignore[arg-type]
    assert exchanges_in(pulled) == exchanges_in(tmp_path / "local")
    assert len(exchanges_in(pulled)) == 7


def test_a_batch_is_read_only_when_its_manifest_and_every_object_are_there(
    s3: S3, tmp_path: Path
) -> None:
    tables = batch_of(tmp_path / "local", 3)
    segments = ObjectSegments.open(ObjectLocation(s3.bucket, "run"))
    segments.put_batch("w-000001", sorted(tables.items()))
    segments.put_batch("w-000002", sorted(tables.items()))
    fs = s3.fs()
    fs.delete_file(s3.manifest("w-000001"))  # a batch cut before its manifest
    fs.delete_file(f"{s3.bucket}/run/responses-w-000002.parquet")  # one named but missing

    pulled = pull(segments.location, tmp_path / "copy")
    assert sorted(p.name for p in pulled.glob("*.parquet")) == []
    assert exchanges_in(pulled) == []


DAMAGE = st.sampled_from(["none", "no manifest", "an object missing", "a foreign manifest"])


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(damages=st.lists(DAMAGE, min_size=1, max_size=4))
def test_a_reader_sees_exactly_the_complete_batches(
    s3: S3, tmp_path: Path, damages: list[str]
) -> None:
    prefix = f"p-{uuid.uuid4().hex[:8]}"
    segments = ObjectSegments.open(ObjectLocation(s3.bucket, prefix))
    fs, whole = s3.fs(), set()
    for number, damage in enumerate(damages):
        tables = batch_of(tmp_path / f"{prefix}-{number}", 2)
        batch = f"w-{number:06d}"
        segments.put_batch(batch, sorted(tables.items()))
        key = f"{s3.bucket}/{prefix}"
        if damage == "no manifest":
            fs.delete_file(s3.manifest(batch, prefix))
        elif damage == "an object missing":
            fs.delete_file(f"{key}/responses-{batch}.parquet")
        elif damage == "a foreign manifest":
            with fs.open_output_stream(s3.manifest(batch, prefix)) as out:
                out.write(b"not a manifest")
        else:
            whole.update(tables["exchanges"].column("id").to_pylist())
    pulled = pull(segments.location, tmp_path / f"{prefix}-copy")
    assert {id_ for id_, _ in exchanges_in(pulled)} == whole


def test_a_failed_batch_leaves_nothing_a_reader_sees(
    s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = batch_of(tmp_path / "local", 2)
    segments = ObjectSegments.open(ObjectLocation(s3.bucket, "run"))
    real_put = ObjectSegments._put

    def manifest_refused(self: ObjectSegments, key: str, data: pa.Buffer) -> None:
        if "/batches/" in key:
            raise OSError("AWS Error SLOW_DOWN during PutObject operation: Please reduce rate")
        real_put(self, key, data)

    monkeypatch.setattr(ObjectSegments, "_put", manifest_refused)
    with pytest.raises(OSError, match="SLOW_DOWN"):
        segments.put_batch("w-000001", sorted(tables.items()))
    assert s3.names(recursive=True) == []  # what the attempt wrote was removed
    monkeypatch.setattr(ObjectSegments, "_put", real_put)

    segments.put_batch("w-000002", sorted(tables.items()))  # the writer's retry
    assert len(exchanges_in(pull(segments.location, tmp_path / "copy"))) == 2


def test_a_retried_batch_adds_nothing(s3: S3, tmp_path: Path) -> None:
    tables = batch_of(tmp_path / "local", 4)
    sink = SegmentSink(Path(s3.url()), "w")
    sink.write(tables)
    sink.write(tables)  # a retry after an answer lost on the way back: written again
    pulled = pull(ObjectLocation(s3.bucket, "run"), tmp_path / "copy")
    assert len(list(pulled.glob("exchanges-*.parquet"))) == 2
    with open_store(None, pulled) as connection:
        assert connection.execute("SELECT count(*) FROM exchanges").fetchone() == (4,)
        assert connection.execute("SELECT count(*) FROM responses").fetchone() == (8,)


def test_a_later_pull_fetches_only_new_objects(
    s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = ObjectLocation(s3.bucket, "run")
    write_store(SegmentSink(Path(s3.url()), "a"), [exchange()])
    fetched: list[str] = []
    real_download = ObjectSegments.download

    def counted(self: ObjectSegments, name: str, out: Path, size: int | None = None) -> None:
        fetched.append(name)
        real_download(self, name, out, size)

    monkeypatch.setattr(ObjectSegments, "download", counted)
    first = pull(location)
    before = set(fetched)
    write_store(SegmentSink(Path(s3.url()), "b"), [exchange(), exchange()])
    assert pull(location) == first
    assert before
    assert not before & set(fetched[len(before) :])  # nothing fetched twice
    assert all("-b-" in name for name in fetched[len(before) :])
    assert len(exchanges_in(first)) == 3


def test_the_analysis_file_goes_back_and_comes_back(s3: S3, tmp_path: Path) -> None:
    location = ObjectLocation(s3.bucket, "run")
    write_store(SegmentSink(Path(s3.url()), "w"), [exchange()])
    here = pull(location, tmp_path / "here")
    analysis = here / "analysis.duckdb"
    assert not push_analysis(analysis)  # nothing written yet
    with open_store(None, here) as connection:  # any DuckDB file stands for analysis's
        connection.execute(f"ATTACH '{analysis}' AS a")
        connection.execute("CREATE TABLE a.classifications AS SELECT 'x' AS exchange_id")
    assert push_analysis(analysis)
    assert not push_analysis(analysis)  # unchanged since
    assert "analysis.duckdb" in s3.names()

    there = pull(location, tmp_path / "there")
    assert (there / "analysis.duckdb").read_bytes() == analysis.read_bytes()
    s3.fs().delete_file(f"{s3.bucket}/run/analysis.duckdb")
    pull(location, there)
    assert not (there / "analysis.duckdb").exists()  # removed there: so here too


def test_a_missing_bucket_is_one_line(s3: S3) -> None:
    with pytest.raises(StoreError, match=r"^s3://no-such-bucket-here/run: no such bucket"):
        SegmentSink(Path("s3://no-such-bucket-here/run"), "w")


def test_an_unreachable_store_is_one_line_without_credentials(
    s3: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(StoreError) as raised:
        pull(ObjectLocation(s3.bucket, "run"))
    text = str(raised.value)
    assert text.startswith(f"s3://{s3.bucket}/run: cannot reach the object store at ")
    assert "\n" not in text
    assert SECRET_KEY not in text
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://minio:{SECRET_KEY}@127.0.0.1:9")
    with pytest.raises(StoreError) as raised:
        pull(ObjectLocation(s3.bucket, "run"))
    assert "cannot reach the object store at http://127.0.0.1:9 " in str(raised.value)
    assert SECRET_KEY not in str(raised.value)


def test_a_store_that_goes_away_holds_exchanges_in_memory_until_it_is_back(
    s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's guarantees hold for a bucket: a failing store is told (its reason, no
    credentials) while exchanges wait, and all of them land once it answers again."""
    away = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    away.start()
    endpoint = "http://{}:{}".format(*away.get_host_and_port())
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    pafs.S3FileSystem(
        endpoint_override=endpoint, region="us-east-1", allow_bucket_creation=True
    ).create_dir("come-and-go")
    writer = store_writer(SegmentSink(Path("s3://come-and-go/run"), "w"), flush_interval=0.05)
    for _ in range(2):
        writer.submit(exchange())
    wait_for(lambda: writer.counters.snapshot().get("stored") == 2)
    away.stop()
    for _ in range(3):
        writer.submit(exchange())
    wait_for(lambda: writer.failure is not None)
    assert writer.failure is not None
    assert "cannot reach the object store" in writer.failure
    assert SECRET_KEY not in writer.failure
    wait_for(lambda: writer.backlog == 3)  # given back after each failed attempt
    back = ThreadedMotoServer(ip_address="127.0.0.1", port=away.get_host_and_port()[1])
    back.start()  # moto's buckets live in this process: the bucket is there again
    try:
        wait_for(lambda: writer.failure is None and writer.backlog == 0)
        writer.close()
        pulled = pull(ObjectLocation("come-and-go", "run"), tmp_path / "copy")
        assert len(exchanges_in(pulled)) == 5
    finally:
        back.stop()


def wait_for(condition: Callable[[], bool], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
