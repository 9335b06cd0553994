"""`twinsight import`: files into the store, counted, once."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.cli.run import twinsight
from twinsight.replay.formats.goreplay import SEPARATOR
from twinsight.store import open_store


def _files(folder: Path) -> tuple[Path, Path]:
    entry = {
        "startedDateTime": "2026-11-20T10:00:00Z",
        "request": {
            "method": "GET",
            "url": "http://api.test/tasks/1",
            "headers": [{"name": "Authorization", "value": "Bearer secret-token"}],
        },
        "response": {"status": 200, "headers": [], "content": {"text": "{}"}},
    }
    har = folder / "a.har"
    har.write_bytes(orjson.dumps({"log": {"entries": [entry, {"bad": 1}, entry]}}))
    gor = folder / "b.gor"
    gor.write_bytes(
        SEPARATOR.join(
            [
                b"1 x 1763632800000000000\nGET /tasks HTTP/1.1\r\nHost: api\r\n\r\n",
                b"2 x 1763632800100000000\nHTTP/1.1 200 OK\r\n\r\n[]",
            ]
        )
    )
    return har, gor


def test_import_counts_reads_and_skips_and_never_stores_an_entry_twice(tmp_path: Path) -> None:
    har, gor = _files(tmp_path)
    store = tmp_path / "recorded.duckdb"

    first = twinsight("import", str(har), str(gor), "--store", str(store))
    assert first.returncode == 0, first.stderr
    assert "a.har: read 2, skipped 1" in first.stdout
    assert "skipped a.har: entry 1: no field 'request'" in first.stdout
    assert "b.gor: read 1, skipped 0" in first.stdout
    assert "stored 3, already in the store 0" in first.stdout

    again = twinsight("import", str(har), str(gor), "--store", str(store))
    assert "stored 0, already in the store 3" in again.stdout

    rows = (
        open_store(store)
        .execute(
            "SELECT e.source, r.target, r.status, e.request_headers FROM exchanges e "
            "JOIN responses r ON r.exchange_id = e.id ORDER BY e.ts, e.id"
        )
        .fetchall()
    )
    assert [row[:3] for row in rows] == [("import", "legacy", 200)] * 3
    assert "secret-token" not in str(rows)  # redacted on the way in, as any capture


def test_a_file_of_no_known_format_fails_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    har, _ = _files(tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    store = tmp_path / "s.duckdb"
    result = twinsight("import", str(har), str(notes), "--store", str(store))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {notes}: not a capture file twinsight reads (HAR, mitmproxy flows, GoReplay, a "
        "store)"
    ]
    assert not store.exists()


def test_a_replay_the_legacy_never_answers_fails(tmp_path: Path) -> None:
    _, gor = _files(tmp_path)
    result = twinsight(
        "replay", "--from", str(gor), "--store", str(tmp_path / "r.duckdb"),
        "--legacy", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9",
    )  # fmt: skip
    assert result.returncode == 1
    assert "legacy: answered 0 (-), errors refused 1" in result.stdout
    assert "error: the legacy answered none of 1 request(s): is it up at" in result.stderr
