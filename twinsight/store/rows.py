"""Exchanges into table rows: bodies decoded, secrets redacted. Runs on the writer's thread."""

from __future__ import annotations

import pyarrow as pa

from twinsight.records import Body, Exchange, Headers, Response
from twinsight.store.columns import Columns
from twinsight.store.decode import decode_stream
from twinsight.store.redaction import WITHHELD, Redactor
from twinsight.store.schema import (
    CORRELATIONS,
    EXCHANGES,
    RESPONSES,
    CorrelationRow,
    ExchangeRow,
    HeaderList,
    ResponseRow,
)

__all__ = ["WITHHELD", "Batch"]

_BodyColumns = tuple[bytes, str | None, str | None, int, str, bool]
"""A body as the tables hold it, in their column order: (stored bytes, content type,
original encoding, size, sha256, truncated)."""


class Batch:
    """Rows for each table, built one exchange at a time, then turned into Arrow."""

    def __init__(self, redactor: Redactor, writer: str, max_body: int) -> None:
        self.redactor, self.writer, self.max_body = redactor, writer, max_body
        # Sealed once, when the batch is written: a batch is already bounded in size.
        self.columns = {
            t.name: Columns(t, batch=1 << 62) for t in (EXCHANGES, RESPONSES, CORRELATIONS)
        }
        self.count = 0

    def add(self, exchange: Exchange) -> None:
        """Append one exchange's rows."""
        self.count += 1
        session = self.redactor.fingerprint(exchange.session) if exchange.session else None
        query = storable(self.redactor.redact_query(exchange.query))
        self.columns[EXCHANGES.name].add(
            ExchangeRow(
                exchange.id,
                exchange.ts,
                exchange.source,
                session,
                exchange.method,
                exchange.scheme,
                storable(exchange.host),
                storable(exchange.path),
                query,
                self._headers(exchange.headers),
                *self._body(exchange.headers, exchange.body),
                exchange.origin,
                self.writer,
                exchange.run,
                None if exchange.replay_degraded is None else list(exchange.replay_degraded),
            )
        )
        for response in exchange.responses:
            self._response(exchange.id, response)
        for pair in exchange.correlations:
            # An id-like field can be a credential too (`session_id` in a login answer).
            redact = self.redactor.redact_identifier
            self.columns[CORRELATIONS.name].add(
                CorrelationRow(
                    exchange.id,
                    pair.target,
                    pair.location,
                    legacy_value=redact(pair.location, pair.legacy_value),
                    target_value=redact(pair.location, pair.target_value),
                )
            )

    def _response(self, exchange_id: str, response: Response) -> None:
        self.columns[RESPONSES.name].add(
            ResponseRow(
                exchange_id,
                response.target,
                response.status,
                self._headers(response.headers),
                *self._body(response.headers, response.body),
                response.latency_ms,
                response.error,
                response.base_url,
                response.sent_at,
            )
        )

    def _headers(self, headers: Headers) -> HeaderList:
        # `storable` inlined for the ASCII common case: ~30 calls an exchange.
        return [
            {
                "name": n if n.isascii() else storable(n),
                "value": v if v.isascii() else storable(v),
            }
            for n, v in self.redactor.redact_headers(headers)
        ]

    def _body(self, headers: Headers, body: Body) -> _BodyColumns:
        """One body's columns: decoded and redacted as stored."""
        content_type, encodings = None, []
        for name, value in headers:
            lowered = name.lower()
            if lowered == "content-type" and content_type is None:
                content_type = value
            elif lowered == "content-encoding":
                encodings.append(value)
        # Repeated lines are one list, in order (RFC 9110 5.3): each layer is to be undone.
        encoding = ", ".join(encodings) or None
        data, truncated = body.data, body.truncated
        if encoding:
            data, truncated = self._decoded(data, encoding, truncated)
        data = self.redactor.redact_body(data, content_type, truncated=truncated)
        return data, content_type, encoding, body.size, body.sha256, truncated

    def _decoded(self, data: bytes, encoding: str, truncated: bool) -> tuple[bytes, bool]:
        """(body without its Content-Encoding, truncated); withheld when that cannot be undone."""
        if not truncated:
            decoded, ok, ended = decode_stream(data, encoding, self.max_body + 1)
            if ok:
                # A stream cut in transit decodes to a prefix: scanned as cut.
                cut = len(decoded) > self.max_body or not ended
                return decoded[: self.max_body], cut
        # Still compressed (cut at max_body, or an unknown coding): it could not be scanned.
        return (WITHHELD if self.redactor.scans_bodies else data), truncated

    def tables(self) -> dict[str, pa.Table]:
        """The batch as one Arrow table per table name (empty tables left out)."""
        return {name: rows.table() for name, rows in self.columns.items() if rows.rows}


def storable(text: str) -> str:
    """`text` as UTF-8 can hold it: a lone surrogate (bytes that were not UTF-8, decoded
    with surrogateescape) becomes U+FFFD; Arrow refused the whole batch over one."""
    if text.isascii():
        return text
    try:
        text.encode()
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return text
