"""Validator correlation: the legacy's ETag `"a1"` is the candidate's `"9f"` for the same thing.

A client sends back the validators the legacy gave it (`If-Match`, `If-None-Match`,
`If-Range`, `If-Modified-Since`, `If-Unmodified-Since`). Mirrored as is, they name
nothing the other target knows: it answers 200 where the legacy said 304, or refuses a
write the legacy accepted, and its state drifts. This module learns legacy validator ->
target validator pairs from the two successful answers to the same request (`ETag`,
`Last-Modified`) and puts each target's own validators in the conditional headers.
Pure functions; `correlation.CorrelationBook` keeps the pairs and the waiting.

The pairs are kept apart from id pairs: an ETag `"17"` never rewrites path segment 17.
Keys: an entity-tag whole as the legacy sent it (quotes and `W/` included), a date in
IMF-fixdate form, so that a client writing the date in another HTTP-date form still finds it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import format_datetime, parsedate_to_datetime

from multidict import CIMultiDict

from twinsight.records import Correlation, Response

__all__ = [
    "CONDITIONAL_HEADERS",
    "learn_validators",
    "needed_validators",
    "rewrite_conditional",
    "validator_keys",
]

CONDITIONAL_HEADERS = frozenset(
    {"if-match", "if-none-match", "if-range", "if-modified-since", "if-unmodified-since"}
)
"""Request headers that carry validators (lower case)."""

_TAG_LISTS = frozenset({"if-match", "if-none-match"})
_DATES = frozenset({"if-modified-since", "if-unmodified-since"})
# An entity-tag: optional weakness, then a quoted opaque tag (RFC 9110 8.8.3; no DQUOTE inside).
_ENTITY_TAG = re.compile(r'(W/)?("[^"]*")')


def _date_key(value: str) -> str | None:
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):  # a hostile year or offset
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    return format_datetime(moment, usegmt=True)


def _etag(response: Response) -> str | None:
    value = (response.header("etag") or "").strip()
    return value if _ENTITY_TAG.fullmatch(value) else None


def _last_modified(response: Response) -> tuple[str, str] | None:
    """(key, value as sent) of the `Last-Modified` header, when it reads as a date."""
    value = (response.header("last-modified") or "").strip()
    key = _date_key(value) if value else None
    return (key, value) if key else None


def _ok(response: Response) -> bool:
    return response.status is not None and 200 <= response.status < 300


def validator_keys(legacy: Response) -> set[str]:
    """The validators a legacy answer hands out (keys as `learn_validators` stores them)."""
    if not _ok(legacy):
        return set()
    keys = {tag for tag in [_etag(legacy)] if tag}
    dated = _last_modified(legacy)
    if dated:
        keys.add(dated[0])
    return keys


def learn_validators(legacy: Response, other: Response) -> dict[str, str]:
    """legacy validator -> the other target's, from two successful answers to the same request."""
    if not (_ok(legacy) and _ok(other)):
        return {}
    pairs: dict[str, str] = {}
    mine, yours = _etag(legacy), _etag(other)
    if mine and yours:
        pairs[mine] = yours
    dated, theirs = _last_modified(legacy), _last_modified(other)
    if dated and theirs:
        pairs[dated[0]] = theirs[1]
    return pairs


def _tag_keys(weak: str | None, opaque: str) -> list[str]:
    """Where a tag sent with this weakness may be found: as sent first, then with the other."""
    return [f"{weak or ''}{opaque}", opaque if weak else f"W/{opaque}"]


def _wanted(name: str, value: str) -> list[str]:
    if name in _DATES or (name == "if-range" and not _ENTITY_TAG.match(value.strip())):
        key = _date_key(value)
        return [key] if key else []
    return [key for m in _ENTITY_TAG.finditer(value) for key in _tag_keys(m[1], m[2])]


def needed_validators(headers: CIMultiDict[str]) -> set[str]:
    """Every key a request's conditional headers could be rewritten with."""
    return {
        key
        for name, value in headers.items()
        if name.lower() in CONDITIONAL_HEADERS
        for key in _wanted(name.lower(), value)
    }


def _swap_tags(value: str, pairs: Mapping[str, str], swapped: list[tuple[str, str]]) -> str:
    def swap(match: re.Match[str]) -> str:
        for key in _tag_keys(match[1], match[2]):
            mapped = _ENTITY_TAG.fullmatch(pairs.get(key, ""))
            if mapped:  # the target's opaque tag, with the weakness the client asked for
                new = f"{match[1] or ''}{mapped[2]}"
                swapped.append((match[0], new))
                return new
        return match[0]

    return _ENTITY_TAG.sub(swap, value)


def _swap_value(
    name: str, value: str, pairs: Mapping[str, str], swapped: list[tuple[str, str]]
) -> str:
    if name in _TAG_LISTS or (name == "if-range" and _ENTITY_TAG.match(value.strip())):
        return _swap_tags(value, pairs, swapped)  # `*` holds no tag: left as is
    key = _date_key(value)
    if key is None or key not in pairs:
        return value
    swapped.append((value, pairs[key]))
    return pairs[key]


def rewrite_conditional(
    target: str, headers: CIMultiDict[str], pairs: Mapping[str, str]
) -> tuple[CIMultiDict[str], tuple[Correlation, ...]]:
    """`headers` with every known legacy validator replaced by `target`'s (a pure function):
    the same object when nothing changed, else a copy; and one `Correlation` per swap."""
    if not pairs or not any(name.lower() in CONDITIONAL_HEADERS for name in headers):
        return headers, ()
    found: list[Correlation] = []
    rewritten: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        lower = name.lower()
        if lower in CONDITIONAL_HEADERS:
            swapped: list[tuple[str, str]] = []
            value = _swap_value(lower, value, pairs, swapped)
            found.extend(Correlation(target, old, new, f"headers.{lower}") for old, new in swapped)
        rewritten.add(name, value)
    return (rewritten, tuple(found)) if found else (headers, ())
