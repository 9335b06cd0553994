"""`--filter`: a CEL expression over `request` choosing which recorded requests are replayed."""

from __future__ import annotations

from typing import Any

from twinsight.errors import UserError
from twinsight.records import Exchange
from twinsight.spec.expressions import (
    CelSyntaxError,
    Evaluation,
    compile_expression,
    unknown_variables,
)
from twinsight.spec.inputs import RequestView

__all__ = ["RequestFilter", "request_variables"]


def request_variables(exchange: Exchange) -> dict[str, Any]:
    """The `request` a filter sees: method, path, query, headers (lower-case names), body."""
    view = RequestView.of(
        exchange.method, exchange.path, exchange.query, exchange.headers, exchange.body.data
    )
    return view.variables()


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
