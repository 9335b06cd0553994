"""What a replay substituted or left out, per exchange: stored, NULL for the rest and in
older stores and segments."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from twinsight.records import Exchange
from twinsight.store import SegmentSink, absorb_segments
from twinsight.store.schema import SCHEMA_VERSION, TABLES
from twinsight.testing import exchange, write_store

NOTES = ("no credential for <redacted:ab12cd34ef56ab78> (authorization): header left out",)


def degraded(connection: duckdb.DuckDBPyConnection) -> dict[str, list[str] | None]:
    """exchange id -> its stored replay_degraded."""
    rows = connection.execute("SELECT id, replay_degraded FROM exchanges").fetchall()
    return {str(row[0]): row[1] for row in rows}


def items() -> tuple[Exchange, Exchange, Exchange]:
    """A proxied exchange, a faithful replay and a degraded one."""
    faithful = replace(exchange(source="replay"), run="r1", replay_degraded=())
    lossy = replace(exchange(source="replay"), run="r1", replay_degraded=NOTES)
    return exchange(), faithful, lossy


def test_notes_are_stored_as_a_list_and_null_when_not_replayed(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    proxied, faithful, lossy = items()
    write_store(path, [proxied, faithful, lossy])
    with duckdb.connect(str(path)) as connection:
        assert degraded(connection) == {proxied.id: None, faithful.id: [], lossy.id: list(NOTES)}
        kind = connection.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'exchanges' AND column_name = 'replay_degraded'"
        ).fetchone()
        assert kind == ("VARCHAR[]",)


def test_a_version_5_store_gains_the_column_null_for_what_it_held(tmp_path: Path) -> None:
    path = tmp_path / "v5.duckdb"
    proxied, _, lossy = items()
    write_store(path, [proxied])
    with duckdb.connect(str(path)) as connection:
        connection.execute("ALTER TABLE exchanges DROP COLUMN replay_degraded")
        connection.execute("DELETE FROM schema_version WHERE version > 5")
    write_store(path, [lossy])
    with duckdb.connect(str(path)) as connection:
        version = connection.execute("SELECT max(version) FROM schema_version").fetchone()
        assert version == (SCHEMA_VERSION,)
        columns = [c.name for c in TABLES["exchanges"].columns]
        assert [r[0] for r in connection.execute("DESCRIBE exchanges").fetchall()] == columns
        assert degraded(connection) == {proxied.id: None, lossy.id: list(NOTES)}


def test_segments_without_the_column_absorb_as_null(tmp_path: Path) -> None:
    old = tmp_path / "old"
    proxied, _, lossy = items()
    write_store(SegmentSink(old, "w1"), [proxied])
    for file in old.glob("exchanges-*.parquet"):
        pq.write_table(pq.read_table(file).drop_columns(["replay_degraded"]), file)
    write_store(SegmentSink(old, "w2"), [lossy])
    absorb_segments(old, tmp_path / "s.duckdb")
    with duckdb.connect(str(tmp_path / "s.duckdb")) as connection:
        assert degraded(connection) == {proxied.id: None, lossy.id: list(NOTES)}
