"""When each recorded request was sent, as HAR, mitmproxy, GoReplay files and stores say."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from twinsight.records import Exchange
from twinsight.replay.formats import read_capture
from twinsight.replay.formats.goreplay import SEPARATOR
from twinsight.replay.formats.stored import read_store
from twinsight.testing import exchange, write_store


def _exchanges(path: Path) -> list[Exchange]:
    return [e for e in read_capture(path) if isinstance(e, Exchange)]


def _entry(path: str, **extra: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "time": 12.5,
        "request": {"method": "GET", "url": f"http://api.test{path}"},
        "response": {"status": 200, "content": {"text": "{}"}},
    }
    entry.update(extra)
    return entry


def test_a_har_answer_was_sent_at_its_entrys_start(tmp_path: Path) -> None:
    entries = [
        _entry("/a", startedDateTime="2026-11-20T11:00:00.250+01:00"),
        _entry("/b"),  # no start: placed after the previous entry, its send time unknown
    ]
    path = tmp_path / "browser.har"
    path.write_bytes(orjson.dumps({"log": {"version": "1.2", "entries": entries}}))
    timed, untimed = _exchanges(path)
    started = datetime(2026, 11, 20, 10, 0, 0, 250000, tzinfo=UTC)
    assert timed.responses[0].sent_at == started == timed.ts
    assert timed.responses[0].latency_ms == 12.5  # HAR's `time` runs from the same start
    assert untimed.responses[0].sent_at is None


# mitmproxy's addons import ldap3 and passlib, which use names Python and pyasn1 deprecate.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_mitmproxy_answer_was_sent_when_its_request_started(tmp_path: Path) -> None:
    from mitmproxy.io import FlowWriter
    from mitmproxy.test import tflow

    answered, failed = tflow.tflow(resp=True), tflow.tflow(err=True)
    answered.request.timestamp_start = 1763632800.25
    assert answered.response is not None
    answered.response.timestamp_end = 1763632800.5
    failed.request.timestamp_start = 1763632801.0
    path = tmp_path / "flows.mitm"
    with path.open("wb") as file:
        writer = FlowWriter(file)
        writer.add(answered)
        writer.add(failed)
    first, second = _exchanges(path)
    assert first.responses[0].sent_at == datetime.fromtimestamp(1763632800.25, UTC) == first.ts
    assert first.responses[0].latency_ms == pytest.approx(250)
    assert second.responses[0].error == "protocol"
    assert second.responses[0].sent_at == datetime.fromtimestamp(1763632801.0, UTC)


def test_a_goreplay_answer_was_sent_at_its_requests_timestamp(tmp_path: Path) -> None:
    path = tmp_path / "requests.gor"
    payloads = [
        b"1 a1 1763632800250000000 0\nGET /tasks HTTP/1.1\r\nHost: api\r\n\r\n",
        b"2 a1 1763632800260000000 10000000\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    ]
    path.write_bytes(SEPARATOR.join(payloads) + SEPARATOR)
    [item] = _exchanges(path)
    assert item.responses[0].sent_at == item.ts
    assert item.ts.timestamp() == 1763632800.25


def test_an_imported_store_keeps_when_its_legacy_was_sent(tmp_path: Path) -> None:
    item = exchange()
    when = datetime(2026, 11, 20, 10, 0, 8, 500, tzinfo=UTC)
    legacy = replace(item.responses[0], sent_at=when)
    at = when - timedelta(seconds=8)
    write_store(tmp_path / "s.duckdb", [replace(item, ts=at, responses=(legacy,))])
    [imported] = list(read_store(tmp_path / "s.duckdb"))
    assert isinstance(imported, Exchange)
    assert [(r.target, r.sent_at) for r in imported.responses] == [("legacy", when)]
    assert imported.ts == at
