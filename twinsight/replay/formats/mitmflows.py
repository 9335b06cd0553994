"""mitmproxy flow files (`mitmdump -w`), read with mitmproxy's own format code.

`mitmproxy.io.FlowReader` stops at the first entry it cannot read; this reader
takes the same steps (tnetstring, `compat.migrate_flow` for files of older
versions, `Flow.from_state`) one entry at a time, so an unreadable flow is
skipped and counted and the rest of the file still comes in. Only damage to the
framing itself (a cut file) ends the read early, with a skip saying where.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from twinsight.errors import FormatError
from twinsight.extras import require
from twinsight.records import PRIMARY_TARGET, Body, Exchange, Response
from twinsight.traffic import server_url

from .common import (
    Entry,
    OnBytes,
    Skipped,
    imported,
    open_tracked,
    split_target,
    utc,
)

__all__ = ["read_mitm_flows"]

_MAX_DIGITS = 12  # as tnetstring.load allows


def read_mitm_flows(
    path: Path, *, max_body: int, on_bytes: OnBytes | None = None
) -> Iterator[Entry]:
    """The flows of the mitmproxy flow file at `path`."""
    tnetstring = require("mitmproxy.io.tnetstring", "mitm", "reading mitmproxy flow files")
    compat = require("mitmproxy.io.compat", "mitm", "reading mitmproxy flow files")
    flow_module = require("mitmproxy.flow", "mitm", "reading mitmproxy flow files")
    with open_tracked(path, on_bytes) as file:
        index, left = 0, path.stat().st_size
        while left:
            try:
                state, left = _load(tnetstring.parse, file, left)
            except (ValueError, TypeError, IndexError, RecursionError) as exc:
                if index == 0:
                    raise FormatError(
                        f"{path}: not a mitmproxy flow file: {_reason(exc)}"
                    ) from None
                yield Skipped(path.name, index, f"unreadable from here on (file cut?): {exc}")
                return
            kind = _kind(state)  # before from_state, which consumes the state
            try:
                flow = flow_module.Flow.from_state(compat.migrate_flow(state))
                yield _exchange(flow, path, index, max_body)
            except Exception as exc:  # any damage to one flow skips that flow only
                yield Skipped(path.name, index, f"{kind} flow: {_reason(exc)}")
            index += 1


def _load(parse: Any, file: BinaryIO, left: int) -> tuple[Any, int]:
    """The next tnetstring of `file` and the bytes left after it.

    `tnetstring.load` reads as many bytes as the length prefix declares, up to a
    terabyte: the length is checked against what the file holds first."""
    digits = b""
    while (char := file.read(1)).isdigit() and len(digits) <= _MAX_DIGITS:
        digits += char
    if char != b":" or not digits or len(digits) > _MAX_DIGITS:
        raise ValueError("not a tnetstring: missing or invalid length prefix")
    length = int(digits)
    used = len(digits) + 1 + length + 1
    if used > left:
        raise ValueError(f"a value of {length} bytes declared, {left - len(digits) - 1} left")
    data, kind = file.read(length), file.read(1)
    if len(data) < length or not kind:
        raise ValueError("not a tnetstring: cut short")
    return parse(kind[0], memoryview(data)), left - used


def _exchange(flow: Any, path: Path, index: int, max_body: int) -> Exchange:
    request = getattr(flow, "request", None)
    if request is None:
        raise ValueError("not an HTTP flow")
    target_path, query = split_target(request.data.path.decode("latin-1"))
    ts = utc(request.timestamp_start)
    return imported(
        f"mitm:{path.name}:{index}:{flow.id}",
        ts,
        request.method.upper(),
        (request.scheme, request.host_header or request.pretty_host, target_path, query),
        _headers(request.headers.fields),
        Body.of(request.raw_content or b"", max_body),
        _responses(flow, max_body),
    )


def _responses(flow: Any, max_body: int) -> tuple[Response, ...]:
    request = flow.request
    response, server = flow.response, server_url(request.scheme, request.host, request.port)
    # mitmproxy sent the request on as soon as it had read it: latency runs from there too.
    sent_at = utc(request.timestamp_start) if request.timestamp_start else None
    if response is None:
        failed = Response(PRIMARY_TARGET, error="protocol", base_url=server, sent_at=sent_at)
        return (failed,) if flow.error else ()
    latency = None
    if response.timestamp_end and flow.request.timestamp_start:
        latency = (response.timestamp_end - flow.request.timestamp_start) * 1000
    return (
        Response(
            PRIMARY_TARGET,
            status=_status(response.status_code),
            headers=_headers(response.headers.fields),
            body=Body.of(response.raw_content or b"", max_body),
            latency_ms=latency,
            base_url=server,
            sent_at=sent_at,
        ),
    )


def _status(code: Any) -> int:
    if not isinstance(code, int) or not 100 <= code <= 999:
        raise ValueError(f"response status {str(code)[:20]}")
    return code


def _headers(fields: Any) -> tuple[tuple[str, str], ...]:
    return tuple((bytes(n).decode("latin-1"), bytes(v).decode("latin-1")) for n, v in fields)


def _kind(state: Any) -> str:
    kind = state.get("type", state.get(b"type")) if isinstance(state, dict) else None
    text = kind.decode(errors="replace") if isinstance(kind, bytes) else str(kind or "unknown")
    return text[:40]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing {str(exc.args[0])[:60]!r}"
    if isinstance(exc, RecursionError):
        return "nested too deep"
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
