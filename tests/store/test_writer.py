import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import orjson
import pytest

from twinsight.records import Body, Exchange, Response
from twinsight.store import (
    CaptureCounters,
    DuckDBSink,
    Redactor,
    SegmentSink,
    StoreError,
    StoreWriter,
    new_id,
    open_store,
    store_info,
)
from twinsight.store.schema import SCHEMA_VERSION, TABLES
from twinsight.testing import SECRET, exchange

README = Path(__file__).parents[2] / "twinsight" / "store" / "README.md"


def write_all(sink: DuckDBSink | SegmentSink, exchanges: list[Exchange], **kw: object) -> None:
    writer = StoreWriter(sink, redactor=Redactor(), flush_interval=0.05, **kw).start()  # type: ignore[arg-type]
    for item in exchanges:
        assert writer.submit(item)
    writer.close()


def test_every_column_is_documented() -> None:
    text = README.read_text(encoding="utf-8")
    for table in TABLES.values():
        assert f"`{table.name}`" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text, column.name


@pytest.mark.parametrize("kind", ["duckdb", "segments"])
def test_exchanges_round_trip_through_either_store(tmp_path: Path, kind: str) -> None:
    items = [exchange(f"/tasks/{i}") for i in range(250)]
    if kind == "duckdb":
        write_all(DuckDBSink(tmp_path / "s.duckdb"), items)
        db = open_store(tmp_path / "s.duckdb")
    else:
        write_all(SegmentSink(tmp_path / "seg", "w1"), items)
        db = open_store(segments=tmp_path / "seg")
    rows = db.execute("SELECT id, path FROM exchanges ORDER BY id").fetchall()
    assert [r[0] for r in rows] == sorted(i.id for i in items)
    per_target = dict(db.execute("SELECT target, count(*) FROM responses GROUP BY 1").fetchall())
    assert per_target == {"legacy": 250, "candidate": 250}
    body = db.execute("SELECT body FROM responses WHERE target = 'legacy' LIMIT 1").fetchone()
    assert body is not None
    assert orjson.loads(body[0]) == {"id": 1}


def test_a_file_and_segments_read_as_one(tmp_path: Path) -> None:
    write_all(DuckDBSink(tmp_path / "s.duckdb"), [exchange("/a")])
    write_all(SegmentSink(tmp_path / "seg", "w1"), [exchange("/b"), exchange("/c")])
    db = open_store(tmp_path / "s.duckdb", tmp_path / "seg")
    info = store_info(db, [tmp_path / "s.duckdb", tmp_path / "seg"])
    assert info.exchanges == 3
    assert info.by_source == {"proxy": 3}
    assert info.by_target == {"candidate": {"answered": 3}, "legacy": {"answered": 3}}
    assert info.counters["stored"] == 3
    assert info.size_bytes > 0


def test_endpoints_in_the_overview_fold_ids(tmp_path: Path) -> None:
    paths = ["/tasks/17", "/tasks/18/complete", "/tasks/0b5e6a3c-1d2e-4f00-8a1b-2c3d4e5f6a7b"]
    write_all(SegmentSink(tmp_path, "w"), [exchange(p) for p in paths])
    info = store_info(open_store(segments=tmp_path), [tmp_path])
    assert info.by_endpoint == {"GET /tasks/{id}": 2, "GET /tasks/{id}/complete": 1}


def test_endpoints_in_the_overview_fold_as_analysis_does(tmp_path: Path) -> None:
    # 12 hex characters and 20-character tokens are ids to analysis: store info agrees.
    paths = ["/a/deadbeef1234", "/a/aB3_aB3_aB3_aB3_aB3_", "/", "*"]
    write_all(SegmentSink(tmp_path, "w"), [exchange(p) for p in paths])
    info = store_info(open_store(segments=tmp_path), [tmp_path])
    assert info.by_endpoint == {"GET /a/{id}": 2, "GET /": 1, "GET *": 1}


@pytest.mark.parametrize("kind", ["duckdb", "segments"])
def test_no_secret_reaches_the_bytes_on_disk(tmp_path: Path, kind: str) -> None:
    password = "hunter2-correct-horse"
    login = Exchange(
        id=new_id(),
        source="proxy",
        method="POST",
        path="/login",
        query=f"access_token={SECRET}x",
        headers=(("Content-Type", "application/json"), ("X-Api-Key", f"{SECRET}y")),
        body=Body.of(orjson.dumps({"user": {"password": password}}), 1 << 20),
        responses=(Response("legacy", 200, (("Set-Cookie", f"sid={SECRET}z"),)),),
    )
    redactor = Redactor(
        headers=["X-Api-Key"], body_fields=["user.password"], query_params=["access_token"]
    )
    target = tmp_path / ("s.duckdb" if kind == "duckdb" else "seg")
    sink = DuckDBSink(target) if kind == "duckdb" else SegmentSink(target, "w")
    writer = StoreWriter(sink, redactor=redactor).start()
    writer.submit(login)
    writer.submit(exchange())
    writer.close()
    files = [target] if target.is_file() else list(target.iterdir())
    raw = b"".join(f.read_bytes() for f in files)
    assert raw  # something was written
    for secret in (SECRET, password):
        assert secret.encode() not in raw


