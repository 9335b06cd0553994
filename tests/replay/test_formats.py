"""Reading HAR, mitmproxy flow and GoReplay files: what is read, what is skipped and why."""

from __future__ import annotations

import base64
import gzip
import json
import tempfile
from pathlib import Path

import orjson
import pytest

from twinsight.records import Body, Exchange
from twinsight.replay.formats import FormatError, Skipped, detect, read_capture
from twinsight.replay.formats.goreplay import SEPARATOR
from twinsight.replay.formats.har import MAX_FIELD, read_har


def _split(path: Path) -> tuple[list[Exchange], list[Skipped]]:
    entries = list(read_capture(path))
    return (
        [e for e in entries if isinstance(e, Exchange)],
        [e for e in entries if isinstance(e, Skipped)],
    )


def _har_entry(url: str, **extra: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "startedDateTime": "2026-11-20T10:00:00.000Z",
        "time": 12.5,
        "request": {"method": "GET", "url": url, "headers": [{"name": "Accept", "value": "*/*"}]},
        "response": {
            "status": 200,
            "headers": [
                {"name": "Content-Type", "value": "application/json"},
                {"name": "Content-Encoding", "value": "gzip"},
            ],
            "content": {"text": '{"ok": true}', "mimeType": "application/json"},
        },
    }
    entry.update(extra)
    return entry


def test_a_har_file_is_read_entry_by_entry_and_bad_entries_are_counted(tmp_path: Path) -> None:
    posted = base64.b64encode(b'{"title": "caf\xc3\xa9"}').decode()
    entries = [
        _har_entry("http://api.test:8080/tasks?status=open&limit=5"),
        {"startedDateTime": "2026-11-20T10:00:01Z", "response": {}},  # no request
        _har_entry(
            "https://api.test/tasks",
            request={
                "method": "POST",
                "url": "https://api.test/tasks",
                "headers": [{"name": ":authority", "value": "api.test"}],
                "postData": {"mimeType": "application/json", "text": posted, "encoding": "base64"},
            },
        ),
        _har_entry("data:text/plain,hello"),  # not http
        _har_entry("http://api.test/blocked", response={"status": 0}),
        {"request": {"method": "GET", "url": "http://api.test/bare"}},  # only what must be
    ]
    path = tmp_path / "browser.har"
    path.write_bytes(orjson.dumps({"log": {"version": "1.2", "entries": entries}}))

    exchanges, skipped = _split(path)

    assert [(e.method, e.path, e.query) for e in exchanges] == [
        ("GET", "/tasks", "status=open&limit=5"),
        ("POST", "/tasks", ""),
        ("GET", "/blocked", ""),
        ("GET", "/bare", ""),
    ]
    assert [(s.entry, s.reason) for s in skipped] == [
        (1, "no field 'request'"),
        (3, "not an http(s) URL: 'data:text/plain,hello'"),
    ]
    first, posted_exchange, blocked, bare = exchanges
    assert first.host == "api.test:8080"
    legacy = first.responses[0]
    assert (legacy.target, legacy.status, legacy.body.data) == ("legacy", 200, b'{"ok": true}')
    assert legacy.latency_ms == 12.5
    assert legacy.base_url == "http://api.test:8080"  # the server the browser asked
    assert posted_exchange.responses[0].base_url == "https://api.test"
    assert legacy.header("content-encoding") is None  # HAR text is decoded already
    assert posted_exchange.body.data == '{"title": "café"}'.encode()
    assert posted_exchange.headers == ()  # pseudo-headers are not headers to resend
    assert blocked.responses == ()
    assert bare.ts == posted_exchange.ts == blocked.ts  # no time: keeps its place
    assert {e.session for e in exchanges} == {"har:browser.har"}
    assert [e.id for e in exchanges] == [e.id for e in _split(path)[0]]  # stable ids


