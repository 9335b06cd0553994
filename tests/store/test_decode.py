import gzip
import zlib

import brotli
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from twinsight.store.decode import decode_body, decode_stream

ENCODERS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": zstandard.ZstdCompressor().compress,
}


@pytest.mark.parametrize("coding", sorted(ENCODERS))
@given(data=st.binary(max_size=2000))
def test_each_encoding_round_trips(coding: str, data: bytes) -> None:
    assert decode_body(ENCODERS[coding](data), coding, 10_000) == (data, True)


def test_raw_deflate_and_chained_codings() -> None:
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    deflated = raw.compress(b"hello") + raw.flush()
    assert decode_body(deflated, "deflate", 100) == (b"hello", True)
    chained = brotli.compress(gzip.compress(b"twice"))
    assert decode_body(chained, "gzip, br", 100) == (b"twice", True)


@pytest.mark.parametrize("coding", sorted(ENCODERS))
def test_a_compression_bomb_stops_at_the_limit(coding: str) -> None:
    bomb = ENCODERS[coding](b"\0" * 5_000_000)
    decoded, ok = decode_body(bomb, coding, 1000)
    assert ok
    assert len(decoded) == 1000


@given(st.binary(max_size=200), st.sampled_from([*ENCODERS, "compress", "gzip, zstd"]))
def test_garbage_never_raises_and_comes_back_as_given(data: bytes, coding: str) -> None:
    decoded, ok = decode_body(data, coding, 1000)
    if not ok:
        assert decoded == data


@pytest.mark.parametrize("coding", sorted(ENCODERS))
def test_a_stream_cut_in_transit_is_reported_as_not_ended(coding: str) -> None:
    data = ENCODERS[coding](bytes(range(256)) * 20)
    assert decode_stream(data, coding, 100_000)[1:] == (True, True)
    _, ok, ended = decode_stream(data[: len(data) - 8], coding, 100_000)
    assert not (ok and ended)
    assert decode_stream(data, coding, 10)[2]  # stopped at the limit: the caller sees that


def test_every_layer_must_end() -> None:
    inner = gzip.compress(b"x" * 5000)
    data = gzip.compress(inner[:-20])
    assert decode_stream(data, "gzip, gzip", 100_000)[1:] == (True, False)