def test_a_cut_json_body_keeps_no_visible_part_of_a_secret(tmp_path: Path) -> None:
    body = orjson.dumps({"padding": "x" * 20, "token": "zz-secret-value"})
    assert body.index(b"zz-sec") < 50 < body.index(b"value")  # the cut falls inside it
    item = Exchange(
        id=new_id(),
        source="proxy",
        method="POST",
        path="/",
        body=Body.of(body, 50),
        headers=(("Content-Type", "application/json"),),
    )
    sink = SegmentSink(tmp_path, "w")
    writer = StoreWriter(sink, redactor=Redactor(body_fields=["token"]), max_body=50).start()
    writer.submit(item)
    writer.close()
    row = (
        open_store(segments=tmp_path)
        .execute("SELECT request_body, request_size, request_truncated FROM exchanges")
        .fetchone()
    )
    assert row is not None
    assert row[1:] == (len(body), True)
    assert row[0].startswith(b'{"padding":"xxxx')
    assert b"zz-sec" not in row[0]


def test_gzip_bodies_are_stored_decoded_with_their_encoding(tmp_path: Path) -> None:
    import gzip

    raw = orjson.dumps({"hello": "world"})
    item = Exchange(
        id=new_id(),
        source="proxy",
        method="GET",
        path="/",
        responses=(
            Response(
                "legacy", 200, (("Content-Encoding", "gzip"),), Body.of(gzip.compress(raw), 1000)
            ),
        ),
    )
    write_all(SegmentSink(tmp_path, "w"), [item])
    row = open_store(segments=tmp_path).execute("SELECT body, encoding FROM responses").fetchone()
    assert row == (raw, "gzip")


def test_a_full_backlog_drops_and_counts(tmp_path: Path) -> None:
    counters = CaptureCounters()
    writer = StoreWriter(
        SegmentSink(tmp_path, "w"),
        redactor=Redactor(),
        counters=counters,
        max_backlog=3,
        flush_interval=60,
    )
    accepted = [writer.submit(exchange()) for _ in range(5)]
    assert accepted == [True, True, True, False, False]
    assert counters["dropped.store_backlog"] == 2
    writer.start().close()
    assert counters["stored"] == 3


def test_a_failing_sink_keeps_the_batch_for_the_next_flush(tmp_path: Path) -> None:
    class Flaky(SegmentSink):
        fail = True

        def write(self, tables, counters=None):  # type: ignore[no-untyped-def]
            if self.fail:
                self.fail = False
                raise OSError("disk full")
            return super().write(tables, counters)

    writer = StoreWriter(Flaky(tmp_path, "w"), redactor=Redactor())
    writer.submit(exchange())
    assert writer.flush() == 0
    assert writer.failure == "OSError: disk full"
    assert writer.backlog == 1
    assert writer.flush() == 1
    assert writer.failure is None
    assert open_store(segments=tmp_path).execute("SELECT count(*) FROM exchanges").fetchone() == (
        1,
    )


def test_an_open_writer_locks_readers_out_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    script = (
        f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
        "print('open', flush=True); time.sleep(30)"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreError, match="another process holds it"):
            open_store(path)
    finally:
        holder.kill()
        holder.communicate()


def test_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "x.duckdb").write_bytes(b"hello")
    with pytest.raises(StoreError, match=r"x\.duckdb"):
        open_store(tmp_path / "x.duckdb")
    with pytest.raises(StoreError, match="no such store file"):
        open_store(tmp_path / "missing.duckdb")
    duckdb.connect(str(tmp_path / "other.duckdb")).close()
    with pytest.raises(StoreError, match="not a twinsight store"):
        open_store(tmp_path / "other.duckdb")


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from twinsight.store import DuckDBSink, Redactor, StoreWriter
    from twinsight.testing import exchange
    sink = DuckDBSink(Path(sys.argv[1]))
    writer = StoreWriter(sink, redactor=Redactor(), flush_interval=0.05).start()
    while True:
        writer.counters.add("sampled")
        writer.submit(exchange())
        if writer.counters["stored"] >= 200:
            print("stored", flush=True)
        time.sleep(0.0005)
    """
)


def started(script: str, argument: Path, said: str) -> subprocess.Popen[str]:
    """A child process running `script` with `argument`, once it has printed `said`."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(argument)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == said
    return child


