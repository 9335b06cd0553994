"""A request's parts as expressions read them: query values, headers by name, the body
(by its Content-Type: `bodies.parse_body`).

Shared by every place that hands a request to CEL (scenario checks in analysis,
`--filter` in replay), so an expression reads the same request the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from twinsight.spec.bodies import parse_body

__all__ = ["RequestView", "first_headers", "parse_body", "query_values"]


def query_values(query: str) -> dict[str, str]:
    """Raw query string -> name: value (the first of repeated names; blank values kept)."""
    values: dict[str, str] = {}
    if not query:  # most requests: parse_qsl costs ~4 µs even for nothing
        return values
    for name, value in parse_qsl(query, keep_blank_values=True):
        values.setdefault(name, value)
    return values


def first_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header pairs -> lower-case name: its first value."""
    lowered: dict[str, str] = {}
    for name, value in headers:
        lowered.setdefault(name.lower(), value)
    return lowered


@dataclass(frozen=True)
class RequestView:
    """A request as expressions read it."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names, first value
    body: Any

    @classmethod
    def of(
        cls, method: str, path: str, query: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> RequestView:
        """From the stored form: raw query string, header pairs, body bytes."""
        named = first_headers(headers)
        return cls(
            method, path, query_values(query), named, parse_body(body, named.get("content-type"))
        )

    def variables(self, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The `request` map CEL sees; `params` (path parameters) when a binding matched."""
        found: dict[str, Any] = {"method": self.method, "path": self.path}
        if params is not None:
            found["params"] = dict(params)
        found.update(query=dict(self.query), headers=dict(self.headers), body=self.body)
        return found
