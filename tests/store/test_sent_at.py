"""Each answer's send time: stored, read back, NULL in older stores and segments."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from twinsight.records import Exchange
from twinsight.store import SegmentSink, Store, absorb_segments
from twinsight.store.schema import SCHEMA_VERSION, TABLES
from twinsight.testing import exchange, write_store

TS = datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=UTC)


def sent(item: Exchange, **after: float) -> Exchange:
    """`item` at `TS`, each named target's answer sent the given seconds after it, the
    others' send time unknown."""
    responses = tuple(
        replace(r, sent_at=TS + timedelta(seconds=after[r.target]) if r.target in after else None)
        for r in item.responses
    )
    return replace(item, ts=TS, responses=responses)


def at(seconds: float) -> float:
    """`seconds` after `TS`, as send times are read back: epoch seconds."""
    return (TS + timedelta(seconds=seconds)).timestamp()


def send_times(store: Store) -> dict[str, dict[str, float | None]]:
    """exchange id -> target -> its answer's recorded send time."""
    return {
        row.id: {answer.target: answer.sent_at for answer in row.answers}
        for row in store.exchanges()
    }


def test_send_times_are_read_back_to_the_microsecond(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    late, unknown = sent(exchange(), legacy=0.0, candidate=8.5), sent(exchange(), legacy=0.25)
    write_store(path, [late, unknown])
    with Store.open(path) as store:
        assert send_times(store) == {
            late.id: {"legacy": at(0), "candidate": at(8.5)},
            unknown.id: {"legacy": at(0.25), "candidate": None},
        }


def old_segment(folder: Path) -> None:
    """Rewrite the responses segments in `folder` as a twinsight before send times wrote them."""
    for file in folder.glob("responses-*.parquet"):
        pq.write_table(pq.read_table(file).drop_columns(["sent_at"]), file)


def test_segments_written_before_send_times_read_them_as_null_and_absorb(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    before = sent(exchange(), legacy=0.0, candidate=1.0)
    write_store(SegmentSink(old, "w1"), [before])
    old_segment(old)
    assert "sent_at" not in pq.read_schema(next(old.glob("responses-*.parquet"))).names
    after = sent(exchange(), candidate=2.0)
    write_store(SegmentSink(new, "w2"), [after])
    for file in new.glob("*.parquet"):
        file.rename(old / file.name)  # one folder holding segments of both shapes
    expected = {
        before.id: {"legacy": None, "candidate": None},
        after.id: {"legacy": None, "candidate": at(2)},
    }
    with Store.open(None, old) as store:
        assert send_times(store) == expected
    absorb_segments(old, tmp_path / "s.duckdb")
    with Store.open(tmp_path / "s.duckdb") as store:
        assert send_times(store) == expected


def version_4_store(path: Path) -> Exchange:
    """A keyed store as written before responses had `sent_at`, holding one exchange."""
    item = sent(exchange(), legacy=0.0, candidate=1.0)
    write_store(path, [item])
    with duckdb.connect(str(path)) as connection:
        connection.execute("ALTER TABLE responses DROP COLUMN sent_at")
        connection.execute("DELETE FROM schema_version WHERE version > 4")
    return item


def test_a_version_4_store_reads_without_send_times_and_gains_the_column_when_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v4.duckdb"
    old = version_4_store(path)
    with Store.open(path) as store:  # read-only: the missing column reads as NULL
        assert send_times(store) == {old.id: {"legacy": None, "candidate": None}}
    new = sent(exchange(), candidate=3.0)
    write_store(path, [new])
    with duckdb.connect(str(path)) as connection:
        assert connection.execute("SELECT max(version) FROM schema_version").fetchone() == (
            SCHEMA_VERSION,
        )
        columns = [c.name for c in TABLES["responses"].columns]
        assert [r[0] for r in connection.execute("DESCRIBE responses").fetchall()] == columns
    with Store.open(path) as store:
        assert send_times(store)[new.id] == {
            "legacy": None,
            "candidate": at(3),
        }
