"""Recorded markers back to real credentials, and a note for each one that could not be.

Pure functions over one header, query or body and the known values by marker. A
marker with no known value is never sent as if it were a credential: a header holding
one is left out (a cookie loses that pair only), and each such case is a note the
replay stores with the exchange (`exchanges.replay_degraded`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from urllib.parse import quote_plus

import orjson

__all__ = [
    "LEFT_OUT",
    "Known",
    "has_marker",
    "missing",
    "restore_body",
    "restore_header",
    "restore_query",
]

LEFT_OUT = "left out"
"""Ends the note of a header or cookie sent without its redacted value."""

# Any marker-shaped text: one from another key or a hand-edited capture is not a credential
# either (the store writes 16 hex digits: `twinsight.store.redaction.MARKER`).
MARKER = re.compile(r"<redacted:[^<>\s]*>")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)\s+(<redacted:[^<>\s]*>)$")
_COOKIES = frozenset({"cookie", "cookie2"})

Known = Mapping[str, str]
"""marker -> the real value it stands for."""


def has_marker(value: str) -> bool:
    """Whether `value` holds a redaction marker."""
    return "<redacted:" in value and MARKER.search(value) is not None


def missing(marker: str, where: str, what: str) -> str:
    """The note for a marker with no known value."""
    return f"no credential for {marker} ({where}): {what}"


def restore_header(name: str, value: str, known: Known) -> tuple[str | None, list[str]]:
    """(`value` with every marker replaced, None when it must be left out, notes)."""
    lowered = name.lower()
    if lowered in _COOKIES:
        return _restore_cookies(value, known)
    unknown = [m for m in MARKER.findall(value) if m not in known]
    if unknown:
        return None, [missing(m, lowered, f"header {LEFT_OUT}") for m in dict.fromkeys(unknown)]
    scheme = _SCHEME.match(value)
    if scheme:  # `Bearer <redacted:..>` with a value given as `Bearer eyJ..` or as `eyJ..`
        real = known[scheme.group(2)]
        prefix = scheme.group(1) + " "
        return (real if real.lower().startswith(prefix.lower()) else prefix + real), []
    return MARKER.sub(lambda m: known[m.group(0)], value), []


def _restore_cookies(value: str, known: Known) -> tuple[str | None, list[str]]:
    kept, notes = [], []
    for pair in value.split(";"):
        name = pair.strip().partition("=")[0]
        unknown = [m for m in MARKER.findall(pair) if m not in known]
        if unknown:
            notes += [missing(m, f"cookie {name}", f"cookie {LEFT_OUT}") for m in unknown]
            continue
        kept.append(MARKER.sub(lambda m: known[m.group(0)], pair.strip()))
    return ("; ".join(kept) or None), notes


def restore_query(query: str, known: Known) -> tuple[str, list[str]]:
    """The query string with known markers replaced (URL-encoded); the rest sent as-is."""
    return _restore_text(query, known, quote_plus, "query")


def restore_body(body: bytes, content_type: str | None, known: Known) -> tuple[bytes, list[str]]:
    """The body with known markers replaced, escaped for its kind; the rest sent as-is."""
    if b"<redacted:" not in body:
        return body, []
    kind = (content_type or "").lower()
    escape: Callable[[str], str] = lambda v: v  # noqa: E731 - the plain-text case
    if "json" in kind:
        escape = _json_escaped
    elif "x-www-form-urlencoded" in kind:
        escape = quote_plus
    text, notes = _restore_text(body.decode("utf-8", "surrogateescape"), known, escape, "body")
    return text.encode("utf-8", "surrogateescape"), notes


def _json_escaped(value: str) -> str:
    return orjson.dumps(value).decode()[1:-1]


def _restore_text(
    text: str, known: Known, escape: Callable[[str], str], where: str
) -> tuple[str, list[str]]:
    if not has_marker(text):
        return text, []
    unknown = dict.fromkeys(m for m in MARKER.findall(text) if m not in known)
    notes = [missing(m, where, "sent as-is") for m in unknown]

    def value(found: re.Match[str]) -> str:
        marker = found.group(0)
        return escape(known[marker]) if marker in known else marker

    return MARKER.sub(value, text), notes
