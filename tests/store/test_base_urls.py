"""Each answer's base URL: stored, read back per target, absent from older stores and segments."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsight.records import Exchange
from twinsight.store import SegmentSink, Store, absorb_segments
from twinsight.store.schema import SCHEMA_VERSION, TABLES
from twinsight.testing import exchange, write_store

LEGACY, CANDIDATE = "http://127.0.0.1:8081", "http://127.0.0.1:8082/api"


def reached(item: Exchange, **bases: str | None) -> Exchange:
    """`item` with each target's answer recording the base URL given for it."""
    return replace(
        item, responses=tuple(replace(r, base_url=bases.get(r.target)) for r in item.responses)
    )


def test_the_base_urls_of_each_target_are_read_back_once_each(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    write_store(
        path,
        [
            reached(exchange(), legacy=LEGACY, candidate=CANDIDATE),
            reached(exchange(), legacy=LEGACY, candidate="http://10.0.0.2:9000"),
            reached(exchange(), legacy=None, candidate=CANDIDATE),  # an import without one
        ],
    )
    with Store.open(path) as store:
        assert store.base_urls() == {
            "legacy": frozenset({LEGACY}),
            "candidate": frozenset({CANDIDATE, "http://10.0.0.2:9000"}),
        }


def old_segment(folder: Path) -> None:
    """Rewrite the responses segments in `folder` as a twinsight before base URLs wrote them."""
    for file in folder.glob("responses-*.parquet"):
        table = pq.read_table(file)
        pq.write_table(table.drop_columns(["base_url"]), file)


def test_segments_written_before_base_urls_still_read_and_absorb(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    write_store(SegmentSink(old, "w1"), [reached(exchange())])
    old_segment(old)
    assert "base_url" not in pq.read_schema(next(old.glob("responses-*.parquet"))).names
    write_store(SegmentSink(new, "w2"), [reached(exchange(), legacy=LEGACY)])
    for file in new.glob("*.parquet"):
        file.rename(old / file.name)  # one folder holding segments of both shapes
    with Store.open(None, old) as store:
        assert len(list(store.exchanges())) == 2
        assert store.base_urls() == {"legacy": frozenset({LEGACY})}
    absorb_segments(old, tmp_path / "s.duckdb")
    with Store.open(tmp_path / "s.duckdb") as store:
        assert len(list(store.exchanges())) == 2
        assert store.base_urls() == {"legacy": frozenset({LEGACY})}


def version_3_store(path: Path) -> None:
    """A keyed store as written before responses had `base_url`, holding one exchange."""
    write_store(path, [exchange()])
    with duckdb.connect(str(path)) as connection:
        connection.execute("ALTER TABLE responses DROP COLUMN sent_at")  # version 5's
        connection.execute("ALTER TABLE responses DROP COLUMN base_url")
        connection.execute("DELETE FROM schema_version WHERE version > 3")


def test_a_version_3_store_reads_without_base_urls_and_gains_the_column_when_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v3.duckdb"
    version_3_store(path)
    with Store.open(path) as store:  # read-only: the missing column reads as NULL
        assert len(list(store.exchanges())) == 1
        assert store.base_urls() == {}
    write_store(path, [reached(exchange(), candidate=CANDIDATE)])
    with duckdb.connect(str(path)) as connection:
        assert connection.execute("SELECT max(version) FROM schema_version").fetchone() == (
            SCHEMA_VERSION,
        )
        columns = [c.name for c in TABLES["responses"].columns]
        assert [r[0] for r in connection.execute("DESCRIBE responses").fetchall()] == columns
    with Store.open(path) as store:
        assert store.base_urls() == {"candidate": frozenset({CANDIDATE})}


_BASE = st.builds(
    lambda host, port: f"http://{host}:{port}",
    st.sampled_from(["127.0.0.1", "legacy.internal", "[::1]"]),
    st.integers(1, 65535),
)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(_BASE, _BASE), min_size=1, max_size=6))
def test_base_urls_are_the_distinct_urls_each_target_recorded(pairs: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.duckdb"
        write_store(path, [reached(exchange(), legacy=a, candidate=b) for a, b in pairs])
        with Store.open(path) as store:
            assert store.base_urls() == {
                "legacy": frozenset(a for a, _ in pairs),
                "candidate": frozenset(b for _, b in pairs),
            }
