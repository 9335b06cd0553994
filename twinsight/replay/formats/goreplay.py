"""GoReplay capture files (`gor --output-file`): raw HTTP payloads between separators.

Each payload starts with a line `TYPE ID TIMESTAMP [LATENCY]`: type 1 is a
request, 2 the response the service gave (recorded as `legacy`), 3 a response
to a replay (ignored). A request and its response share the ID. Requests are
yielded in file order once their response has come (or when too many wait).
Payloads are read a piece at a time: of a body only what the store keeps is held
(`gormessage`), so a payload of any size takes the same memory.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from twinsight.errors import FormatError
from twinsight.records import PRIMARY_TARGET, Exchange, Response

from .common import Entry, OnBytes, Skipped, imported, open_tracked, split_target, utc
from .gormessage import HTTP_VERSIONS, Payload, PayloadReader

__all__ = ["SEPARATOR", "payloads", "read_goreplay"]

SEPARATOR = "\n🐵🙈🙉\n".encode()
_CHUNK = 1 << 20
_MAX_WAITING = 10_000  # requests held for their response before going out without one


def payloads(path: Path, *, max_body: int, on_bytes: OnBytes | None = None) -> Iterator[Payload]:
    """The payloads of the file at `path`, read a chunk at a time."""
    with open_tracked(path, on_bytes) as file:
        yield from _split(file, max_body)


def _split(file: BinaryIO, max_body: int) -> Iterator[Payload]:
    reader = PayloadReader(max_body)
    held = b""  # a separator may straddle two reads
    keep = len(SEPARATOR) - 1
    while chunk := file.read(_CHUNK):
        data = held + chunk
        start = 0
        while (end := data.find(SEPARATOR, start)) >= 0:
            reader.add(data[start:end])
            yield reader.payload()
            reader = PayloadReader(max_body)
            start = end + len(SEPARATOR)
        cut = max(start, len(data) - keep)
        reader.add(data[start:cut])
        held = data[cut:]
    reader.add(held)
    if not reader.blank:
        yield reader.payload()


def read_goreplay(path: Path, *, max_body: int, on_bytes: OnBytes | None = None) -> Iterator[Entry]:
    """The requests of the GoReplay file at `path`, each with its recorded response."""
    waiting: OrderedDict[str, Exchange] = OrderedDict()
    for index, payload in enumerate(payloads(path, max_body=max_body, on_bytes=on_bytes)):
        try:
            kind, key, ts_ns = _header(payload.line)
            if kind == "1":
                waiting[key] = _request(payload, path, index, ts_ns)
            elif kind == "2" and key in waiting:
                waiting[key] = _with_response(waiting[key], payload)
        except (ValueError, OverflowError, OSError) as exc:
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


def _header(line: bytes) -> tuple[str, str, int]:
    fields = line.decode("latin-1").split()
    if len(fields) < 3 or fields[0] not in ("1", "2", "3") or not _digits(fields[2]):
        raise ValueError(f"bad payload header {line[:60]!r}")
    return fields[0], fields[1], int(fields[2])


def _latency(line: bytes) -> float | None:
    fields = line.split()
    return int(fields[3]) / 1e6 if len(fields) > 3 and _digits(fields[3].decode()) else None


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 20


def _request(payload: Payload, path: Path, index: int, ts_ns: int) -> Exchange:
    start, headers, body = payload.message()
    method, _, rest = start.partition(" ")
    target, _, version = rest.rpartition(" ")
    if not method.isalpha() or not target.startswith("/") or version.encode() not in HTTP_VERSIONS:
        raise ValueError(f"not an HTTP/1 request line: {start[:60]!r}")
    target_path, query = split_target(target)
    ts = utc(ts_ns / 1e9)
    host = next((v for n, v in headers if n.lower() == "host"), "")
    url = ("http", host, target_path, query)
    return imported(f"goreplay:{path.name}:{index}", ts, method, url, headers, body)


def _with_response(exchange: Exchange, payload: Payload) -> Exchange:
    start, headers, body = payload.message()
    version, _, rest = start.partition(" ")
    status = rest[:3]
    if version.encode() not in HTTP_VERSIONS or not _digits(status):
        raise ValueError(f"not an HTTP/1 status line: {start[:60]!r}")
    latency = _latency(payload.line)
    # The latency runs from the request's own timestamp: the exchange's time.
    response = Response(PRIMARY_TARGET, int(status), headers, body, latency, sent_at=exchange.ts)
    return replace(exchange, responses=(response,))