def kill_9(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.communicate()


def test_kill_9_leaves_a_readable_store(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    child = started(KILLED_WRITER, path, "stored")
    time.sleep(0.2)
    kill_9(child)
    db = open_store(path)
    exchanges = db.execute("SELECT count(*) FROM exchanges").fetchone()
    responses = db.execute("SELECT count(*) FROM responses").fetchone()
    assert exchanges is not None
    assert responses is not None
    assert exchanges[0] >= 200
    assert responses[0] == 2 * exchanges[0]  # whole batches only
    # The loss is said, not silent: the writer left no clean shutdown, and its last
    # counters tell how many it had taken and not stored (at most a flush interval's).
    info = store_info(db, [path])
    (unclean,) = info.unclean
    assert unclean.lost == info.lost
    assert info.counters["sampled"] - info.counters["stored"] == info.lost
    assert info.lost < 200  # 0.05 s of submissions at ~2,000/s, with room for a slow CI


def test_a_clean_shutdown_is_recorded_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    counters = CaptureCounters()
    writer = StoreWriter(DuckDBSink(path), redactor=Redactor(), counters=counters).start()
    for _ in range(30):
        counters.add("sampled")
        writer.submit(exchange())
    counters.add("sampled")
    counters.add("dropped.queue_full")  # dropped on purpose: counted, so not lost
    writer.close()
    info = store_info(open_store(path), [path])
    assert (info.exchanges, info.lost, info.unclean) == (30, 0, [])
    assert info.counters["closed"] == 1


def test_a_store_from_a_newer_twinsight_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    DuckDBSink(path).close()
    DuckDBSink(path).close()  # reopening migrates nothing and keeps the file
    with duckdb.connect(str(path)) as connection:
        assert connection.execute("SELECT count(*) FROM schema_version").fetchone() == (
            SCHEMA_VERSION,
        )
        connection.execute("INSERT INTO schema_version VALUES (99, now())")
    with pytest.raises(StoreError, match="newer than this twinsight"):
        DuckDBSink(path)
    with pytest.raises(StoreError, match="schema version 99"):
        open_store(path)


def test_a_version_1_store_is_read_as_is_and_migrated_when_written(tmp_path: Path) -> None:
    path = tmp_path / "v1.duckdb"
    with duckdb.connect(str(path)) as connection:
        for table in TABLES.values():
            kept = [c for c in table.columns if c.name != "replay_run"]
            columns = ", ".join(f"{c.name} {c.sql}" for c in kept)
            connection.execute(f"CREATE TABLE {table.name} ({columns})")
        connection.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMPTZ)")
        connection.execute("INSERT INTO schema_version VALUES (1, now())")
        connection.execute("INSERT INTO exchanges (id, method, path) VALUES ('a', 'GET', '/')")
    reader = open_store(path)  # read-only: the missing column reads as NULL
    assert reader.execute("SELECT id, replay_run FROM exchanges").fetchall() == [("a", None)]
    reader.close()
    DuckDBSink(path).close()
    with duckdb.connect(str(path)) as connection:
        assert connection.execute("SELECT max(version) FROM schema_version").fetchone() == (
            SCHEMA_VERSION,
        )
        assert connection.execute("SELECT replay_run FROM exchanges").fetchall() == [(None,)]


def test_segments_of_several_writers_are_absorbed_into_a_store_batch_by_batch(
    tmp_path: Path,
) -> None:
    from twinsight.store import absorb_segments

    folder = tmp_path / "segments"
    for name in ("w-1", "w-2"):
        writer = StoreWriter(SegmentSink(folder, name), redactor=Redactor()).start()
        for _ in range(3):
            writer.submit(exchange())
        writer.flush()
        writer.submit(exchange())
        writer.close()
    store = tmp_path / "s.duckdb"
    assert absorb_segments(folder, store).exchanges == 8
    connection = open_store(store)
    counts = connection.execute(
        "SELECT (SELECT count(*) FROM exchanges), (SELECT count(*) FROM responses)"
    ).fetchone()
    assert counts == (8, 16)


def test_text_that_was_not_utf8_is_stored_not_refused(tmp_path: Path) -> None:
    # Bytes that are not UTF-8 reach Python as lone surrogates (surrogateescape); Arrow
    # refused the whole batch over one, and the exchange was dropped after three flushes.
    from dataclasses import replace

    item = replace(
        exchange("/files/caf\udce9"),
        query="a=\ud800&token=x",
        headers=(("X-Name", "\udcff"),),
    )
    writer = StoreWriter(DuckDBSink(tmp_path / "s.duckdb"), redactor=Redactor())
    writer.submit(item)
    writer.close()
    assert writer.counters["stored"] == 1
    row = open_store(tmp_path / "s.duckdb").execute("SELECT path, query FROM exchanges").fetchone()
    assert row is not None
    assert row[0] == "/files/caf\ufffd"
    assert "token=x" not in row[1]


EARLY_KILL = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from twinsight.store import Redactor, SegmentSink, StoreWriter
    from twinsight.testing import exchange
    writer = StoreWriter(SegmentSink(Path(sys.argv[1]), "w"), redactor=Redactor(), name="w",
                         flush_interval=60).start()
    for _ in range(50):
        writer.counters.add("sampled")
        writer.submit(exchange())
    print("submitted", flush=True)
    time.sleep(60)
    """
)


def test_a_writer_killed_before_its_first_flush_still_shows(tmp_path: Path) -> None:
    folder = tmp_path / "segments"
    child = started(EARLY_KILL, folder, "submitted")
    deadline = time.monotonic() + 10
    while not list(folder.glob("capture_counters-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.02)
    kill_9(child)
    info = store_info(open_store(segments=folder), [folder])
    assert info.exchanges == 0
    assert [u.writer for u in info.unclean] == ["w"]  # not silence: a writer that never closed
