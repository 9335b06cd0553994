"""Secrets out before anything is written; equality kept so diffs still see "same vs different".

A secret is replaced by `<redacted:HMAC>`, a keyed hash of its value: equal
secrets give equal markers within one key, and the marker cannot be reversed
or brute-forced without the key. The key comes from the environment variable
`TWINSIGHT_REDACTION_KEY` (set it on every capture process whose exchanges are
compared with each other); without it each process draws a random key, so
markers compare equal only within one process. Forwarded traffic is never
touched: redaction applies to what is stored.

By default secret-looking names are redacted wherever they appear: headers,
query parameters, and fields of JSON, form, multipart and XML bodies (names
compared without case or punctuation, so `apiKey`, `api-key` and `API_KEY` are
one name), plus card numbers (13-19 digits passing the Luhn check) in any text.
The lists are in README.md beside this file. A body that may hold a secret we
cannot locate is withheld (stored empty); binary bodies are left alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote_plus, unquote_to_bytes

import orjson

from twinsight.records import Headers

__all__ = [
    "ALWAYS_REDACTED_HEADERS",
    "DEFAULT_BODY_FIELDS",
    "DEFAULT_HEADERS",
    "DEFAULT_QUERY_PARAMS",
    "KEY_ENV",
    "WITHHELD",
    "Redactor",
    "canonical",
    "luhn",
]

log = logging.getLogger(__name__)

KEY_ENV = "TWINSIGHT_REDACTION_KEY"
WITHHELD = b""
"""What is stored for a body that may hold a secret redaction cannot locate: nothing."""

ALWAYS_REDACTED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie"}
)
DEFAULT_HEADERS = (
    *sorted(ALWAYS_REDACTED_HEADERS),
    *("cookie2", "set-cookie2", "x-api-key", "api-key", "apikey", "x-auth-token"),
    *("x-access-token", "x-csrf-token", "x-xsrf-token", "x-amz-security-token"),
    *("x-goog-api-key", "private-token", "x-vault-token", "ocp-apim-subscription-key"),
    *("x-functions-key", "x-hub-signature", "x-hub-signature-256", "x-auth-key"),
    *("authentication",),
)
DEFAULT_QUERY_PARAMS = (
    *("token", "access_token", "refresh_token", "id_token", "api_key", "apikey", "key"),
    *("password", "passwd", "pwd", "secret", "client_secret", "signature", "sig", "auth"),
    *("jwt", "otp", "session_id", "client_assertion", "code_verifier", "card_number"),
    *("cvv", "ssn"),
)
DEFAULT_BODY_FIELDS = (
    *("password", "passwd", "pwd", "passphrase", "password_confirmation", "password_confirm"),
    *("password_hash", "password_digest", "secret", "client_secret", "token", "access_token"),
    *("refresh_token", "id_token", "api_key", "apikey", "private_key", "authorization"),
    *("cookie", "session_id", "client_assertion", "assertion", "code_verifier", "jwt", "otp"),
    *("totp", "mfa_code", "card_number", "cc_number", "credit_card", "pan", "cvv", "cvv2"),
    *("cvc", "cvc2", "csc", "security_code", "pin", "ssn", "social_security_number", "iban"),
    *("client_key", "private_key_pem", "credential", "csrf", "xsrf", "card_no"),
    *("authorization_code", "security_answer"),
)
# Names ending so are secrets too (`new_password`, `x-csrf-token`, `webhookSecret`)...
_SUFFIXES = (
    *("password", "passwd", "passphrase", "passcode", "secret", "token", "apikey", "authkey"),
    *("privatekey", "secretkey", "secretaccesskey", "signingkey", "encryptionkey", "masterkey"),
    *("jwt", "assertion"),
)
# Not for headers: `Access-Control-Allow-Credentials: true` is no secret.
_BODY_SUFFIXES = (
    *(*_SUFFIXES, "sessionid", "sessid", "cardnumber", "cardno", "credentials", "pincode"),
    *("otpcode", "verificationcode", "authorizationcode", "securityanswer", "csrf", "xsrf"),
)
_QUERY_SUFFIXES = (*_BODY_SUFFIXES, "signature")
_HEADER_SUFFIXES = (*_SUFFIXES, "sessionid", "signature", "authorization", "authentication")
# ...except pagination cursors: opaque, not credentials, and needed verbatim by replays.
_NOT_SECRET = frozenset(
    {"pagetoken", "nextpagetoken", "prevpagetoken", "nexttoken", "continuationtoken", "synctoken"}
)

_NOT_ALNUM = bytes(b for b in range(256) if not (48 <= b <= 57 or 97 <= b <= 122))
_LEAF = re.compile(r"[\[\].]+")
_BRACKETS = re.compile(r"\[([^\]]*)\]")
_MARKER = re.compile(r"<redacted:[0-9a-f]{16}>")
_AUTH_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)\s+(.+)$", re.DOTALL)
_URL_HEADERS = frozenset({"referer", "location", "content-location"})
_BINARY_MEDIA = ("image/", "audio/", "video/", "font/")
_FORM_MEDIA = "application/x-www-form-urlencoded"

# 13-19 digits, spaces or dashes between, first digit 2-6 (the card networks' ranges); not
# inside a longer word or decimal, nor the hex of a marker.
_CARD = r"(?<![0-9A-Za-z_.])(?<!redacted:)[2-6](?:[ -]?[0-9]){12,18}(?![0-9A-Za-z_])"
_CARD_TAIL = r"(?<![0-9A-Za-z_.])(?<!redacted:)[2-6](?:[ -]?[0-9]){6,18}[ -]?\Z"
_CARD_STR, _CARD_BYTES = re.compile(_CARD), re.compile(_CARD.encode())
_CARD_TAIL_STR, _CARD_TAIL_BYTES = re.compile(_CARD_TAIL), re.compile(_CARD_TAIL.encode())
_NON_DIGIT = re.compile(r"[^0-9]")
_TAIL_WINDOW = 64  # longer than any cut card number `_CARD_TAIL` matches (at most 37 bytes)
_DIGITS_AS_ZERO = bytes(48 if 48 <= b <= 57 else 120 for b in range(256))

_JSON_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*[\[{]")
_BIG_INT = re.compile(rb"[0-9]{19}")
_FORM = re.compile(rb"[^\s&;=]+=[^\s&;]*(?:[&;][^\s&;]*)*")
_PAIR_SEPARATOR = re.compile(rb"([&;])")
# `"name": value` in text that did not parse as a whole (JSON cut at max_body, malformed or
# one document a line, JSON inside HTML or logs): the name in double or single quotes, then
# `:`, `=` or `=>`, then a quoted string (possibly cut), an opening brace, or a bare word.
# Names without quotes are not looked for: at every word of a text that costs too much.
# A quote after an odd number of backslashes opens no name: it is escaped, inside a string
# whose own scan found what a scan from here would (from every `\"` of an unterminated
# string, a scan ran to the end of the line again: 128 KiB took 19 s).
_NAME_START = rb"(?<!\\)(?:\\\\)*+"
_MEMBER = re.compile(
    # Strings are matched unrolled and possessive (`[^"\\]*+(?:\\.[^"\\]*+)*+`): linear.
    _NAME_START + rb"""(?:"([^"\\\n]*+(?:\\.[^"\\\n]*+)*+)"|'([^'\\\n]*+(?:\\.[^'\\\n]*+)*+)')"""
    rb"""\s*+(?:=>|[:=])(?:\s*+(?:("[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z))"""
    rb"""|('[^'\\]*+(?:\\.[^'\\]*+)*+(?:'|\\?\Z))|([\[{]))|[ \t]*+([^\s,;&}\]<>"'\[{]++))"""
)
# The names `_MEMBER` would look at, without their values: one pass at C speed tells
# whether any is secret before `_MEMBER.sub` calls back into Python for every member
# (measured on a 1 MiB cut JSON list without secrets: 125 ms per body, then about 40).
_MEMBER_NAME = re.compile(
    _NAME_START + rb"""(?:"([^"\\\n]*+(?:\\.[^"\\\n]*+)*+)"|'([^'\\\n]*+(?:\\.[^'\\\n]*+)*+)')"""
    rb"""\s*+(?:=>|[:=])"""
)
_LITERALS = frozenset({b"true", b"false", b"null"})
# Element names as `_XML_ELEMENT` reads them, for the same quick pass.
_XML_NAME = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s>/]")
_NAME_TEST_MAX = 64 << 10
"""Texts up to this size are first tested for any secret name at all (measured on a 1 MiB
cut JSON list: the test took 18 ms, the passes over member names it can save 12 ms)."""
_XML_ELEMENT = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)(?:\s[^<>]*)?>"
    rb"(<!\[CDATA\[.*?(?:\]\]>|\Z)|[^<]*)",
    re.DOTALL,
)
# Server-rendered pages carry secrets in form fields and meta tags (CSRF tokens).
_HTML_FIELD = re.compile(rb"<(?:input|meta)\b[^<>]*+>", re.IGNORECASE)
_HTML_ATTRIBUTE = re.compile(rb"""([\w:-]++)\s*+=\s*+("[^"]*+"|'[^']*+'|[^\s"'>]++)""")
_BOUNDARY = re.compile(r'boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
_PART_NAME = re.compile(rb'[;\s]name\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))', re.IGNORECASE)
_PART_FILE = re.compile(rb"[;\s]filename\*?\s*=", re.IGNORECASE)
_MAX_DEPTH = 4


class _Withhold(Exception):
    """A secret may be in this body and cannot be located."""


def canonical(name: str) -> str:
    """`name` lower-cased with all but ASCII letters and digits dropped: `API-Key` -> `apikey`."""
    return name.encode("utf-8", "surrogatepass").lower().translate(None, _NOT_ALNUM).decode()


def luhn(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check, as every card number does."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


class _Names:
    """Secret names: exact ones and suffixes, compared in canonical form; answers are cached."""

    def __init__(self, exact: Iterable[str], suffixes: tuple[str, ...] = ()) -> None:
        self.exact = frozenset(canonical(name) for name in exact) - {""}
        self.suffixes = suffixes
        self.seen: dict[str, bool] = {}

    def needles(self) -> frozenset[str]:
        """Canonical strings at least one of which a matching name contains."""
        return self.exact | frozenset(self.suffixes)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        found = self.seen.get(name)
        if found is None:
            # `user[password]` and `user.password` are judged by their last part too.
            leaf = next((p for p in reversed(_LEAF.split(name)) if p), name)
            found = self._one(canonical(name)) or (leaf != name and self._one(canonical(leaf)))
            if len(self.seen) > 10_000:
                self.seen.clear()  # names are few in practice; this bounds hostile traffic
            self.seen[name] = found
        return found

    def _one(self, name: str) -> bool:
        return name in self.exact or (name.endswith(self.suffixes) and name not in _NOT_SECRET)


class _NameTest:
    """A cheap test whether a secret name can occur in a text, to skip most texts unscanned."""

    def __init__(self, names: _Names) -> None:
        # Substring tests, one per needle: for a few dozen needles they beat one regex
        # alternation about twice over (measured on a 1 MiB cut JSON body: 19 ms, 44 ms).
        self._needles = tuple(n.encode() for n in sorted(names.needles(), key=len))

    def search(self, data: bytes) -> bool:
        """False only when no secret name can occur in `data`."""
        if not self._needles:
            return False
        if b"\\" in data or b"&#" in data:
            return True  # an escape can spell a name out of sight of the test below
        # A name's letters and digits are contiguous once everything else is dropped.
        text = data.lower().translate(None, _NOT_ALNUM)
        return any(needle in text for needle in self._needles)


def _hideable(value: Any) -> bool:
    """Null, booleans, "" and markers hold no secret and show whether one was sent: kept."""
    if value is None or isinstance(value, bool) or value == "":
        return False
    return not (isinstance(value, str) and _MARKER.fullmatch(value))


def _is_marker(value: bytes) -> bool:
    return len(value) == 27 and _MARKER.fullmatch(value.decode("latin-1")) is not None


def _may_hold_card(data: bytes, truncated: bool) -> bool:
    """False only when `data` holds no run of 13 digits (spaces and dashes aside)."""
    if b"\\" in data:
        return True  # JSON can spell digits as escapes
    if truncated and _CARD_TAIL_BYTES.search(data[-64:]):
        return True
    return b"0" * 13 in data.translate(_DIGITS_AS_ZERO, b" -")


def _media(content_type: str | None) -> str:
    return (content_type or "").partition(";")[0].strip().lower()


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
            self.headers = _Names((*DEFAULT_HEADERS, *headers), _HEADER_SUFFIXES)
            self.query_params = _Names((*DEFAULT_QUERY_PARAMS, *query_params), _QUERY_SUFFIXES)
            self.body_fields = _Names((*DEFAULT_BODY_FIELDS, *names), _BODY_SUFFIXES)
        else:
            self.headers = _Names((*ALWAYS_REDACTED_HEADERS, *headers))
            self.query_params = _Names(query_params)
            self.body_fields = _Names(names)
        self.paths = paths
        self.path_names = frozenset(".".join(path) for path in paths)
        # Where a body cannot be walked as a tree, a path is judged by its last field alone.
        self._loose = _Names(
            self.body_fields.exact | {p[-1] for p in paths}, self.body_fields.suffixes
        )
        self._name_test = _NameTest(self._loose)
        self.cards = defaults
        self.scans_bodies = bool(defaults or fields)
        env_key = os.environ.get(KEY_ENV, "")
        self._key = key or (env_key.encode() if env_key else os.urandom(32))

    def fingerprint(self, value: str) -> str:
        """A keyed hash of `value` (16 hex digits): equal values, equal fingerprints."""
        return self._fingerprint(value.encode("utf-8", "surrogatepass"))

    def _fingerprint(self, value: bytes) -> str:
        return hmac.new(self._key, value, hashlib.sha256).hexdigest()[:16]

    def marker(self, secret: str) -> str:
        """The stored stand-in for `secret`: equal secrets, equal markers."""
        return f"<redacted:{self.fingerprint(secret)}>"

    def _marker(self, secret: bytes) -> bytes:
        return f"<redacted:{self._fingerprint(secret)}>".encode()

    def _json_marker(self, value: Any) -> str:
        # Hashed as JSON text, so 1234 and "1234" stay different.
        return self.marker(orjson.dumps(value).decode())

    # ------------------------------------------------------------ headers and queries

    def redact_headers(self, headers: Headers) -> Headers:
        """`headers` with secret values replaced; names, order and repeats kept."""
        return tuple((name, self._header(name, value)) for name, value in headers)

    def _header(self, name: str, value: str) -> str:
        if name in self.headers:
            return self._header_value(name.lower(), value)
        lowered = name.lower()
        if lowered in _URL_HEADERS:
            return self._url(value)
        return self._cards_str(value) if self.cards else value

    def _header_value(self, name: str, value: str) -> str:
        if name in ("cookie", "cookie2"):
            return "; ".join(self._cookie_pair(pair) for pair in value.split(";"))
        if name in ("set-cookie", "set-cookie2"):
            first, _, attributes = value.partition(";")
            return self._cookie_pair(first) + (";" + attributes if attributes else "")
        auth = name.endswith(("authorization", "authentication"))
        scheme = _AUTH_SCHEME.match(value) if auth else None
        if scheme:
            return f"{scheme.group(1)} {self._hide_str(scheme.group(2))}"
        return self._hide_str(value)

    def _cookie_pair(self, pair: str) -> str:
        # Cookie names stay: a diff must still see which cookies were set.
        name, equals, value = pair.strip().partition("=")
        return f"{name}={self._hide_str(value)}" if equals else self._hide_str(name)

    def _hide_str(self, value: str) -> str:
        return value if _MARKER.fullmatch(value) else self.marker(value)

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
        if not query:
            return query
        # Undecodable bytes come as escapes; a lone surrogate (`\ud800` in a HAR file) passes.
        try:
            errors, raw = "surrogateescape", query.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            errors, raw = "surrogatepass", query.encode("utf-8", "surrogatepass")
        out = self._pairs(raw, self.query_params, frozenset(), truncated=False)
        return query if out is raw else out.decode("utf-8", errors)

    def _pairs(
        self, data: bytes, names: _Names, paths: frozenset[str], *, truncated: bool
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
            if field and (field in names or _BRACKETS.sub(r".\1", field) in paths):
                hidden = plain if _is_marker(plain) else self._marker(plain)
            elif self.cards:
                hidden = self._cards_bytes(plain, tail=truncated and index == len(pieces) - 1)
            else:
                continue
            if hidden != plain:
                pieces[index] = name + equals + quote_plus(hidden).encode()
                changed = True
        return b"".join(pieces) if changed else data

    def redact_identifier(self, location: str, value: str) -> str:
        """The identifier seen at `location` (`query.NAME`, `body.PATH`), hidden if a secret."""
        kind, _, name = location.partition(".")
        if (kind == "query" and name in self.query_params) or (
            kind == "body" and (name in self.body_fields or name in self.path_names)
        ):
            return self._hide_str(value)
        return self._cards_str(value) if self.cards else value

    # ------------------------------------------------------------ card numbers

    def _cards_str(self, text: str, *, tail: bool = False) -> str:
        def hide(match: re.Match[str]) -> str:
            return self.marker(match[0]) if luhn(_NON_DIGIT.sub("", match[0])) else match[0]

        text = _CARD_STR.sub(hide, text)
        # A body cut inside a card number shows its first digits: enough to hide them too.
        return _CARD_TAIL_STR.sub(lambda m: self.marker(m[0]), text) if tail else text

    def _cards_bytes(self, data: bytes, *, tail: bool = False) -> bytes:
        def hide(match: re.Match[bytes]) -> bytes:
            digits = _NON_DIGIT.sub("", match[0].decode())
            return self._marker(match[0]) if luhn(digits) else match[0]

        data = _CARD_BYTES.sub(hide, data)
        if not tail:
            return data
        # A cut number can only end the body: look at its last bytes, not all of it (the
        # search still sees what comes before them). 1 MiB of cut `2-2-2-...`: 606 ms before.
        cut = _CARD_TAIL_BYTES.search(data, max(0, len(data) - _TAIL_WINDOW))
        return data[: cut.start()] + self._marker(cut[0]) if cut else data

    # ------------------------------------------------------------ bodies

    def redact_body(
        self, data: bytes, content_type: str | None, *, truncated: bool = False
    ) -> bytes:
        """The body as stored: secrets replaced, structure kept; WITHHELD if one may hide."""
        if not data or not self.scans_bodies:
            return data
        try:
            return self._body(data, content_type, truncated, 0)
        except _Withhold:
            return WITHHELD
        except Exception:  # a bug here must neither leak the body nor stop the writer
            log.exception("redaction failed: body withheld (content type %s)", content_type)
            return WITHHELD

    def _body(self, data: bytes, content_type: str | None, truncated: bool, depth: int) -> bytes:
        media = _media(content_type)
        if media.startswith("multipart/"):
            return self._multipart(data, content_type or "", truncated, depth)
        if media.startswith(_BINARY_MEDIA) or b"\0" in data[:1024]:
            return data  # binary: not scanned (see README)
        if media == _FORM_MEDIA:
            return self._pairs(data, self.body_fields, self.path_names, truncated=truncated)
        json_like = _JSON_START.match(data) is not None
        if not json_like and media in ("", "text/plain") and _FORM.fullmatch(data):
            return self._pairs(data, self.body_fields, self.path_names, truncated=truncated)
        cards = self.cards and _may_hold_card(data, truncated)
        if json_like:
            try:
                document = orjson.loads(data)
            except orjson.JSONDecodeError:
                pass  # cut or malformed: scanned as text
            else:
                return self._json(data, document, cards)
        # Past a size the quick test costs more than the passes over names it would save.
        if not cards and len(data) <= _NAME_TEST_MAX and not self._name_test.search(data):
            return data
        return self._text(data, media, truncated, cards)

    def _json(self, data: bytes, document: Any, cards: bool) -> bytes:
        """The parsed JSON `data` redacted, re-serialized only if something changed."""
        if not self._scrub_document(document, cards):
            return data
        if _BIG_INT.search(data):
            # orjson reads integers beyond 64 bits as floats: read exactly before rewriting.
            document = json.loads(data)
            self._scrub_document(document, cards)
            return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        return orjson.dumps(document)

    def _scrub_document(self, document: Any, cards: bool) -> bool:
        changed = any([self._redact_path(document, path) for path in self.paths])  # noqa: C419  all
        return self._scrub(document, cards) or changed

    def _redact_path(self, node: Any, path: tuple[str, ...]) -> bool:
        # Arrays are walked through: `items.token` reaches every item's token.
        if isinstance(node, list):
            return any([self._redact_path(item, path) for item in node])  # noqa: C419  every item
        if not isinstance(node, dict) or path[0] not in node:
            return False
        if len(path) > 1:
            return self._redact_path(node[path[0]], path[1:])
        if not _hideable(node[path[0]]):
            return False
        node[path[0]] = self._json_marker(node[path[0]])
        return True

    def _scrub(self, node: Any, cards: bool) -> bool:
        """Secret-named fields and card numbers in strings replaced, in place, at any depth."""
        # The writer runs this on every JSON body: plain loops, the name cache read directly.
        changed = False
        if node.__class__ is list:
            for index, value in enumerate(node):
                if value.__class__ is dict or value.__class__ is list:
                    changed |= self._scrub(value, cards)
                elif cards and value.__class__ is str and len(value) >= 13:
                    node[index] = hidden = self._cards_str(value)
                    changed |= hidden is not value
            return changed
        names, seen = self.body_fields, self.body_fields.seen
        for key, value in node.items():
            found = seen.get(key)
            if found is None:
                found = key in names
            if found:
                if _hideable(value):
                    node[key] = self._json_marker(value)
                    changed = True
            elif value.__class__ is dict or value.__class__ is list:
                changed |= self._scrub(value, cards)
            elif cards and value.__class__ is str and len(value) >= 13:
                node[key] = hidden = self._cards_str(value)
                changed |= hidden is not value
        return changed

    def _text(self, data: bytes, media: str, truncated: bool, cards: bool) -> bytes:
        """Text that did not parse as a whole: JSON members, XML elements and cards by pattern."""
        if self._secret_member_names(data):
            data = _MEMBER.sub(self._member, data)
        xml = b"<" in data and ("xml" in media or data.lstrip().startswith(b"<?xml"))
        if xml and any(_decoded_name(n) in self._loose for n in set(_XML_NAME.findall(data))):
            data = _XML_ELEMENT.sub(self._xml_element, data)
        if "html" in media:
            data = _HTML_FIELD.sub(self._html_field, data)
        return self._cards_bytes(data, tail=truncated) if cards else data

    def _secret_member_names(self, data: bytes) -> bool:
        """False only when no `"name":` in `data` is a secret name."""
        for quoted, single in set(_MEMBER_NAME.findall(data)):
            if any(c in quoted + single for c in b"\\'\""):
                # A quote inside a name could hide a member `_MEMBER` finds and this skips.
                return True
            name = _decoded_name(quoted) if quoted else single.decode("latin-1")
            if name in self._loose:  # judged as `_member` judges it
                return True
        return False

    def _member(self, match: re.Match[bytes]) -> bytes:
        quoted, single = match[1], match[2]
        name = _decoded_name(quoted) if quoted is not None else single.decode("latin-1")
        if name not in self._loose:
            return match[0]
        if match[5]:
            raise _Withhold  # an object or array under a secret name, its end unknown
        group = 3 if match[3] else 4 if match[4] else 6
        value = match[group]
        inner = value[1:-1] if group != 6 and len(value) > 1 and value[-1:] == value[:1] else value
        if not inner or value in _LITERALS or _is_marker(inner):
            return match[0]
        try:
            hidden = self._json_marker(orjson.loads(value)) if group != 4 else None
        except orjson.JSONDecodeError:  # cut inside the value, or not JSON
            hidden = None
        hidden = hidden or self._marker(inner).decode()
        # A bare value after a JSON-quoted name is a number: its marker is quoted, as when parsed.
        quote = value[:1] if group != 6 else b'"' if quoted is not None else b""
        start = match.start(group) - match.start(0)
        return match[0][:start] + quote + hidden.encode() + quote

    def _xml_element(self, match: re.Match[bytes]) -> bytes:
        content = match[2]
        if not content.strip() or _is_marker(content) or _decoded_name(match[1]) not in self._loose:
            return match[0]
        start = match.start(2) - match.start(0)
        return match[0][:start] + self._marker(content)

    def _html_field(self, match: re.Match[bytes]) -> bytes:
        attributes = {m[1].lower(): m for m in _HTML_ATTRIBUTE.finditer(match[0])}
        name, kind = attributes.get(b"name"), attributes.get(b"type")
        value = attributes.get(b"value") or attributes.get(b"content")
        secret = kind is not None and kind[2].strip(b"\"'").lower() == b"password"
        if value is None or not (
            secret or (name and name[2].strip(b"\"'").decode("utf-8", "replace") in self._loose)
        ):
            return match[0]
        quoted = value[2][:1] if value[2][:1] in (b'"', b"'") else b""
        inner = value[2][1:-1] if quoted else value[2]
        if not inner or _is_marker(inner):
            return match[0]
        start, end = value.start(2), value.end(2)
        return match[0][:start] + quoted + self._marker(inner) + quoted + match[0][end:]

    def _multipart(self, data: bytes, content_type: str, truncated: bool, depth: int) -> bytes:
        """Parts rebuilt byte for byte; a secret-named field's content replaced."""
        found = _BOUNDARY.search(content_type)
        delimiter = b"--" + (found[1] or found[2]).encode("latin-1") if found else b""
        chunks = data.split(delimiter) if delimiter else [data]
        if len(chunks) < 2 or depth >= _MAX_DEPTH:
            raise _Withhold  # no parts to be found
        changed = False
        for index in range(1, len(chunks)):
            if chunks[index].startswith(b"--"):
                break  # the closing delimiter; what follows is an epilogue
            cut = truncated and index == len(chunks) - 1
            part = self._part(chunks[index], cut, depth)
            changed |= part is not chunks[index]
            chunks[index] = part
        return delimiter.join(chunks) if changed else data

    def _part(self, chunk: bytes, cut: bool, depth: int) -> bytes:
        separator = b"\r\n\r\n" if b"\r\n\r\n" in chunk else b"\n\n"
        head, found, rest = chunk.partition(separator)
        if not found:
            if cut:
                return chunk  # cut inside the part's headers: no content to see
            raise _Withhold
        content, trailer = _split_trailer(rest, cut)
        name_match = _PART_NAME.search(head)
        raw_name = name_match and (name_match[1] if name_match[1] is not None else name_match[2])
        name = _decoded_name(raw_name) if raw_name else ""
        if name and (name in self.body_fields or _BRACKETS.sub(r".\1", name) in self.path_names):
            hidden = content if not content or _is_marker(content) else self._marker(content)
        elif _PART_FILE.search(head):
            return chunk  # files are left alone unless their field name is a secret's
        else:
            hidden = self._body(content, _part_type(head), cut, depth + 1) if content else content
        if hidden == content:
            return chunk
        return head + separator + hidden + trailer


def _split_trailer(rest: bytes, cut: bool) -> tuple[bytes, bytes]:
    """A part's content and the line break before the next delimiter (none when cut)."""
    if cut:
        return rest, b""
    for ending in (b"\r\n", b"\n"):
        if rest.endswith(ending):
            return rest[: -len(ending)], ending
    return rest, b""


def _part_type(head: bytes) -> str | None:
    for line in head.splitlines():
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"content-type":
            return value.strip().decode("latin-1")
    return None


def _decoded_name(raw: bytes) -> str:
    """A name as written in JSON or a header parameter, escapes undone where possible."""
    if b"\\" in raw:
        try:
            decoded = orjson.loads(b'"' + raw + b'"')
        except orjson.JSONDecodeError:
            return raw.decode("utf-8", "replace")
        return decoded if isinstance(decoded, str) else ""
    return raw.decode("utf-8", "replace")