def test_a_har_records_the_server_without_the_credentials_of_its_url(tmp_path: Path) -> None:
    path = tmp_path / "creds.har"
    entry = _har_entry("http://user:pw@api.test:8080/tasks")
    path.write_bytes(orjson.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    [recorded], _ = _split(path)
    assert recorded.responses[0].base_url == "http://api.test:8080"


def test_a_har_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "fiddler.har"
    path.write_bytes(
        b"\xef\xbb\xbf" + orjson.dumps({"log": {"entries": [_har_entry("http://a/x")]}})
    )
    assert detect(path) == "har"
    assert [e.path for e in _split(path)[0]] == ["/x"]
    empty = tmp_path / "empty.har"
    empty.write_bytes(b'\xef\xbb\xbf{"log": {"entries": []}}')
    assert _split(empty) == ([], [])


def test_a_cut_har_file_keeps_what_came_before_the_cut(tmp_path: Path) -> None:
    whole = orjson.dumps({"log": {"entries": [_har_entry("http://a.test/1")] * 3}})
    path = tmp_path / "cut.har"
    path.write_bytes(whole[: len(whole) - 200])
    exchanges, skipped = _split(path)
    assert len(exchanges) == 2
    assert len(skipped) == 1
    assert "cut or broken" in skipped[0].reason


def test_files_that_are_not_captures_fail_with_one_line(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello there\n")
    with pytest.raises(FormatError, match=r"notes.txt: not a capture file"):
        detect(text)
    json_file = tmp_path / "other.json"
    json_file.write_text('{"name": "not a har"}')
    with pytest.raises(FormatError, match=r"other.json: not a HAR file: no log.entries"):
        list(read_capture(json_file))
    broken = tmp_path / "broken.har"
    broken.write_text("{nope")
    with pytest.raises(FormatError, match=r"broken.har: not a HAR file"):
        list(read_capture(broken))


def test_a_mitmproxy_flow_file_written_by_mitmproxy_is_read_flow_by_flow(tmp_path: Path) -> None:
    from mitmproxy.io import FlowWriter, tnetstring
    from mitmproxy.test import tflow

    first = tflow.tflow(resp=True)
    first.request.path = "/tasks/17?verbose=1"
    first.request.headers["Content-Encoding"] = "gzip"
    first.request.raw_content = gzip.compress(b'{"a": 1}')
    unanswered = tflow.tflow(err=True)
    last = tflow.tflow(resp=True)
    last.request.method = "DELETE"
    path = tmp_path / "flows.mitm"
    with path.open("wb") as file:
        writer = FlowWriter(file)
        writer.add(first)
        writer.add(tflow.ttcpflow())  # not HTTP
        tnetstring.dump({"type": "http", "version": 20}, file)  # a flow with nothing in it
        writer.add(unanswered)
        writer.add(last)

    exchanges, skipped = _split(path)

    assert detect(path) == "mitm"
    assert [(e.method, e.path, e.query) for e in exchanges] == [
        ("GET", "/tasks/17", "verbose=1"),
        ("GET", "/path", ""),
        ("DELETE", "/path", ""),
    ]
    reasons = [(s.entry, s.reason.split(":")[0]) for s in skipped]
    assert reasons == [(1, "tcp flow"), (2, "http flow")]
    assert exchanges[0].body.data == gzip.compress(b'{"a": 1}')  # as sent; the store decodes
    assert exchanges[0].responses[0].status == 200
    assert exchanges[1].responses[0].error == "protocol"
    assert exchanges[0].host == "address"
    # The server mitmproxy sent the flow to answered it, or failed to.
    assert {r.base_url for e in exchanges for r in e.responses} == {"http://address:22"}


def _goreplay(*payloads: bytes) -> bytes:
    return SEPARATOR.join(payloads) + SEPARATOR


def test_a_goreplay_file_pairs_requests_with_their_responses(tmp_path: Path) -> None:
    post = b'POST /tasks HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n\r\n{"t": 1}'
    chunked = (
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5\r\n{"id"\r\n4\r\n: 7}\r\n0\r\n\r\n'
    )
    data = _goreplay(
        b"1 a1 1763632800000000000 0\n" + post,
        b"2 a1 1763632800010000000 10000000\n" + chunked,
        b"1 b2 1763632801000000000\nGET /tasks/7 HTTP/1.1\r\nHost: api\r\n\r\n",
        b"9 zz nonsense\nwhatever",  # malformed header line
        b"1 c3 1763632802000000000\nGET /x HTTP/1.1\r\nno colon here\r\n\r\n",  # bad header
        b"3 b2 1763632801500000000 0\nHTTP/1.1 500 Oops\r\n\r\n",  # a replay's answer: ignored
        b"2 b2 1763632801200000000 0\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        b"1 d4 1763632803000000000\nGET /unanswered HTTP/1.1\r\n\r\n",
    )
    path = tmp_path / "requests.gor"
    path.write_bytes(data)

    exchanges, skipped = _split(path)

    assert detect(path) == "goreplay"
    assert [(e.method, e.path) for e in exchanges] == [
        ("POST", "/tasks"),
        ("GET", "/tasks/7"),
        ("GET", "/unanswered"),
    ]
    assert [s.entry for s in skipped] == [3, 4]
    created = exchanges[0].responses[0]
    assert (created.status, created.body.data, created.latency_ms) == (201, b'{"id": 7}', 10.0)
    assert created.header("transfer-encoding") is None
    assert exchanges[0].body.data == b'{"t": 1}'
    assert exchanges[1].responses[0].status == 200
    assert exchanges[2].responses == ()
    assert exchanges[0].ts.timestamp() == 1763632800.0
    assert created.base_url is None  # GoReplay records no scheme: no server URL either


BINARY = bytes(range(32)) * 4 + bytes(range(256))


# mitmproxy's addons import ldap3 and passlib, which use names Python and pyasn1 deprecate.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_har_written_by_mitmproxy_is_read_with_its_bodies(tmp_path: Path) -> None:
    from mitmproxy.addons.savehar import SaveHar
    from mitmproxy.test import tflow

    posted = tflow.tflow(resp=True)
    posted.request.method = "POST"
    posted.request.path = "/tasks?x=1"
    posted.request.headers["Content-Type"] = "application/json; charset=utf-8"
    posted.request.content = b'{"title": "caf\xc3\xa9"}'
    latin = tflow.tflow(resp=True)
    latin.response.headers["Content-Type"] = "text/plain; charset=iso-8859-1"
    latin.response.content = b"caf\xe9"
    binary = tflow.tflow(resp=True)
    binary.response.content = BINARY  # mostly control bytes: mitmproxy writes it base64
    binary.response.headers["Content-Type"] = "application/octet-stream"
    path = tmp_path / "mitmproxy.har"
    path.write_bytes(orjson.dumps(SaveHar().make_har([posted, binary, latin])))

    exchanges, skipped = _split(path)

    assert skipped == []
    assert [(e.method, e.path, e.query) for e in exchanges] == [
        ("POST", "/tasks", "x=1"),
        ("GET", "/path", ""),
        ("GET", "/path", ""),
    ]
    assert exchanges[0].body.data == '{"title": "café"}'.encode()
    assert exchanges[1].responses[0].body.data == BINARY
    assert exchanges[2].responses[0].body.data == b"caf\xe9"  # in the charset it declares


# ---------------------------------------------------------------- huge and hostile HAR fields

LONG_TEXT = ('caf\u00e9 "quoted" back\\slash \U0001f600 ' + "x" * 989) * 3000  # ~3 MB, escaped
LONG_BYTES = bytes(range(256)) * 12_000  # ~3 MB


def test_long_har_bodies_are_streamed_into_what_the_store_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spills = tmp_path / "spills"
    spills.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spills))
    posted = {"text": base64.b64encode(LONG_BYTES).decode(), "encoding": "base64"}
    entry = _har_entry(
        "http://api.test/upload",
        request={"method": "PUT", "url": "http://api.test/upload", "postData": posted},
        response={
            "status": 200,
            "content": {"text": LONG_TEXT, "mimeType": "text/plain; charset=utf-8"},
        },
    )
    path = tmp_path / "long.har"
    # ensure_ascii: every non-ASCII character is a \\u escape, the emoji a surrogate pair.
    path.write_text(json.dumps({"log": {"entries": [entry] * 3}}, ensure_ascii=True))

    seen = []
    for exchange in read_har(path, max_body=1000):
        assert isinstance(exchange, Exchange)
        seen.append(exchange)
        assert len(list(spills.rglob("*"))) <= 4  # the folder and the spills in flight
    assert len(seen) == 3
    assert seen[0].body == Body.of(LONG_BYTES, 1000)
    assert seen[0].responses[0].body == Body.of(LONG_TEXT.encode(), 1000)
    assert seen[0].responses[0].body.truncated
    assert list(spills.iterdir()) == []  # every spill removed


