"""HAR 1.2 (browser devtools, mitmproxy, Charles, Fiddler exports), streamed entry by entry.

HAR content text is the decoded body, so a recorded Content-Encoding no longer
describes it and is dropped; `encoding: base64` bodies are decoded. Missing
optional fields are tolerated; an entry without a usable request is skipped.
Long texts never reach memory whole (`jsonstream`, `hartext`); the fields that
are not bodies (method, URL, headers, time, status) are refused past `MAX_FIELD`.
"""

from __future__ import annotations

import binascii
import io
import tempfile
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any

import ijson

from twinsight.records import PRIMARY_TARGET, Exchange, Headers, Response
from twinsight.traffic import server_url

from .common import (
    Entry,
    FormatError,
    OnBytes,
    Skipped,
    imported,
    open_tracked,
    split_url,
)
from .hartext import har_body
from .jsonstream import JsonLimit, LongStrings

__all__ = ["MAX_FIELD", "read_har"]

MAX_FIELD = 128 << 10  # characters; every spilled string is longer (LONG / 6 at least)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BOM = b"\xef\xbb\xbf"
# What describes the recorded bytes, not the decoded text a HAR holds.
_STALE = frozenset({"content-encoding", "content-length", "transfer-encoding"})
_ENTRY_ERRORS = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    OverflowError,
    RecursionError,
    binascii.Error,
)
_REASON_LENGTH = 200


def read_har(path: Path, *, max_body: int, on_bytes: OnBytes | None = None) -> Iterator[Entry]:
    """The entries of the HAR file at `path`."""
    with (
        tempfile.TemporaryDirectory(prefix="twinsight-har-") as folder,
        open_tracked(path, on_bytes) as file,
    ):
        strings = LongStrings(_past_bom(file), Path(folder))
        found = yield from _entries(strings, path, max_body)
    if not found and not _has_entries(path):
        raise FormatError(f"{path}: not a HAR file: no log.entries")


def _entries(strings: LongStrings, path: Path, max_body: int) -> Generator[Entry, None, bool]:
    """Yield the entries of the stream; return whether there was any."""
    index = -1
    last = _EPOCH
    try:
        items = ijson.items(strings, "log.entries.item", use_float=True)
        for index, entry in enumerate(items):
            try:
                exchange = _exchange(entry, path, index, max_body, last, strings)
                last = exchange.ts
                yield exchange
            except _ENTRY_ERRORS as exc:
                yield Skipped(path.name, index, _reason(exc))
            strings.release()
    except (ijson.JSONError, JsonLimit, UnicodeDecodeError) as exc:  # the parser cannot go on
        if index < 0:
            raise FormatError(f"{path}: not a HAR file: {_first_line(exc)}") from None
        yield Skipped(path.name, index + 1, _broken(exc))
    return index >= 0


def _past_bom(file: io.BufferedReader) -> io.BufferedReader:
    if file.peek(len(_BOM)).startswith(_BOM):  # Fiddler writes one
        file.read(len(_BOM))
    return file


def _has_entries(path: Path) -> bool:
    with path.open("rb") as file:
        strings = LongStrings(_past_bom(file), None)
        try:
            return any(prefix == "log.entries" for prefix, _, _ in ijson.parse(strings))
        except (ijson.JSONError, JsonLimit, UnicodeDecodeError):
            return False


def _exchange(
    entry: Any, path: Path, index: int, max_body: int, last: datetime, strings: LongStrings
) -> Exchange:
    request = entry["request"]
    method = _field(request["method"], "request.method", strings)
    if not isinstance(method, str) or not method.isalpha():
        raise ValueError(f"request.method is {method!r}")
    url = split_url(_field(request["url"], "request.url", strings))
    started = _field(entry.get("startedDateTime"), "startedDateTime", strings)
    ts = _time(started, last)
    # HAR's `time` runs from `startedDateTime`: the request's own send time, when given.
    sent = (ts if started is not None else None, entry.get("time"))
    headers = _headers(request.get("headers"), "request", strings)
    body = har_body(request.get("postData") or {}, max_body=max_body, strings=strings)
    return imported(
        f"har:{path.name}:{index}",
        ts,
        method.upper(),
        url,
        headers,
        body,
        _response(entry.get("response"), sent, max_body, strings, server_url(*url[:2])),
        session=f"har:{path.name}",  # one recording is one user's session
    )


def _response(
    response: Any,
    sent: tuple[datetime | None, Any],
    max_body: int,
    strings: LongStrings,
    server: str | None,
) -> tuple[Response, ...]:
    """The recorded answer; `sent`: when the request was sent and the entry's `time` since."""
    if not isinstance(response, dict) or not response.get("status"):
        return ()  # status 0: the browser got no answer (blocked, aborted)
    status = int(_field(response["status"], "response.status", strings))
    if not 100 <= status <= 999:
        raise ValueError(f"response.status is {status}")
    body = har_body(response.get("content") or {}, max_body=max_body, strings=strings)
    sent_at, elapsed = sent
    return (
        Response(
            PRIMARY_TARGET,
            status=status,
            headers=_headers(response.get("headers"), "response", strings),
            body=body,
            latency_ms=float(elapsed)
            if isinstance(elapsed, int | float) and elapsed >= 0
            else None,
            base_url=server,  # the URL the browser asked: the server that answered
            sent_at=sent_at,
        ),
    )


def _headers(raw: Any, side: str, strings: LongStrings) -> Headers:
    if raw is None:
        return ()
    pairs = [(str(h["name"]), str(h["value"])) for h in raw]
    longest = max(map(len, chain.from_iterable(pairs)), default=0)
    if longest > MAX_FIELD or (strings.spills and strings.marked(chain.from_iterable(pairs))):
        raise _too_long(f"{side}.headers")
    # HTTP/2 pseudo-headers (":authority") are not headers of the request to resend.
    return tuple((n, v) for n, v in pairs if not n.startswith(":") and n.lower() not in _STALE)


def _field(value: Any, name: str, strings: LongStrings) -> Any:
    """`value`, unless it is a string too long for a field that is not a body."""
    if isinstance(value, str) and (len(value) > MAX_FIELD or value.startswith(strings.marker)):
        raise _too_long(name)
    return value


def _too_long(name: str) -> ValueError:
    return ValueError(f"{name} is longer than {MAX_FIELD // 1024} KiB")


def _time(value: Any, last: datetime) -> datetime:
    if value is None:
        return last  # tolerated: keeps the entry in its place in the file's order
    when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _broken(exc: BaseException) -> str:
    if isinstance(exc, JsonLimit):
        return f"not read further: {_first_line(exc)}"
    return f"the file is cut or broken here: {_first_line(exc)}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return _cut(f"no field {exc.args[0]!r}")
    if isinstance(exc, binascii.Error):
        return f"body is not valid base64 ({exc})"
    if isinstance(exc, RecursionError):
        return "a field nests too deep"
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return _cut(text[0]) if text else type(exc).__name__


def _cut(text: str) -> str:
    return text if len(text) <= _REASON_LENGTH else text[: _REASON_LENGTH - 3] + "..."
