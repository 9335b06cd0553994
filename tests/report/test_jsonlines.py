"""`analyze --json` lines: where and when each exchange came from, judged now or read back."""

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson

from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.events import ExchangeJudged
from twinsight.report.jsonlines import JsonLines, json_line
from twinsight.testing import T0, get_item, write_store


def _lines(store: Path, *, full: bool = False) -> list[dict[str, object]]:
    out = io.BytesIO()
    analyze_store(store, None, config=Config(), spec=None, on_judged=JsonLines(out), full=full)
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


def test_lines_carry_source_session_and_start_time_in_either_run(tmp_path: Path) -> None:
    bodies = {"legacy": {"a": 1}, "candidate": {"a": 2}}
    exchanges = [
        replace(get_item(i, bodies), session=f"s{i % 2}", ts=T0 + timedelta(milliseconds=i))
        for i in range(3)
    ]
    store = tmp_path / "s.duckdb"
    write_store(store, exchanges)
    first = _lines(store)
    assert [(d["source"], d["started_at"]) for d in first] == [
        ("proxy", "2026-11-20T10:00:00.000000Z"),
        ("proxy", "2026-11-20T10:00:00.001000Z"),
        ("proxy", "2026-11-20T10:00:00.002000Z"),
    ]
    sessions = [d["session"] for d in first]  # stored as a keyed hash: the same for s0
    assert sessions[0] == sessions[2] != sessions[1]
    assert all(sessions)
    assert _lines(store) == first  # read back from the earlier verdicts
    assert _lines(store, full=True) == first


def test_a_line_without_origin_says_null_and_any_zone_is_written_in_utc() -> None:
    bare = ExchangeJudged("1", "GET", "/", None, "GET /", "candidate", "match", "")
    assert orjson.loads(json_line(bare))["started_at"] is None
    assert orjson.loads(json_line(bare))["source"] is None
    zoned = replace(bare, started_at=datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2))))
    assert orjson.loads(json_line(zoned))["started_at"] == "2026-01-01T10:00:00.000000Z"
    naive = replace(bare, started_at=datetime(2026, 1, 1, 12))
    assert orjson.loads(json_line(naive))["started_at"] == "2026-01-01T12:00:00.000000Z"
    assert datetime.fromisoformat("2026-01-01T12:00:00.000000Z").tzinfo == UTC
