"""Secrets out before anything is written; equality kept so diffs still see "same vs different".

A secret is replaced by `<redacted:HMAC>`, a keyed hash of its value: equal
secrets give equal markers within one key, and the marker cannot be reversed
or brute-forced without the key. The key comes from the environment variable
`TWINSIGHT_REDACTION_KEY` (set it on every capture process whose exchanges are
compared with each other); without it each process draws a random key, so
markers compare equal only within one process. Forwarded traffic is never
touched: redaction applies to what is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from twinsight.store.records import Headers

__all__ = ["ALWAYS_REDACTED_HEADERS", "KEY_ENV", "Redactor"]

KEY_ENV = "TWINSIGHT_REDACTION_KEY"
ALWAYS_REDACTED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie"}
)
_AUTH_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)\s+(.+)$", re.DOTALL)


class Redactor:
    """Replaces secret header values, JSON body fields and query parameters by keyed markers."""

    def __init__(
        self,
        *,
        headers: Iterable[str] = (),
        body_fields: Iterable[str] = (),
        query_params: Iterable[str] = (),
        key: bytes | None = None,
    ) -> None:
        self.headers = ALWAYS_REDACTED_HEADERS | {h.lower() for h in headers}
        self.body_fields = tuple(tuple(field.split(".")) for field in body_fields)
        self.query_params = frozenset(q.lower() for q in query_params)
        env_key = os.environ.get(KEY_ENV, "")
        self._key = key or (env_key.encode() if env_key else os.urandom(32))

    def fingerprint(self, value: str) -> str:
        """A keyed hash of `value` (16 hex digits): equal values, equal fingerprints."""
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:16]

    def marker(self, secret: str) -> str:
        """The stored stand-in for `secret`: equal secrets, equal markers."""
        return f"<redacted:{self.fingerprint(secret)}>"

    def redact_headers(self, headers: Headers) -> Headers:
        """`headers` with secret values replaced; names, order and repeats kept."""
        return tuple(
            (name, self._header_value(name.lower(), value))
            if name.lower() in self.headers
            else (name, value)
            for name, value in headers
        )

    def _header_value(self, name: str, value: str) -> str:
        if name == "cookie":
            return "; ".join(self._cookie_pair(pair) for pair in value.split(";"))
        if name == "set-cookie":
            first, _, attributes = value.partition(";")
            return self._cookie_pair(first) + (";" + attributes if attributes else "")
        scheme = _AUTH_SCHEME.match(value) if name.endswith("authorization") else None
        if scheme:
            return f"{scheme.group(1)} {self.marker(scheme.group(2))}"
        return self.marker(value)

    def _cookie_pair(self, pair: str) -> str:
        # Cookie names stay: a diff must still see which cookies were set.
        name, equals, value = pair.strip().partition("=")
        return f"{name}={self.marker(value)}" if equals else self.marker(name)

    def redact_query(self, query: str) -> str:
        """The query string with configured parameters' values replaced."""
        if not self.query_params or not query:
            return query
        pairs = parse_qsl(query, keep_blank_values=True)
        if not any(name.lower() in self.query_params for name, _ in pairs):
            return query
        return urlencode(
            [(n, self.marker(v) if n.lower() in self.query_params else v) for n, v in pairs]
        )

    def redact_json(self, body: bytes) -> tuple[bytes, bool]:
        """A JSON body with configured fields replaced; (body, False) if it is not JSON."""
        if not self.body_fields:
            return body, True
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            return body, False
        changed = False
        for path in self.body_fields:
            changed |= self._redact_path(document, path)
        return (orjson.dumps(document) if changed else body), True

    def _redact_path(self, node: Any, path: tuple[str, ...]) -> bool:
        # Arrays are walked through: `items.token` reaches every item's token.
        if isinstance(node, list):
            return any([self._redact_path(item, path) for item in node])  # noqa: C419  every item
        if not isinstance(node, dict) or path[0] not in node:
            return False
        if len(path) > 1:
            return self._redact_path(node[path[0]], path[1:])
        node[path[0]] = self.marker(orjson.dumps(node[path[0]]).decode())
        return True
