"""Which headers cross a proxy (RFC 9110 section 7.6.1) and which it adds."""

from __future__ import annotations

from collections.abc import Iterable

from multidict import CIMultiDict, CIMultiDictProxy

from twinsight.store import Headers

__all__ = ["HOP_BY_HOP", "end_to_end", "forwarded", "to_tuple"]

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "proxy-authenticate",
        "proxy-authorization",
    }
)


def end_to_end(
    headers: CIMultiDictProxy[str] | CIMultiDict[str], *, drop: Iterable[str] = ()
) -> CIMultiDict[str]:
    """A copy without hop-by-hop headers, those the Connection header names, and `drop`."""
    named = {
        token.strip().lower()
        for value in headers.getall("Connection", [])
        for token in value.split(",")
    }
    skip = HOP_BY_HOP | named | {d.lower() for d in drop}
    kept: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        if name.lower() not in skip:
            kept.add(name, value)
    return kept


def forwarded(
    headers: CIMultiDict[str], *, client: str | None, scheme: str, host: str
) -> CIMultiDict[str]:
    """`headers` plus X-Forwarded-For (appended to any chain), -Proto and -Host."""
    chain = headers.get("X-Forwarded-For")
    if client:
        headers["X-Forwarded-For"] = f"{chain}, {client}" if chain else client
    headers.setdefault("X-Forwarded-Proto", scheme)
    if host:
        headers.setdefault("X-Forwarded-Host", host)
    return headers


def to_tuple(headers: CIMultiDictProxy[str] | CIMultiDict[str]) -> Headers:
    """Headers as stored: (name, value) pairs in order."""
    return tuple(headers.items())
