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

__all__ = ["CODE", "MAX_LITERALS", "MAX_SCRIPT", "changed_literals", "literals"]

CODE = frozenset({"script", "style"})
"""Elements whose text is code, read for its literals."""
MAX_LITERALS = 32
"""More differing literals than this: another script, one digest difference says so."""

MAX_SCRIPT = 256 * 1024
"""A longer script or style is compared by its digest alone, its literals not read."""

# A literal's opening and what may follow it; the closing quote is checked apart, so an
# unclosed quote is seen to fail without a second scan (see `_tokens`).
_BODY = {
    '"': re.compile(r"(?:[^\"\\\n]|\\.)*", re.DOTALL),
    "'": re.compile(r"(?:[^'\\\n]|\\.)*", re.DOTALL),
    "`": re.compile(r"(?:[^`\\]|\\.)*", re.DOTALL),
}
_START = re.compile(r"[\"'`]|\b\d")
_NUMBER = re.compile(r"\d+(?:\.\d+)?\b")
_HOLE = "\x00"


def literals(code: str) -> tuple[str, list[str]]:
    """The code with each literal taken out (whitespace collapsed), and the literals' plain
    values: quoted strings without their quotes, numbers as written. A script over
    `MAX_SCRIPT` characters: its code whole, no literal."""
    if len(code) > MAX_SCRIPT:
        return " ".join(code.split()), []
    pieces: list[str] = []
    found: list[str] = []
    end = 0
    for start, stop, value in _tokens(code):
        pieces += (code[end:start], _HOLE)
        found.append(value)
        end = stop
    pieces.append(code[end:])
    return " ".join("".join(pieces).split()), found


def _tokens(code: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, value) of each literal, read left to right as one regex alternation
    would, in one pass: a quote left open fails up to where its scan stopped (a line's end;
    for a backquote the end), and every later quote of its kind before that point fails
    too (its scan would stop there as well, unclosed), so none is scanned again."""
    closed_until = dict.fromkeys(_BODY, -1)
    at = 0
    while (opening := _START.search(code, at)) is not None:
        start = opening.start()
        char = code[start]
        if char not in _BODY:
            number = _NUMBER.match(code, start)
            if number is None:
                at = start + 1
                continue
            yield start, number.end(), number.group(0)
            at = number.end()
        elif start < closed_until[char]:
            at = start + 1
        else:
            body = _BODY[char].match(code, start + 1)  # always matches, maybe empty
            stop = body.end() if body is not None else start + 1
            if code.startswith(char, stop):
                yield start, stop + 1, code[start + 1 : stop]
                at = stop + 1
            else:
                closed_until[char] = stop
                at = start + 1


def changed_literals(ours: str, theirs: str) -> list[tuple[int, str, str]] | None:
    """(index, legacy value, candidate value) of each literal that differs when the two
    scripts are the same code around their literals; None when they are not (or differ in
    more than `MAX_LITERALS` literals)."""
    if len(ours) > MAX_SCRIPT or len(theirs) > MAX_SCRIPT:
        return None
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
