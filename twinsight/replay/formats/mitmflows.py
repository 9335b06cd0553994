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
from typing import Any

from twinsight.extras import require
from twinsight.store import PRIMARY_TARGET, Body, Exchange, Response, stable_id

from .common import Entry, FormatError, OnBytes, Skipped, open_tracked, split_target, utc

__all__ = ["read_mitm_flows"]


def read_mitm_flows(
    path: Path, *, max_body: int, on_bytes: OnBytes | None = None
) -> Iterator[Entry]:
    """The flows of the mitmproxy flow file at `path`."""
    tnetstring = require("mitmproxy.io.tnetstring", "mitm", "reading mitmproxy flow files")
    compat = require("mitmproxy.io.compat", "mitm", "reading mitmproxy flow files")
    flow_module = require("mitmproxy.flow", "mitm", "reading mitmproxy flow files")
    with open_tracked(path, on_bytes) as file:
        index = 0
        while True:
            try:
                state = tnetstring.load(file)
            except (ValueError, TypeError, IndexError) as exc:
                if str(exc) == "not a tnetstring: empty file":
                    return
                if index == 0:
                    raise FormatError(f"{path}: not a mitmproxy flow file: {exc}") from None
                yield Skipped(path.name, index, f"unreadable from here on (file cut?): {exc}")
                return
            kind = _kind(state)  # before from_state, which consumes the state
            try:
                flow = flow_module.Flow.from_state(compat.migrate_flow(state))
                yield _exchange(flow, path, index, max_body)
            except Exception as exc:  # any damage to one flow skips that flow only
                yield Skipped(path.name, index, f"{kind} flow: {_reason(exc)}")
            index += 1


def _exchange(flow: Any, path: Path, index: int, max_body: int) -> Exchange:
    request = getattr(flow, "request", None)
    if request is None:
        raise ValueError("not an HTTP flow")
    target_path, query = split_target(request.data.path.decode("latin-1"))
    ts = utc(request.timestamp_start)
    return Exchange(
        id=stable_id(ts, f"mitm:{path.name}:{index}:{flow.id}"),
        source="import",
        method=request.method.upper(),
        path=target_path,
        query=query,
        scheme=request.scheme,
        host=request.host_header or request.pretty_host,
        headers=_headers(request.headers.fields),
        body=Body.of(request.raw_content or b"", max_body),
        responses=_responses(flow, max_body),
        ts=ts,
    )


def _responses(flow: Any, max_body: int) -> tuple[Response, ...]:
    response = flow.response
    if response is None:
        return (Response(PRIMARY_TARGET, error="protocol"),) if flow.error else ()
    latency = None
    if response.timestamp_end and flow.request.timestamp_start:
        latency = (response.timestamp_end - flow.request.timestamp_start) * 1000
    return (
        Response(
            PRIMARY_TARGET,
            status=response.status_code,
            headers=_headers(response.headers.fields),
            body=Body.of(response.raw_content or b"", max_body),
            latency_ms=latency,
        ),
    )


def _headers(fields: Any) -> tuple[tuple[str, str], ...]:
    return tuple((bytes(n).decode("latin-1"), bytes(v).decode("latin-1")) for n, v in fields)


def _kind(state: Any) -> str:
    kind = state.get("type", state.get(b"type")) if isinstance(state, dict) else None
    return kind.decode() if isinstance(kind, bytes) else str(kind or "unknown")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
