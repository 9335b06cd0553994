"""Sticky sampling: a session is mirrored whole or not at all."""

from __future__ import annotations

import hashlib
from http.cookies import CookieError, SimpleCookie

from multidict import CIMultiDict, CIMultiDictProxy

__all__ = ["is_client_key", "is_sampled", "session_key"]

_CLIENT = "client:"


def session_key(
    session_by: str, headers: CIMultiDict[str] | CIMultiDictProxy[str], client: str | None
) -> str:
    """What keeps requests of one session together: `header:NAME`, `cookie:NAME` or `client`.

    Falls back to the client address when the header or cookie is absent.
    """
    kind, _, name = session_by.partition(":")
    value: str | None = None
    if kind == "header":
        value = headers.get(name)
    elif kind == "cookie":
        value = _cookie(headers.getall("Cookie", []), name)
    return f"{kind}:{value}" if value else f"{_CLIENT}{client or ''}"


def is_client_key(key: str | None) -> bool:
    """Whether `key` is only the client's address (no header or cookie named a session)."""
    return key is not None and key.startswith(_CLIENT)


def _cookie(values: list[str], name: str) -> str | None:
    for value in values:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(value)
        except CookieError:
            continue
        if name in jar:
            return jar[name].value
    return None


def is_sampled(key: str, rate: float) -> bool:
    """The same decision for the same key on every capture process (an unkeyed hash)."""
    if rate >= 1:
        return True
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest) / 2**64 < rate
