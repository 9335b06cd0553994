"""Exchanges into table rows: bodies decoded, secrets redacted. Runs on the writer's thread."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyarrow as pa

from twinsight.records import Body, Exchange, Headers, Response
from twinsight.store.decode import decode_stream
from twinsight.store.redaction import WITHHELD, Redactor
from twinsight.store.schema import CORRELATIONS, EXCHANGES, RESPONSES, Table

__all__ = ["WITHHELD", "Batch"]


class Batch:
    """Columns of rows for each table, built one exchange at a time, then turned into Arrow."""

    def __init__(self, redactor: Redactor, writer: str, max_body: int) -> None:
        self.redactor, self.writer, self.max_body = redactor, writer, max_body
        self.columns: dict[str, dict[str, list[Any]]] = {
            t.name: defaultdict(list) for t in (EXCHANGES, RESPONSES, CORRELATIONS)
        }
        self.count = 0

    def add(self, exchange: Exchange) -> None:
        """Append one exchange's rows."""
        self.count += 1
        body, content_type, encoding, truncated = self._body(exchange.headers, exchange.body)
        self._row(
            EXCHANGES,
            id=exchange.id,
            ts=exchange.ts,
            source=exchange.source,
            session=self.redactor.fingerprint(exchange.session) if exchange.session else None,
            method=exchange.method,
            scheme=exchange.scheme,
            host=storable(exchange.host),
            path=storable(exchange.path),
            query=storable(self.redactor.redact_query(exchange.query)),
            request_headers=self._headers(exchange.headers),
            request_body=body,
            request_content_type=content_type,
            request_encoding=encoding,
            request_size=exchange.body.size,
            request_sha256=exchange.body.sha256,
            request_truncated=truncated,
            origin=exchange.origin,
            writer=self.writer,
            replay_run=exchange.run,
        )
        for response in exchange.responses:
            self._response(exchange.id, response)
        for pair in exchange.correlations:
            self._row(
                CORRELATIONS,
                exchange_id=exchange.id,
                target=pair.target,
                location=pair.location,
                # An id-like field can be a credential too (`session_id` in a login answer).
                legacy_value=self.redactor.redact_identifier(pair.location, pair.legacy_value),
                target_value=self.redactor.redact_identifier(pair.location, pair.target_value),
            )

    def _response(self, exchange_id: str, response: Response) -> None:
        body, content_type, encoding, truncated = self._body(response.headers, response.body)
        self._row(
            RESPONSES,
            exchange_id=exchange_id,
            target=response.target,
            status=response.status,
            headers=self._headers(response.headers),
            body=body,
            content_type=content_type,
            encoding=encoding,
            body_size=response.body.size,
            body_sha256=response.body.sha256,
            truncated=truncated,
            latency_ms=response.latency_ms,
            error=response.error,
        )

    def _row(self, table: Table, **values: Any) -> None:
        columns = self.columns[table.name]
        for name, value in values.items():
            columns[name].append(value)

    def _headers(self, headers: Headers) -> list[dict[str, str]]:
        return [
            {"name": storable(n), "value": storable(v)}
            for n, v in self.redactor.redact_headers(headers)
        ]

    def _body(self, headers: Headers, body: Body) -> tuple[bytes, str | None, str | None, bool]:
        """(stored bytes, content type, original encoding, truncated) for one body."""
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
        return data, content_type, encoding, truncated

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
        result = {}
        for table in (EXCHANGES, RESPONSES, CORRELATIONS):
            columns = self.columns[table.name]
            if columns:
                schema = table.arrow_schema()
                result[table.name] = pa.table(
                    {c.name: pa.array(columns[c.name], c.arrow) for c in table.columns},
                    schema=schema,
                )
        return result


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
