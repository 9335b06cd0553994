"""GoReplay capture files (`gor --output-file`): raw HTTP payloads between separators.

Each payload starts with a line `TYPE ID TIMESTAMP [LATENCY]`: type 1 is a
request, 2 the response the service gave (recorded as `legacy`), 3 a response
to a replay (ignored). A request and its response share the ID. Requests are
yielded in file order once their response has come (or when too many wait).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from twinsight.store import PRIMARY_TARGET, Body, Exchange, Response, stable_id

from .common import Entry, FormatError, OnBytes, Skipped, open_tracked, split_target, utc

__all__ = ["SEPARATOR", "read_goreplay"]

SEPARATOR = "\n🐵🙈🙉\n".encode()
_CHUNK = 1 << 20
_MAX_WAITING = 10_000  # requests held for their response before going out without one
_HTTP_VERSIONS = (b"HTTP/1.0", b"HTTP/1.1")


def payloads(path: Path, on_bytes: OnBytes | None = None) -> Iterator[bytes]:
    """The payloads of the file at `path`, read a chunk at a time."""
    pending = b""
    with open_tracked(path, on_bytes) as file:
        while chunk := file.read(_CHUNK):
            pending += chunk
            *whole, pending = pending.split(SEPARATOR)
            yield from whole
    if pending.strip():
        yield pending


def read_goreplay(path: Path, *, max_body: int, on_bytes: OnBytes | None = None) -> Iterator[Entry]:
    """The requests of the GoReplay file at `path`, each with its recorded response."""
    waiting: OrderedDict[str, Exchange] = OrderedDict()
    index = -1
    for index, payload in enumerate(payloads(path, on_bytes)):
        try:
            kind, key, ts_ns, message = _header(payload)
            if kind == "1":
                waiting[key] = _request(message, path, index, ts_ns, max_body)
            elif kind == "2" and key in waiting:
                waiting[key] = _with_response(waiting[key], message, _latency(payload), max_body)
        except ValueError as exc:
            if index == 0:
                raise FormatError(f"{path}: not a GoReplay file: {exc}") from None
            yield Skipped(path.name, index, str(exc))
            continue
        yield from _ready(waiting, keep=_MAX_WAITING)
    yield from _ready(waiting, keep=0)


def _ready(waiting: OrderedDict[str, Exchange], *, keep: int) -> Iterator[Entry]:
    """Oldest first: those answered, and unanswered ones past the `keep` newest."""
    while waiting:
        key, exchange = next(iter(waiting.items()))
        if not exchange.responses and len(waiting) <= keep:
            return
        del waiting[key]
        yield exchange


def _header(payload: bytes) -> tuple[str, str, int, bytes]:
    line, _, message = payload.partition(b"\n")
    fields = line.decode("latin-1").split()
    if len(fields) < 3 or fields[0] not in ("1", "2", "3") or not fields[2].isdigit():
        raise ValueError(f"bad payload header {line[:60]!r}")
    return fields[0], fields[1], int(fields[2]), message


def _latency(payload: bytes) -> float | None:
    fields = payload.partition(b"\n")[0].split()
    return int(fields[3]) / 1e6 if len(fields) > 3 and fields[3].isdigit() else None


def _request(message: bytes, path: Path, index: int, ts_ns: int, max_body: int) -> Exchange:
    start, headers, body = _message(message)
    method, _, rest = start.partition(" ")
    target, _, version = rest.rpartition(" ")
    if not method.isalpha() or not target.startswith("/") or version.encode() not in _HTTP_VERSIONS:
        raise ValueError(f"not an HTTP/1 request line: {start[:60]!r}")
    target_path, query = split_target(target)
    ts = utc(ts_ns / 1e9)
    host = next((v for n, v in headers if n.lower() == "host"), "")
    return Exchange(
        id=stable_id(ts, f"goreplay:{path.name}:{index}"),
        source="import",
        method=method,
        path=target_path,
        query=query,
        host=host,
        headers=headers,
        body=Body.of(body, max_body),
        ts=ts,
    )


def _with_response(
    exchange: Exchange, message: bytes, latency: float | None, max_body: int
) -> Exchange:
    start, headers, body = _message(message)
    version, _, rest = start.partition(" ")
    status = rest[:3]
    if version.encode() not in _HTTP_VERSIONS or not status.isdigit():
        raise ValueError(f"not an HTTP/1 status line: {start[:60]!r}")
    response = Response(PRIMARY_TARGET, int(status), headers, Body.of(body, max_body), latency)
    return replace(exchange, responses=(response,))


def _message(message: bytes) -> tuple[str, tuple[tuple[str, str], ...], bytes]:
    head, found, body = message.partition(b"\r\n\r\n")
    if not found:
        raise ValueError("no end of headers")
    start, *lines = head.decode("latin-1").split("\r\n")
    headers = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise ValueError(f"bad header line {line[:60]!r}")
        headers.append((name.strip(), value.strip()))
    if any(n.lower() == "transfer-encoding" and "chunked" in v.lower() for n, v in headers):
        body = _dechunk(body)
        headers = [(n, v) for n, v in headers if n.lower() != "transfer-encoding"]
    return start, tuple(headers), body


def _dechunk(data: bytes) -> bytes:
    """The body of a chunked message (RFC 9112 section 7.1); ValueError when malformed."""
    out: list[bytes] = []
    at = 0
    while True:
        end = data.find(b"\r\n", at)
        if end < 0:
            raise ValueError("chunked body is cut")
        size_text = data[at:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ValueError(f"bad chunk size {size_text[:20]!r}") from None
        if size == 0:
            return b"".join(out)
        out.append(data[end + 2 : end + 2 + size])
        if len(out[-1]) < size:
            raise ValueError("chunked body is cut")
        at = end + 2 + size + 2
