"""The literals of an inline script or style, so a token it embeds is judged as any token.

Pure functions. A script is compared by digest (see `htmlpage`); when two scripts differ
only in their literals (quoted strings, numbers), the code around them being the same
token for token, each differing literal is its own difference at `.#literal[i]` (`i` its
place among the script's literals), with the literal's plain value: a CSRF token or a
nonce written into `window.csrf = "..."` is then inferred `opaque` as anywhere else, and
a literal that is not noise stays a real difference, at a precise place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["CODE", "MAX_LITERALS", "changed_literals", "literals"]

CODE = frozenset({"script", "style"})
"""Elements whose text is code, read for its literals."""
MAX_LITERALS = 32
"""More differing literals than this: another script, one digest difference says so."""

_LITERAL = re.compile(
    r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|\b\d+(?:\.\d+)?\b""",
    re.DOTALL,
)
_HOLE = "\x00"


def literals(code: str) -> tuple[str, list[str]]:
    """The code with each literal taken out (whitespace collapsed), and the literals' plain
    values: quoted strings without their quotes, numbers as written."""
    found: list[str] = []

    def take(match: re.Match[str]) -> str:
        token = match.group(0)
        found.append(token[1:-1] if token[0] in "\"'`" else token)
        return _HOLE

    return " ".join(_LITERAL.sub(take, code).split()), found


def changed_literals(ours: str, theirs: str) -> list[tuple[int, str, str]] | None:
    """(index, legacy value, candidate value) of each literal that differs when the two
    scripts are the same code around their literals; None when they are not (or differ in
    more than `MAX_LITERALS` literals)."""
    code_a, values_a = literals(ours)
    code_b, values_b = literals(theirs)
    if code_a != code_b or len(values_a) != len(values_b):
        return None
    changed = list(_changed(values_a, values_b))
    return changed if 0 < len(changed) <= MAX_LITERALS else None


def _changed(a: list[str], b: list[str]) -> Iterator[tuple[int, str, str]]:
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x != y:
            yield i, x, y
