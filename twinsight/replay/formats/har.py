"""HAR 1.2 (browser devtools, mitmproxy, Charles, Fiddler exports), streamed entry by entry.

HAR content text is the decoded body, so a recorded Content-Encoding no longer
describes it and is dropped; `encoding: base64` bodies are decoded. Missing
optional fields are tolerated; an entry without a usable request is skipped.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ijson

from twinsight.store import PRIMARY_TARGET, Body, Exchange, Headers, Response, stable_id

from .common import Entry, FormatError, OnBytes, Skipped, open_tracked, split_url

__all__ = ["read_har"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BOM = b"\xef\xbb\xbf"
_CHARSET = re.compile(r"charset=\"?([\w.:-]+)", re.I)
# What describes the recorded bytes, not the decoded text a HAR holds.
_STALE = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def read_har(path: Path, *, max_body: int, on_bytes: OnBytes | None = None) -> Iterator[Entry]:
    """The entries of the HAR file at `path`."""
    index = -1
    last = _EPOCH
    try:
        with open_tracked(path, on_bytes) as file:
            if file.peek(3).startswith(_BOM):  # Fiddler writes one
                file.read(len(_BOM))
            for index, entry in enumerate(ijson.items(file, "log.entries.item", use_float=True)):
                try:
                    exchange = _exchange(entry, path, index, max_body, last)
                    last = exchange.ts
                    yield exchange
                except (KeyError, TypeError, ValueError, AttributeError, binascii.Error) as exc:
                    yield Skipped(path.name, index, _reason(exc))
    except ijson.JSONError as exc:
        if index < 0:
            raise FormatError(f"{path}: not a HAR file: {_first_line(exc)}") from None
        yield Skipped(path.name, index + 1, f"the file is cut or broken here: {_first_line(exc)}")
        return
    if index < 0 and not _has_entries(path):
        raise FormatError(f"{path}: not a HAR file: no log.entries")


def _has_entries(path: Path) -> bool:
    with path.open("rb") as file:
        if file.peek(3).startswith(_BOM):
            file.read(len(_BOM))
        try:
            return any(prefix == "log.entries" for prefix, _, _ in ijson.parse(file))
        except ijson.JSONError:
            return False


def _exchange(entry: Any, path: Path, index: int, max_body: int, last: datetime) -> Exchange:
    request = entry["request"]
    method = request["method"]
    if not isinstance(method, str) or not method.isalpha():
        raise ValueError(f"request.method is {method!r}")
    scheme, host, target_path, query = split_url(request["url"])
    ts = _time(entry.get("startedDateTime"), last)
    headers = _headers(request.get("headers"), drop=_STALE)
    post = request.get("postData") or {}
    body = _text(post.get("text"), post.get("encoding"), post.get("mimeType"))
    responses = _response(entry.get("response"), entry.get("time"), max_body)
    return Exchange(
        id=stable_id(ts, f"har:{path.name}:{index}"),
        source="import",
        method=method.upper(),
        path=target_path,
        query=query,
        scheme=scheme,
        host=host,
        headers=headers,
        body=Body.of(body, max_body),
        responses=responses,
        session=f"har:{path.name}",  # one recording is one user's session
        ts=ts,
    )


def _response(response: Any, elapsed: Any, max_body: int) -> tuple[Response, ...]:
    if not isinstance(response, dict) or not response.get("status"):
        return ()  # status 0: the browser got no answer (blocked, aborted)
    content = response.get("content") or {}
    data = _text(content.get("text"), content.get("encoding"), content.get("mimeType"))
    return (
        Response(
            PRIMARY_TARGET,
            status=int(response["status"]),
            headers=_headers(response.get("headers"), drop=_STALE),
            body=Body.of(data, max_body),
            latency_ms=float(elapsed)
            if isinstance(elapsed, int | float) and elapsed >= 0
            else None,
        ),
    )


def _headers(raw: Any, *, drop: frozenset[str]) -> Headers:
    if raw is None:
        return ()
    pairs = ((str(h["name"]), str(h["value"])) for h in raw)
    # HTTP/2 pseudo-headers (":authority") are not headers of the request to resend.
    return tuple((n, v) for n, v in pairs if not n.startswith(":") and n.lower() not in drop)


def _text(text: Any, encoding: Any, mime_type: Any) -> bytes:
    """The bytes of a HAR text: base64-decoded, or encoded in the charset its type names."""
    if not text:
        return b""
    if encoding == "base64":
        return base64.b64decode(text, validate=True)
    found = _CHARSET.search(str(mime_type or ""))
    try:
        return str(text).encode(found.group(1) if found else "utf-8")
    except (LookupError, UnicodeEncodeError):
        return str(text).encode()  # an unknown charset, or one that cannot hold the text


def _time(value: Any, last: datetime) -> datetime:
    if value is None:
        return last  # tolerated: keeps the entry in its place in the file's order
    when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"no field {exc.args[0]!r}"
    if isinstance(exc, binascii.Error):
        return f"body is not valid base64 ({exc})"
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
