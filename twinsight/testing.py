"""Builders of exchanges, answers and stores for tests, written once for every test that needs one.

Shipped with the package (as mitmproxy ships `mitmproxy/test/tflow.py`) so that tests, benches
and child processes started by tests build the same records; the pipeline never imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Unpack

import orjson

from twinsight.records import Body, Exchange, Headers, Response, Source
from twinsight.store import DuckDBSink, Redactor, Sink, StoreWriter, new_id
from twinsight.store.writer import WriterOptions

__all__ = [
    "JSON",
    "MAX_BODY",
    "SECRET",
    "T0",
    "answer",
    "exchange",
    "get_item",
    "recorded",
    "store_writer",
    "write_store",
]

SECRET = "s3cr3t-token-value"
"""The secret `exchange()` carries in a header and a cookie: no stored byte may show it."""
JSON: Headers = (("Content-Type", "application/json"),)
MAX_BODY = 1 << 20
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
"""When `recorded` exchanges start."""


def answer(
    target: str,
    body: object,
    *,
    status: int = 200,
    headers: Headers = JSON,
    latency_ms: float | None = None,
) -> Response:
    """`target`'s answer: `body` serialized as JSON, or as it is when bytes."""
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(target, status, headers, Body.of(data, MAX_BODY), latency_ms)


def exchange(
    path: str = "/tasks/1",
    *,
    method: str = "GET",
    legacy: bytes = b'{"id": 1}',
    candidate: bytes = b'{"id": "a"}',
    source: Source = "proxy",
) -> Exchange:
    """A request with a bearer token, answered by legacy (setting a cookie) and candidate."""
    return Exchange(
        id=new_id(),
        source=source,
        method=method,
        path=path,
        host="example.test",
        headers=(("Authorization", f"Bearer {SECRET}"), ("Accept", "application/json")),
        responses=(
            answer(
                "legacy",
                legacy,
                headers=(*JSON, ("Set-Cookie", f"sid={SECRET}; Path=/")),
                latency_ms=1.5,
            ),
            answer("candidate", candidate, latency_ms=2.5),
        ),
    )


def get_item(i: int, bodies: Mapping[str, object]) -> Exchange:
    """GET /items/i answered by each target (name -> JSON body)."""
    responses = tuple(answer(target, body) for target, body in bodies.items())
    return Exchange(
        id=new_id(), source="proxy", method="GET", path=f"/items/{i}", responses=responses
    )


def recorded(session: str | None, step: int, *, at: float = 0.0, headers: Headers = ()) -> Exchange:
    """An imported, unanswered GET /work of `session`, sent `at` seconds after T0; the
    session and step travel in its query (`s=...&i=...`) so servers can tell them apart."""
    return Exchange(
        id=f"rec-{session}-{step}",
        source="import",
        method="GET",
        path="/work",
        query=f"s={session or ''}&i={step}",
        headers=headers,
        session=session,
        ts=T0 + timedelta(seconds=at),
    )


def store_writer(
    sink: Sink | Path, *, redactor: Redactor | None = None, **options: Unpack[WriterOptions]
) -> StoreWriter:
    """A started writer to `sink` (a path: a DuckDB file), redacting by default rules."""
    opened = DuckDBSink(sink) if isinstance(sink, Path) else sink
    return StoreWriter(opened, redactor=redactor or Redactor(), **options).start()


def write_store(sink: Sink | Path, exchanges: Iterable[Exchange]) -> None:
    """Write `exchanges` to `sink` (a path: a DuckDB file) and close the writer."""
    writer = store_writer(sink)
    for item in exchanges:
        writer.submit(item)
    writer.close()
