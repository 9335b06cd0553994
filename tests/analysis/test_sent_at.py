"""An answer's time window opens when its request really left: a mirror that waited before
being sent stamps a time later than the exchange's, and that is still its own time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from twinsight.analysis.judge import Judge
from twinsight.analysis.load import Stored, read_exchanges
from twinsight.records import Exchange
from twinsight.store import Store, new_id
from twinsight.testing import answer, write_store

TS = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
WAIT = timedelta(seconds=8)  # past the 5 s clock tolerance


def _stamp(moment: datetime) -> dict[str, object]:
    return {"id": 1, "at": moment.isoformat().replace("+00:00", "Z")}


def waited(*, recorded: bool) -> Exchange:
    """The candidate sent 8 s after the exchange (waiting for its session), stamping the time
    it was sent; `recorded`: whether its answer says when it was sent."""
    legacy = replace(answer("legacy", _stamp(TS), latency_ms=40), sent_at=TS)
    candidate = answer("candidate", _stamp(TS + WAIT), latency_ms=40)
    if recorded:
        candidate = replace(candidate, sent_at=TS + WAIT)
    return Exchange(
        id=new_id(),
        source="proxy",
        method="GET",
        path="/tasks/1",
        ts=TS,
        responses=(legacy, candidate),
    )


def _read(path: Path) -> Stored:
    with Store.open(path) as store:
        [stored] = list(read_exchanges(store))
    return stored


def _verdict(stored: Stored) -> tuple[str, list[str | None]]:
    judgement = Judge().judge(stored.request, stored.answers["legacy"], stored.answers["candidate"])
    return judgement.verdict.classification, [j.noise for j in judgement.differences]


def test_a_candidate_sent_late_stamps_its_own_time_which_is_inferred_noise(tmp_path: Path) -> None:
    write_store(tmp_path / "s.duckdb", [waited(recorded=True)])
    stored = _read(tmp_path / "s.duckdb")
    assert stored.answers["candidate"].sent_at == (TS + WAIT).timestamp()
    assert stored.answers["legacy"].sent_at == TS.timestamp()
    assert _verdict(stored) == ("noise", ["inferred: time"])


def test_without_a_recorded_send_time_the_exchanges_time_is_used_as_before(
    tmp_path: Path,
) -> None:
    write_store(tmp_path / "s.duckdb", [waited(recorded=False)])
    stored = _read(tmp_path / "s.duckdb")
    assert stored.answers["candidate"].sent_at == TS.timestamp()
    # 8 s after a window opened at the exchange's time: not this answer's own time.
    assert _verdict(stored) == ("unexplained", [None])


def test_a_store_older_than_the_column_reads_the_exchanges_time(tmp_path: Path) -> None:
    path = tmp_path / "v4.duckdb"
    write_store(path, [waited(recorded=True)])
    with duckdb.connect(str(path)) as connection:
        connection.execute("ALTER TABLE responses DROP COLUMN sent_at")
        connection.execute("DELETE FROM schema_version WHERE version > 4")
    stored = _read(path)
    assert {m.sent_at for m in stored.answers.values()} == {TS.timestamp()}
    assert _verdict(stored) == ("unexplained", [None])
