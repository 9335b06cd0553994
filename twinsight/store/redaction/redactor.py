"""The redactor: one per capture or import, applied to headers, queries and bodies alike."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from twinsight.records import Headers
from twinsight.store.redaction.bodies import BodyRedactor
from twinsight.store.redaction.cards import hide_cards
from twinsight.store.redaction.marks import WITHHELD, Marker, Withhold
from twinsight.store.redaction.names import (
    ALWAYS_REDACTED_HEADERS,
    BODY_SUFFIXES,
    DEFAULT_BODY_FIELDS,
    DEFAULT_HEADERS,
    DEFAULT_QUERY_PARAMS,
    HEADER_SUFFIXES,
    QUERY_SUFFIXES,
    SecretNames,
)
from twinsight.store.redaction.pairs import redact_query

__all__ = ["Redactor"]

log = logging.getLogger(__name__)

_AUTH_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)\s+(.+)$", re.DOTALL)
_URL_HEADERS = frozenset({"referer", "location", "content-location"})
_PLAIN, _URL, _SECRET = "plain", "url", "secret"


class Redactor:
    """Replaces secrets in headers, query strings and bodies by keyed markers."""

    def __init__(
        self,
        *,
        headers: Iterable[str] = (),
        body_fields: Iterable[str] = (),
        query_params: Iterable[str] = (),
        defaults: bool = True,
        key: bytes | None = None,
    ) -> None:
        fields = tuple(body_fields)
        names = [f for f in fields if "." not in f]
        paths = tuple(tuple(f.split(".")) for f in fields if "." in f)
        if defaults:
            self.headers = SecretNames((*DEFAULT_HEADERS, *headers), HEADER_SUFFIXES)
            self.query_params = SecretNames((*DEFAULT_QUERY_PARAMS, *query_params), QUERY_SUFFIXES)
            self.body_fields = SecretNames((*DEFAULT_BODY_FIELDS, *names), BODY_SUFFIXES)
        else:
            self.headers = SecretNames((*ALWAYS_REDACTED_HEADERS, *headers))
            self.query_params = SecretNames(query_params)
            self.body_fields = SecretNames(names)
        self.cards = defaults
        self.scans_bodies = bool(defaults or fields)
        self._marker = Marker(key)
        self._bodies = BodyRedactor(self.body_fields, paths, self._marker, cards=self.cards)
        self.paths, self.path_names = paths, self._bodies.path_names
        self._header_kinds: dict[str, str] = {}

    def fingerprint(self, value: str) -> str:
        """A keyed hash of `value` (16 hex digits): equal values, equal fingerprints."""
        return self._marker.fingerprint(value.encode("utf-8", "surrogatepass"))

    def marker(self, secret: str) -> str:
        """The stored stand-in for `secret`: equal secrets, equal markers."""
        return self._marker.mark(secret)

    def redact_headers(self, headers: Headers) -> Headers:
        """`headers` with secret values replaced; names, order and repeats kept."""
        header = self._header
        return tuple([(name, header(name, value)) for name, value in headers])

    def _header(self, name: str, value: str) -> str:
        kind = self._header_kinds.get(name)
        if kind is None:
            kind = self._header_kind(name)
        if kind is _PLAIN:
            return hide_cards(value, self._marker) if self.cards else value
        if kind is _URL:
            return self._url(value)
        return self._header_value(name.lower(), value)

    def _header_kind(self, name: str) -> str:
        """How a header's values are redacted, remembered by its name as sent."""
        lowered = name.lower()
        kind = _SECRET if name in self.headers else _URL if lowered in _URL_HEADERS else _PLAIN
        if len(self._header_kinds) > 10_000:
            self._header_kinds.clear()  # names are few in practice; this bounds hostile traffic
        self._header_kinds[name] = kind
        return kind

    def _header_value(self, name: str, value: str) -> str:
        hide = self._marker.hide
        if name in ("cookie", "cookie2"):
            return "; ".join(self._cookie_pair(pair) for pair in value.split(";"))
        if name in ("set-cookie", "set-cookie2"):
            first, _, attributes = value.partition(";")
            return self._cookie_pair(first) + (";" + attributes if attributes else "")
        auth = name.endswith(("authorization", "authentication"))
        scheme = _AUTH_SCHEME.match(value) if auth else None
        if scheme:
            return f"{scheme.group(1)} {hide(scheme.group(2))}"
        return hide(value)

    def _cookie_pair(self, pair: str) -> str:
        # Cookie names stay: a diff must still see which cookies were set.
        name, equals, value = pair.strip().partition("=")
        hide = self._marker.hide
        return f"{name}={hide(value)}" if equals else hide(name)

    def _url(self, url: str) -> str:
        # A URL in Location or Referer carries its query, and OAuth puts tokens in fragments.
        rest, hash_, fragment = url.partition("#")
        base, question, query = rest.partition("?")
        if question:
            rest = f"{base}?{self.redact_query(query)}"
        if "=" in fragment:
            fragment = self.redact_query(fragment)
        return rest + hash_ + fragment

    def redact_query(self, query: str) -> str:
        """The query string with secret parameters' values and card numbers replaced."""
        return redact_query(query, self.query_params, self._marker, cards=self.cards)

    def redact_identifier(self, location: str, value: str) -> str:
        """The identifier seen at `location` (`query.NAME`, `body.PATH`), hidden if a secret."""
        kind, _, name = location.partition(".")
        if (kind == "query" and name in self.query_params) or (
            kind == "body" and (name in self.body_fields or name in self.path_names)
        ):
            return self._marker.hide(value)
        return hide_cards(value, self._marker) if self.cards else value

    def redact_body(
        self, data: bytes, content_type: str | None, *, truncated: bool = False
    ) -> bytes:
        """The body as stored: secrets replaced, structure kept; WITHHELD if one may hide."""
        if not data or not self.scans_bodies:
            return data
        try:
            return self._bodies.redact(data, content_type, truncated, 0)
        except Withhold:
            return WITHHELD
        except Exception:  # a bug here must neither leak the body nor stop the writer
            log.exception("redaction failed: body withheld (content type %s)", content_type)
            return WITHHELD
