"""Bad input never crashes a reader: it is read, skipped with a reason, or refused in one line."""

from __future__ import annotations

import tempfile
from pathlib import Path

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsight.replay.formats import FormatError, Skipped, read_capture
from twinsight.replay.formats.goreplay import SEPARATOR
from twinsight.store import Exchange

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
