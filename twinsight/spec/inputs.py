"""A request's parts as expressions read them: query values, headers by name, the body.

Shared by every place that hands a request to CEL (scenario checks in analysis,
`--filter` in replay), so an expression reads the same request the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

import orjson

__all__ = ["first_headers", "parse_body", "query_values"]


def query_values(query: str) -> dict[str, str]:
    """Raw query string -> name: value (the first of repeated names; blank values kept)."""
    values: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        values.setdefault(name, value)
    return values


def first_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header pairs -> lower-case name: its first value."""
    lowered: dict[str, str] = {}
    for name, value in headers:
        lowered.setdefault(name.lower(), value)
    return lowered


def parse_body(body: bytes) -> Any:
    """A body as expressions see it: parsed JSON, else text, else None."""
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            return body.decode()
        except UnicodeDecodeError:
            return None
