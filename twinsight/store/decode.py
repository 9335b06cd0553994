"""Content-encoding removal, so analysis compares meaning rather than compressed bytes."""

from __future__ import annotations

import zlib
from collections.abc import Callable

import brotli
import zstandard

__all__ = ["decode_body", "decode_stream"]


def decode_body(data: bytes, encoding: str, limit: int) -> tuple[bytes, bool]:
    """Undo `encoding` (a Content-Encoding value, possibly a list) on `data`.

    Returns the decoded bytes (at most `limit`: a small compressed body must not
    expand without bound) and whether decoding succeeded; on failure the bytes
    come back as given.
    """
    decoded, ok, _ = decode_stream(data, encoding, limit)
    return decoded, ok


def decode_stream(data: bytes, encoding: str, limit: int) -> tuple[bytes, bool, bool]:
    """As `decode_body`, plus whether every coding's stream reached its end.

    A stream cut in transit decodes to a prefix without error: the caller must
    treat that prefix as cut. A stream stopped at `limit` counts as ended here
    (the caller sees the length).
    """
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    decoded, ended = data, True
    try:
        # Codings are listed in the order applied: undo them last first.
        for coding in reversed(codings):
            if coding == "identity":
                continue
            step = _DECODERS.get(coding)
            if step is None:
                return data, False, True
            decoded, complete = step(decoded, limit)
            ended = ended and (complete or len(decoded) >= limit)
    except (zlib.error, brotli.error, zstandard.ZstdError, ValueError):
        return data, False, True
    return decoded, True, ended


_Step = Callable[[bytes, int], tuple[bytes, bool]]


def _zlib(wbits: int) -> _Step:
    def decode(data: bytes, limit: int) -> tuple[bytes, bool]:
        decompressor = zlib.decompressobj(wbits)
        return decompressor.decompress(data, limit), decompressor.eof

    return decode


def _deflate(data: bytes, limit: int) -> tuple[bytes, bool]:
    # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
    try:
        return _zlib(zlib.MAX_WBITS)(data, limit)
    except zlib.error:
        return _zlib(-zlib.MAX_WBITS)(data, limit)


def _brotli(data: bytes, limit: int) -> tuple[bytes, bool]:
    decompressor = brotli.Decompressor()
    try:
        # The limit stops the buffer growing; it may overshoot by one buffer, so cut.
        out = bytes(decompressor.process(data, output_buffer_limit=limit))[:limit]
        return out, decompressor.is_finished()
    except TypeError:
        pass  # Brotli < 1.2 (pinned by mitmproxy 11) has no output limit
    # Feed small pieces and stop once past the limit, so a bomb expands only a little.
    buffer = bytearray()
    for start in range(0, len(data), 8):
        buffer += decompressor.process(data[start : start + 8])
        if len(buffer) >= limit:
            break
    return bytes(buffer[:limit]), decompressor.is_finished()


def _zstd(data: bytes, limit: int) -> tuple[bytes, bool]:
    out = zstandard.ZstdDecompressor().stream_reader(data).read(limit)
    if len(out) >= limit:
        return out, True
    # The reader does not tell a cut frame from a whole one; below the limit this is bounded.
    decompressor = zstandard.ZstdDecompressor().decompressobj()
    decompressor.decompress(data)
    return out, decompressor.eof


_DECODERS: dict[str, _Step] = {
    "gzip": _zlib(16 + zlib.MAX_WBITS),
    "x-gzip": _zlib(16 + zlib.MAX_WBITS),
    "deflate": _deflate,
    "br": _brotli,
    "zstd": _zstd,
}
