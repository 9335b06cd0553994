"""Text decoded with `surrogateescape` made valid Unicode without losing a byte.

Pure function. A byte no charset decodes is kept by `surrogateescape` as a lone surrogate
(U+DC80-U+DCFF): exact for comparison, but no JSON writer, store or report takes it.
`printable` writes each such byte `\\xE9` (any other lone surrogate `\\uD800`) and then,
so that the text `\\xE9` as sent is told apart from the byte, doubles every backslash of
that text. Text with neither a lone surrogate nor `\\x` or `\\u` in it is returned as it
is, so the function is one to one: two different inputs never read the same.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

_LONE = re.compile("[\ud800-\udfff]")
_ESCAPED_BYTES = range(0xDC80, 0xDD00)


def printable(text: str) -> str:
    """`text` with each undecodable byte written `\\xNN` (valid Unicode, one to one)."""
    if "\\x" not in text and "\\u" not in text and _LONE.search(text) is None:
        return text
    return _LONE.sub(_escape, text.replace("\\", "\\\\"))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code - 0xDC00:02X}" if code in _ESCAPED_BYTES else f"\\u{code:04X}"