def test_har_fields_that_are_not_bodies_are_refused_past_their_limit(tmp_path: Path) -> None:
    huge = "v" * (3 << 20)  # set aside as a long string
    headers = {"headers": [{"name": "X-Huge", "value": huge}]}
    entries = [
        _har_entry("http://api.test/" + "p" * MAX_FIELD),
        _har_entry("http://api.test/h", request={"method": "GET", "url": "http://a/", **headers}),
        _har_entry("http://api.test/h", request={"method": huge, "url": "http://a/"}),
        _har_entry("http://api.test/ok"),
    ]
    path = tmp_path / "fields.har"
    path.write_bytes(orjson.dumps({"log": {"entries": entries}}))
    exchanges, skipped = _split(path)
    assert [e.path for e in exchanges] == ["/ok"]
    assert [(s.entry, s.reason) for s in skipped] == [
        (0, "request.url is longer than 128 KiB"),
        (1, "request.headers is longer than 128 KiB"),
        (2, "request.method is longer than 128 KiB"),
    ]


@pytest.mark.parametrize(
    ("bomb", "reason"),
    [
        (b"[" * 3000 + b"]" * 3000, "nested more than 512 deep"),
        (b'{"a":' * 3000 + b"1" + b"}" * 3000, "nested more than 512 deep"),
        (b'{"time": ' + b"9" * 5000 + b"}", "a number longer than 1024 characters"),
    ],
)
def test_a_har_that_nests_too_deep_is_read_up_to_there(
    tmp_path: Path, bomb: bytes, reason: str
) -> None:
    good = orjson.dumps(_har_entry("http://api.test/1"))
    path = tmp_path / "bomb.har"
    path.write_bytes(b'{"log": {"entries": [' + good + b"," + bomb + b"," + good + b"]}}")
    exchanges, skipped = _split(path)
    assert len(exchanges) == 1
    assert [(s.entry, s.reason) for s in skipped] == [(1, f"not read further: {reason}")]
    first = tmp_path / "first.har"
    first.write_bytes(b'{"log": {"entries": [' + bomb + b"]}}")
    with pytest.raises(FormatError, match=f"first.har: not a HAR file: {reason}"):
        list(read_capture(first))


