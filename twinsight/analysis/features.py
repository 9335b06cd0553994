"""What a request's inputs look like: long, non-ASCII, empty. Pure functions.

A divergence that shows only for requests with such inputs points at input
handling (a length limit in bytes, an encoding, a missing emptiness check).
Inputs are the path's segments, the query's values and the body's strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

__all__ = ["FEATURES", "LONG", "request_features"]

LONG = 100
"""Characters from which an input counts as long."""

FEATURES = {
    "long": f"long inputs (over {LONG} characters)",
    "unicode": "non-ASCII inputs",
    "empty": "empty inputs",
}


def request_features(path: str, query: dict[str, str], body: Any) -> frozenset[str]:
    """The features (keys of `FEATURES`) the request's inputs show."""
    found: set[str] = set()
    if isinstance(body, dict | list) and not body:
        found.add("empty")
    for value in _inputs(path, query, body):
        if len(value) > LONG:
            found.add("long")
        if not value.isascii():
            found.add("unicode")
        if not value.strip():
            found.add("empty")
    return frozenset(found)


def _inputs(path: str, query: dict[str, str], body: Any) -> Iterator[str]:
    yield from (unquote(segment) for segment in path.split("/")[1:] if segment)
    yield from query.values()
    yield from _strings(body)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
