"""Field chains in CEL source (`response.body.title`, `request.headers["x-id"]`), found by
pattern: which fields an expression reads, without evaluating it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["STRING_LITERAL", "FieldChain", "blank_strings", "field_chains"]

STRING_LITERAL = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"")
_FIELD_CHAIN = re.compile(r"\b([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*|\[\s*\"[^\"]*\"\s*\])+)")
_CHAIN_PART = re.compile(r"\.([A-Za-z_]\w*)|\[\s*\"([^\"]*)\"\s*\]")


@dataclass(frozen=True)
class FieldChain:
    """A variable and the fields read below it; where it starts and ends in the source."""

    parts: list[str]
    start: int
    end: int


def blank_strings(source: str) -> str:
    """`source` with its string literals blanked, but for keys in brackets (`headers["x"]`);
    of the same length, so places found in it are places in `source` too."""
    return STRING_LITERAL.sub(lambda m: _blank_outside_brackets(source, m), source)


def field_chains(source: str, blanked: str) -> Iterator[FieldChain]:
    """The field chains of `source`, found in `blanked` (its `blank_strings`)."""
    for found in _FIELD_CHAIN.finditer(blanked):
        start, end = found.span(2)
        parts = [found.group(1)] + [a or b for a, b in _CHAIN_PART.findall(source[start:end])]
        yield FieldChain(parts, found.start(1), end)


def _blank_outside_brackets(source: str, found: re.Match[str]) -> str:
    # A string inside [...] is a key in a field chain (headers["x-id"]): keep it.
    before = source[: found.start()].rstrip()
    if before.endswith("[") and found.group(0).startswith('"'):
        return found.group(0)
    # Same length, so spans found in the blanked text index the source too.
    return '"' + " " * (len(found.group(0)) - 2) + '"'
