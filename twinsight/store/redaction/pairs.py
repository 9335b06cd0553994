"""`name=value` pairs of query strings and form bodies: secret values replaced, the rest kept."""

from __future__ import annotations

import re
from urllib.parse import quote_plus, unquote_to_bytes

from twinsight.store.redaction.cards import hide_cards_bytes
from twinsight.store.redaction.marks import Marker, is_marker
from twinsight.store.redaction.names import SecretNames, secret_field

__all__ = ["FORM_MEDIA", "looks_like_form", "redact_pairs", "redact_query"]

FORM_MEDIA = "application/x-www-form-urlencoded"
_FORM = re.compile(rb"[^\s&;=]+=[^\s&;]*(?:[&;][^\s&;]*)*")
_PAIR_SEPARATOR = re.compile(rb"([&;])")


def looks_like_form(data: bytes) -> bool:
    """Whether `data` as a whole reads as `a=1&b=2`."""
    return _FORM.fullmatch(data) is not None


def redact_query(query: str, names: SecretNames, marker: Marker, *, cards: bool) -> str:
    """The query string with secret parameters' values (and card numbers) replaced."""
    if not query:
        return query
    # Undecodable bytes come as escapes; a lone surrogate (`\ud800` in a HAR file) passes.
    try:
        errors, raw = "surrogateescape", query.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        errors, raw = "surrogatepass", query.encode("utf-8", "surrogatepass")
    out = redact_pairs(raw, names, frozenset(), marker, cards=cards, truncated=False)
    return query if out is raw else out.decode("utf-8", errors)


def redact_pairs(
    data: bytes,
    names: SecretNames,
    paths: frozenset[str],
    marker: Marker,
    *,
    cards: bool,
    truncated: bool,
) -> bytes:
    """`a=1&b=2` (query or form body) with secret values replaced; other bytes kept."""
    pieces = _PAIR_SEPARATOR.split(data)
    changed = False
    for index in range(0, len(pieces), 2):
        name, equals, value = pieces[index].partition(b"=")
        if not equals:
            name, value = b"", name  # a bare value (`?4111...`) may be a card number
        if not value:
            continue
        plain = unquote_to_bytes(value.replace(b"+", b" "))
        field = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace")
        if field and secret_field(field, names, paths):
            hidden = plain if is_marker(plain) else marker.mark_bytes(plain)
        elif cards:
            hidden = hide_cards_bytes(plain, marker, tail=truncated and index == len(pieces) - 1)
        else:
            continue
        if hidden != plain:
            pieces[index] = name + equals + quote_plus(hidden).encode()
            changed = True
    return b"".join(pieces) if changed else data
