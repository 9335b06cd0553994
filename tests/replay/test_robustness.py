"""Bad input never crashes a reader: it is read, skipped with a reason, or refused in one line."""

from __future__ import annotations

import base64
import io
import json
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cli.run import twinsight
from twinsight.errors import UserError
from twinsight.records import Body, Exchange
from twinsight.replay.formats import FormatError, Skipped, hartext, read_capture
from twinsight.replay.formats.goreplay import SEPARATOR
from twinsight.replay.formats.gormessage import PayloadReader
from twinsight.replay.formats.jsonstream import LongStrings, spilled_text

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def read_all(data: bytes, format: str) -> list[Exchange | Skipped]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "capture"
        path.write_bytes(data)
        try:
            return list(read_capture(path, format=format))  # type: ignore[arg-type]
        except FormatError as exc:
            refused = str(exc)
        assert "\n" not in refused
        return []


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(json_values, max_size=5))
def test_any_json_entries_in_a_har_are_read_or_skipped(entries: list[object]) -> None:
    data = orjson.dumps({"log": {"entries": entries}})
    got = read_all(data, "har")
    assert len(got) == len(entries)


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.binary(max_size=60), max_size=6))
def test_any_payloads_in_a_goreplay_file_are_read_or_skipped(payloads: list[bytes]) -> None:
    data = SEPARATOR.join(b"1 id%d 1763632800000000000\n" % i + p for i, p in enumerate(payloads))
    for entry in read_all(data, "goreplay"):
        assert isinstance(entry, Exchange | Skipped)


@settings(max_examples=100, deadline=None, database=None)
@given(st.binary(max_size=300), st.sampled_from(["har", "goreplay", "mitm"]))
def test_any_bytes_are_read_skipped_or_refused(data: bytes, format: str) -> None:
    for entry in read_all(data, format):
        assert isinstance(entry, Exchange | Skipped)


# ---------------------------------------------------------------- the pieces streaming rests on


def _restore(value: object, strings: LongStrings) -> object:
    """`value` with every marker replaced by the text of its spill, read in small pieces."""
    if isinstance(value, dict):
        return {_restore(k, strings): _restore(v, strings) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, strings) for v in value]
    spill = strings.spilled(value)
    return "".join(spilled_text(spill, piece=5)) if spill else value


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(json_values, st.booleans(), st.integers(1, 40), st.integers(1, 50), st.integers(1, 9))
def test_long_strings_set_aside_leave_the_same_json(
    value: object, ascii_only: bool, long: int, chunk: int, read: int
) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only).encode()
    with tempfile.TemporaryDirectory() as folder:
        strings = LongStrings(io.BytesIO(raw), Path(folder), long=long, chunk=chunk)
        out = b"".join(iter(lambda: strings.read(read), b""))
        assert _restore(json.loads(out), strings) == value


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80), st.integers(1, 9))
def test_a_spilled_string_reads_back_whole_whatever_the_pieces(text: str, piece: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spill"
        for ascii_only in (True, False):  # \\u escapes (surrogate pairs too), or raw UTF-8
            path.write_bytes(json.dumps(text, ensure_ascii=ascii_only).encode()[1:-1])
            assert "".join(spilled_text(path, piece=piece)) == text


def _outcome(call: Callable[[], Body]) -> Body | str:
    try:
        return call()
    except (ValueError, LookupError) as exc:
        return type(exc).__name__


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(
    st.one_of(
        st.binary(max_size=60).map(lambda b: base64.b64encode(b).decode()),
        st.text(alphabet="QUJD=+/-\u00e9 ", max_size=20),
    ),
    st.integers(1, 9),
)
def test_base64_in_pieces_decodes_as_it_does_whole(text: str, piece: int) -> None:
    pieces = [text[i : i + piece] for i in range(0, len(text), piece)]
    whole = _outcome(lambda: Body.of(hartext._whole(text, True, "utf-8"), 16))
    assert _outcome(lambda: hartext._base64(pieces, 16)) == whole
    if not isinstance(whole, str):
        assert whole == Body.of(base64.b64decode(text, validate=True), 16)


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(
    st.text(max_size=40),
    st.sampled_from(["utf-8", "iso-8859-1", "ascii", "utf-16", "no-such-charset"]),
    st.integers(1, 9),
)
def test_text_in_pieces_encodes_as_it_does_whole(text: str, charset: str, piece: int) -> None:
    pieces = [text[i : i + piece] for i in range(0, len(text), piece)]
    whole = _outcome(lambda: Body.of(hartext._whole(text, False, charset), 16))

    def streamed() -> Body:
        try:
            return hartext._encoded(pieces, charset, 16)
        except (LookupError, UnicodeEncodeError):
            return hartext._encoded(pieces, "utf-8", 16)

    assert _outcome(streamed) == whole


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.lists(st.binary(min_size=1, max_size=30), max_size=6), st.data())
def test_a_chunked_payload_read_in_any_pieces_gives_its_body(
    chunks: list[bytes], data: st.DataObject
) -> None:
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    payload = b"1 a 1\nPOST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    cuts = sorted(data.draw(st.lists(st.integers(0, len(payload)), max_size=8)))
    reader = PayloadReader(max_body=1000)
    for start, end in zip([0, *cuts], [*cuts, len(payload)], strict=True):
        reader.add(payload[start:end])
    assert reader.payload().message()[2] == Body.of(b"".join(chunks), 1000)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.binary(max_size=200), st.data())
