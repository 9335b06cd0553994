"""Content-encoding removal, so analysis compares meaning rather than compressed bytes."""

from __future__ import annotations

import zlib
from collections.abc import Callable

import brotli
import zstandard

__all__ = ["decode_body"]


def decode_body(data: bytes, encoding: str, limit: int) -> tuple[bytes, bool]:
    """Undo `encoding` (a Content-Encoding value, possibly a list) on `data`.

    Returns the decoded bytes (at most `limit`: a small compressed body must not
    expand without bound) and whether decoding succeeded; on failure the bytes
    come back as given.
    """
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    decoded = data
    try:
        # Codings are listed in the order applied: undo them last first.
        for coding in reversed(codings):
            if coding == "identity":
                continue
            step = _DECODERS.get(coding)
            if step is None:
                return data, False
            decoded = step(decoded, limit)
    except (zlib.error, brotli.error, zstandard.ZstdError, ValueError):
        return data, False
    return decoded, True


def _zlib(wbits: int) -> Callable[[bytes, int], bytes]:
    def decode(data: bytes, limit: int) -> bytes:
        return zlib.decompressobj(wbits).decompress(data, limit)

    return decode


def _deflate(data: bytes, limit: int) -> bytes:
    # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
    try:
        return _zlib(zlib.MAX_WBITS)(data, limit)
    except zlib.error:
        return _zlib(-zlib.MAX_WBITS)(data, limit)


def _brotli(data: bytes, limit: int) -> bytes:
    decompressor = brotli.Decompressor()
    try:
        # The limit stops the buffer growing; it may overshoot by one buffer, so cut.
        return bytes(decompressor.process(data, output_buffer_limit=limit))[:limit]
    except TypeError:
        pass  # Brotli < 1.2 (pinned by mitmproxy 11) has no output limit
    # Feed small pieces and stop once past the limit, so a bomb expands only a little.
    out = bytearray()
    for start in range(0, len(data), 8):
        out += decompressor.process(data[start : start + 8])
        if len(out) >= limit:
            break
    return bytes(out[:limit])


def _zstd(data: bytes, limit: int) -> bytes:
    reader = zstandard.ZstdDecompressor().stream_reader(data)
    return reader.read(limit)


_DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _zlib(16 + zlib.MAX_WBITS),
    "x-gzip": _zlib(16 + zlib.MAX_WBITS),
    "deflate": _deflate,
    "br": _brotli,
    "zstd": _zstd,
}
