"""An answer as a person reads it: JSON pretty-printed with the differing lines flagged,
headers flagged by name, and the request again as a curl command.

Pure text: nothing here escapes for HTML or Markdown; the renderers do.
"""

from __future__ import annotations

import shlex
from collections.abc import Collection, Iterator, Sequence
from typing import Any

import orjson

from twinsight.analysis.jsondiff import Path, render_path

__all__ = [
    "CURL_BODY_BYTES",
    "MAX_BODY_BYTES",
    "MAX_LINES",
    "MAX_LINE_BYTES",
    "body_lines",
    "curl_command",
    "cut_line",
    "differs_at",
    "header_lines",
]

MAX_LINES = 200
"""Lines of a body shown per side; the rest is cut, and said to be."""
MAX_LINE_BYTES = 4 * 1024
"""Bytes of one shown line (a body line, a header value); the rest is cut, and said to be."""
MAX_BODY_BYTES = 64 * 1024
"""Bytes of one body shown per side, over all its lines: a report stays a readable size."""
CURL_BODY_BYTES = 4 * 1024
"""A longer request body is not written into the curl command but read from a file."""
_NOT_RESENT = frozenset({"host", "content-length", "connection", "transfer-encoding"})


def differs_at(path: str, locations: Collection[str]) -> bool:
    """Whether `path` is a differing location or lies inside one."""
    return any(path == loc or path.startswith((loc + ".", loc + "[")) for loc in locations if loc)


def body_lines(
    body: bytes | None, locations: Collection[str], *, max_lines: int = MAX_LINES
) -> tuple[tuple[tuple[str, bool], ...], str]:
    """The body as lines, each flagged when it lies at a differing location; and a note."""
    data = bytes(body or b"")
    if not data:
        return (), "empty body"
    if b"\x00" in data[:1024]:
        return (), f"binary body, {len(data)} bytes"
    whole = "body" in locations
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        text = data.decode("utf-8", errors="replace").splitlines()
        lines = [(line, whole) for line in text]
    else:
        lines = [(line, whole or differs_at(path, locations)) for line, path in _json(value)]
    return _capped(lines, max_lines)


def _capped(
    lines: Sequence[tuple[str, bool]], max_lines: int
) -> tuple[tuple[tuple[str, bool], ...], str]:
    """At most `max_lines` lines of at most MAX_LINE_BYTES, MAX_BODY_BYTES in all; a note."""
    shown: list[tuple[str, bool]] = []
    budget, long_lines, left_out = MAX_BODY_BYTES, 0, 0
    for line, flagged in lines[:max_lines]:
        size = len(line.encode("utf-8"))
        if budget <= 0:
            left_out += size + 1
            continue
        kept, cut = cut_line(line, min(MAX_LINE_BYTES, budget))
        long_lines += cut > 0
        left_out += cut
        budget -= size - cut + 1
        shown.append((kept, flagged))
    notes = []
    if len(lines) > max_lines:
        notes.append(f"cut at {max_lines} of {len(lines)} lines")
    if left_out:
        notes.append(
            f"{left_out} bytes left out ({long_lines} line(s) cut at {MAX_LINE_BYTES} bytes,"
            f" at most {MAX_BODY_BYTES} bytes shown)"
        )
    return tuple(shown), "; ".join(notes)


def cut_line(line: str, limit: int = MAX_LINE_BYTES) -> tuple[str, int]:
    """`line` cut to `limit` UTF-8 bytes with a visible mark; and how many bytes were cut."""
    data = line.encode("utf-8")
    if len(data) <= limit:
        return line, 0
    kept = data[:limit].decode("utf-8", errors="ignore")
    cut = len(data) - len(kept.encode("utf-8"))
    return f"{kept} [... {cut} more bytes cut]", cut


def header_lines(
    headers: Sequence[dict[str, str]] | None, locations: Collection[str]
) -> tuple[tuple[str, str, bool], ...]:
    """(name, value, differs) of each header line, in order."""
    return tuple(
        (h["name"], cut_line(h["value"])[0], f"headers.{h['name'].lower()}" in locations)
        for h in headers or ()
    )


def curl_command(
    base: str,
    method: str,
    path: str,
    query: str | None,
    headers: Sequence[dict[str, str]] | None,
    body: bytes | None,
) -> str:
    """The request as a curl command aimed at `base` (redacted values stay redacted).

    A body over CURL_BODY_BYTES is read from `body.json` instead, said in a comment line
    above the command: a report carries no copy of a large request per target.
    """
    url = base.rstrip("/") + path + (f"?{query}" if query else "")
    words = ["curl", "-X", method, shlex.quote(url)]
    for h in headers or ():
        if h["name"].lower() not in _NOT_RESENT:
            words += ["-H", shlex.quote(f"{h['name']}: {h['value']}")]
    data = bytes(body or b"")
    if len(data) > CURL_BODY_BYTES:
        words += ["--data-binary", "@body.json"]
        note = f"# the request body ({len(data)} bytes) is not shown: save it as body.json\n"
        return note + " ".join(words)
    if data:
        words += ["--data-binary", shlex.quote(data.decode("utf-8", errors="replace"))]
    return " ".join(words)


def _json(value: Any) -> Iterator[tuple[str, str]]:
    """(line, JSON path of the line) of `value` pretty-printed with two-space indents."""
    yield from _walk(value, (), 0, "", "")


def _walk(value: Any, path: Path, depth: int, label: str, comma: str) -> Iterator[tuple[str, str]]:
    pad = "  " * depth
    where = render_path(path)
    items: list[tuple[str | int, Any]]
    if isinstance(value, dict) and value:
        items, opening, closing = list(value.items()), "{", "}"
    elif isinstance(value, list) and value:
        items, opening, closing = list(enumerate(value)), "[", "]"
    else:
        yield f"{pad}{label}{orjson.dumps(value).decode()}{comma}", where
        return
    yield f"{pad}{label}{opening}", where
    for i, (key, item) in enumerate(items):
        inner = f"{orjson.dumps(key).decode()}: " if isinstance(key, str) else ""
        yield from _walk(item, (*path, key), depth + 1, inner, "," if i < len(items) - 1 else "")
    yield f"{pad}{closing}{comma}", where
