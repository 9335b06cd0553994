"""Hypothesis strategies from a spec's declared inputs: pure, no I/O.

Each input's type and constraints give the values a well-behaved client sends, and
beside them the edge cases the SDD proposal names: unicode and emoji, right-to-left
text, whitespace, SQL-looking text, very long strings, boundary lengths (in
characters made of one to four UTF-8 bytes, where counting bytes and characters
disagree), nulls and missing optional fields. Edge cases come first in every
`one_of`, so hypothesis shrinks towards them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from importlib import resources
from typing import Any

from hypothesis import strategies as st

from twinsight.spec import Input
from twinsight.spec.model import InputConstraints

__all__ = ["EDGE_TEXT", "body_strategy", "boundary_lengths", "param_strategy", "value_strategy"]

# Kept as data: SQL-looking and control text are inputs to send, not code (nor queries).
EDGE_TEXT: tuple[str, ...] = tuple(
    json.loads(resources.files("twinsight.explore").joinpath("edge_text.json").read_text("utf-8"))
)
"""Strings that break services in practice; each is tried as it is, when its length fits."""

_UNITS = ("a", "é", "完", "🎯", " ")
"""Characters of one, two, three and four UTF-8 bytes, and a space: boundary lengths are
built from each, so a length counted in bytes shows."""

_LONG = 10_000


def boundary_lengths(constraints: InputConstraints | None) -> list[int]:
    """The lengths worth trying for a string: each bound, one past it either side, half the
    upper bound, and a very long one; sorted, no negatives."""
    low = constraints.min_length if constraints and constraints.min_length is not None else 0
    high = constraints.max_length if constraints else None
    found = {low, low + 1, max(low - 1, 0)}
    if high is not None:
        found |= {high // 2, high - 1, high, high + 1}
    found.add(_LONG if high is None else max(_LONG, high * 4))
    return sorted(n for n in found if n >= 0)


def _text(constraints: InputConstraints | None) -> st.SearchStrategy[str]:
    low = constraints.min_length if constraints and constraints.min_length is not None else 0
    high = constraints.max_length if constraints else None
    edges = st.sampled_from(EDGE_TEXT)
    boundary = st.builds(
        lambda unit, n: unit * n,
        st.sampled_from(_UNITS),
        st.sampled_from(boundary_lengths(constraints)),
    )
    anything = st.text(min_size=low, max_size=high if high is not None else 300)
    if constraints and constraints.pattern:
        return st.one_of(st.from_regex(constraints.pattern, fullmatch=True), edges, anything)
    return st.one_of(edges, boundary, anything)


def _number(constraints: InputConstraints | None, integer: bool) -> st.SearchStrategy[Any]:
    low = constraints.minimum if constraints else None
    high = constraints.maximum if constraints else None
    edges: list[float] = [0, -1, 2**31, 2**63, -(2**63)]
    edges += [b + d for b in (low, high) if b is not None for d in (-1, 0, 1)]
    if integer:
        whole = [int(e) for e in edges]
        inside = st.integers(None if low is None else int(low), None if high is None else int(high))
        return st.one_of(st.sampled_from(whole), inside)
    floats = st.floats(low, high, allow_nan=False, allow_infinity=False)
    return st.one_of(st.sampled_from(edges), floats)


_BAD_TIMES = ("", "not a date", "2025-02-30T00:00:00Z", "2025-12-31", "9999-12-31T23:59:59Z")


def _scalar(kind: str, constraints: InputConstraints | None) -> st.SearchStrategy[Any]:
    if kind == "string":
        return _text(constraints)
    if kind in ("integer", "number"):
        return _number(constraints, kind == "integer")
    if kind == "boolean":
        return st.booleans()
    if kind == "datetime":
        stamps = st.datetimes(timezones=st.just(UTC)).map(
            lambda d: d.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        )
        return st.one_of(st.sampled_from(_BAD_TIMES), stamps)
    if kind == "date":
        return st.one_of(st.sampled_from(_BAD_TIMES), st.dates().map(lambda d: d.isoformat()))
    if kind == "uuid":
        return st.one_of(st.just("not-a-uuid"), st.uuids().map(str))
    if kind == "array":
        return st.lists(_text(None), max_size=5)
    return st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3)


def value_strategy(spec_input: Input) -> st.SearchStrategy[Any]:
    """Values for one input: its examples, its enum, then its type's values and edge cases;
    an optional input may also be null."""
    constraints = spec_input.constraints
    parts: list[st.SearchStrategy[Any]] = []
    if spec_input.examples:
        parts.append(st.sampled_from(spec_input.examples))
    if constraints and constraints.enum:
        parts.append(st.sampled_from(constraints.enum))
    parts.append(_scalar(spec_input.type, constraints))
    if spec_input.optional:
        parts.append(st.none())
    return st.one_of(*parts)


def body_strategy(inputs: Sequence[Input]) -> st.SearchStrategy[dict[str, Any]]:
    """JSON objects with every required input and any of the optional ones (a missing
    optional field and a null one are both tried)."""
    required = {i.name: value_strategy(i) for i in inputs if not i.optional}
    optional = {i.name: value_strategy(i) for i in inputs if i.optional}
    return st.fixed_dictionaries(required, optional=optional)


def param_strategy() -> st.SearchStrategy[str]:
    """Values for a path parameter nothing declares: ids of either kind, and edge cases
    (percent-encoded, so each stays one path segment)."""
    from urllib.parse import quote

    return st.one_of(
        st.sampled_from(("0", "-1", "999999999999999999999", "null", "%00")),
        st.integers(1, 10**6).map(str),
        st.uuids().map(str),
        st.sampled_from(EDGE_TEXT).map(lambda s: quote(s, safe="")),
    )