def test_any_payload_read_in_pieces_is_read_as_it_is_whole(
    payload: bytes, data: st.DataObject
) -> None:
    payload = data.draw(st.sampled_from([b"", b"1 a 1\nGET / HTTP/1.1\r\n"])) + payload
    whole = PayloadReader(max_body=50)
    whole.add(payload)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(payload)), max_size=8)))
    pieces = PayloadReader(max_body=50)
    for start, end in zip([0, *cuts], [*cuts, len(payload)], strict=True):
        pieces.add(payload[start:end])
    assert pieces.payload() == whole.payload()
    assert pieces.blank == whole.blank


# ---------------------------------------------------------------- mutated real files


def _har_sample() -> bytes:
    entry = {
        "startedDateTime": "2026-11-20T10:00:00Z",
        "time": 3,
        "request": {
            "method": "POST",
            "url": "http://a.test/x?y=1",
            "headers": [{"name": "A", "value": "b"}],
            "postData": {"text": "aGVsbG8=", "encoding": "base64"},
        },
        "response": {
            "status": 200,
            "content": {"text": '{"\u00e9": "\\\\"}', "mimeType": "application/json"},
        },
    }
    return json.dumps({"log": {"entries": [entry] * 3}}).encode()


def _mitm_sample() -> bytes:
    from mitmproxy.io import FlowWriter
    from mitmproxy.test import tflow

    out = io.BytesIO()
    writer = FlowWriter(out)
    for flow in (tflow.tflow(resp=True), tflow.tflow(err=True), tflow.ttcpflow()):
        writer.add(flow)
    return out.getvalue()


def _goreplay_sample() -> bytes:
    chunked = b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    return SEPARATOR.join(
        [
            b"1 a 1763632800000000000\nPOST /x HTTP/1.1\r\nHost: a\r\n" + chunked,
            b"2 a 1763632800100000000 100\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
            b"1 b 1763632801000000000\nGET /y HTTP/1.1\r\n\r\n",
        ]
    )


SAMPLES = {"har": _har_sample(), "mitm": _mitm_sample(), "goreplay": _goreplay_sample()}


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """`original` cut, with bits flipped, bytes put in or taken out, JSON/tnetstring
    punctuation or bytes that are not UTF-8 dropped in."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["cut", "flip", "insert", "delete", "punctuation", "utf-8"]))
        if kind == "cut":
            del data[at:]
        elif kind == "utf-8":  # a byte no UTF-8 text holds there
            data[at:at] = draw(st.sampled_from([b"\xff", b"\xc3", b"\x80", b"\xed\xa0\x80"]))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 20))]
        elif data and kind == "flip":
            data[min(at, len(data) - 1)] ^= 1 << draw(st.integers(0, 7))
        elif data:
            data[min(at, len(data) - 1)] = draw(st.sampled_from(b'0123456789:,]}"\\-'))
    return bytes(data)


def _read_or_refuse(data: bytes, format: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "capture"
        path.write_bytes(data)
        try:
            for entry in read_capture(path, format=format):  # type: ignore[arg-type]
                assert isinstance(entry, Exchange | Skipped)
            return
        except UserError as exc:
            refused = str(exc)
    assert "\n" not in refused
    assert refused.startswith(str(path))


@pytest.mark.parametrize("format", sorted(SAMPLES))
@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(data=st.data())
def test_a_mutated_capture_is_read_skipped_or_refused(format: str, data: st.DataObject) -> None:
    _read_or_refuse(data.draw(mutated(SAMPLES[format])), format)


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(
    st.sampled_from(sorted(SAMPLES)),
    st.sampled_from([b"[", b'{"a":', b"9", b'"', b"\\", b"\xff"]),
    st.integers(1, 5000),
    st.floats(0, 1),
)
def test_a_valid_prefix_then_a_run_of_one_thing_is_read_skipped_or_refused(
    format: str, piece: bytes, times: int, where: float
) -> None:
    sample = SAMPLES[format]
    at = int(len(sample) * where)
    _read_or_refuse(sample[:at] + piece * times, format)


@pytest.fixture(scope="module")
def store_sample(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("store")
    har = folder / "a.har"
    har.write_bytes(_har_sample())
    store = folder / "s.duckdb"
    result = twinsight("import", str(har), "--store", str(store))
    assert result.returncode == 0, result.stderr
    return store.read_bytes()


def test_a_damaged_store_is_read_or_refused_in_one_line(store_sample: bytes) -> None:
    rng = random.Random(7)  # a fixed seed: DuckDB opens each file, so few and chosen once
    for _ in range(12):
        data = bytearray(store_sample)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        if rng.random() < 0.3:
            del data[rng.randrange(len(data)) :]
        _read_or_refuse(bytes(data), "store")
