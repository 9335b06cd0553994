"""`--filter`: a CEL expression over `request` choosing which recorded requests are replayed."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson

from twinsight.errors import UserError
from twinsight.spec.expressions import (
    CelSyntaxError,
    Evaluation,
    compile_expression,
    unknown_variables,
)
from twinsight.store import Exchange

__all__ = ["RequestFilter", "request_variables"]


def request_variables(exchange: Exchange) -> dict[str, Any]:
    """The `request` a filter sees: method, path, query, headers (lower-case names), body."""
    headers: dict[str, str] = {}
    for name, value in exchange.headers:
        headers.setdefault(name.lower(), value)
    return {
        "method": exchange.method,
        "path": exchange.path,
        "query": dict(parse_qsl(exchange.query, keep_blank_values=True)),
        "headers": headers,
        "body": _body(exchange.body.data),
    }


def _body(data: bytes) -> Any:
    if not data:
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return data.decode("utf-8", "replace")


class RequestFilter:
    """A compiled `--filter`; a request the expression cannot evaluate on is left out."""

    def __init__(self, source: str) -> None:
        try:
            compile_expression(source)
        except CelSyntaxError as exc:
            raise UserError(f"--filter: {exc.message} (column {exc.column})") from None
        unknown = unknown_variables(source, ("request",))
        if unknown:
            raise UserError(f"--filter: {unknown[0]}")
        self.source = source

    def accepts(self, exchange: Exchange) -> bool:
        """Whether `exchange`'s request is replayed."""
        return Evaluation({"request": request_variables(exchange)}).check(self.source).passed