def test_har_response_status_out_of_range_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "status.har"
    entry = _har_entry("http://a/x", response={"status": 10**12})
    path.write_bytes(orjson.dumps({"log": {"entries": [entry]}}))
    assert [s.reason for s in _split(path)[1]] == [f"response.status is {10**12}"]


@pytest.mark.parametrize("text", [b"\xed\xa0\x80", b"\xc0\x80", b"\xff"])
def test_a_har_with_bytes_that_are_not_utf8_is_read_up_to_them(tmp_path: Path, text: bytes) -> None:
    good = orjson.dumps(_har_entry("http://api.test/1"))
    path = tmp_path / "latin.har"
    path.write_bytes(b'{"log": {"entries": [' + good + b', {"x": "' + text + b'"}]}}')
    exchanges, skipped = _split(path)
    assert len(exchanges) == 1
    assert [s.entry for s in skipped] == [1]
    assert skipped[0].reason.startswith("the file is cut or broken here")


def test_an_imported_store_keeps_where_its_legacy_was_reached(tmp_path: Path) -> None:
    from dataclasses import replace

    from twinsight.replay.formats.stored import read_store
    from twinsight.testing import exchange, write_store

    item = exchange()
    legacy = replace(item.responses[0], base_url="http://legacy.internal:8081")
    write_store(tmp_path / "s.duckdb", [replace(item, responses=(legacy, *item.responses[1:]))])
    [imported] = list(read_store(tmp_path / "s.duckdb"))
    assert isinstance(imported, Exchange)
    assert [(r.target, r.base_url) for r in imported.responses] == [
        ("legacy", "http://legacy.internal:8081")
    ]
