"""Bodies that did not parse as a whole: JSON members, XML elements and HTML fields by pattern."""

from __future__ import annotations

import re

import orjson

from twinsight.store.redaction.cards import hide_cards_bytes
from twinsight.store.redaction.marks import Marker, Withhold, is_marker
from twinsight.store.redaction.names import NameTest, SecretNames, decoded_name

__all__ = ["TextScan"]

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


class TextScan:
    """Finds secret-named values in text by pattern; a name is judged by its last part alone."""

    def __init__(self, names: SecretNames, marker: Marker) -> None:
        self.names, self.marker = names, marker
        self._name_test = NameTest(names)

    def redact(self, data: bytes, media: str, truncated: bool, cards: bool) -> bytes:
        """`data` with secret members, elements, fields (and card numbers) replaced."""
        # Past a size the quick test costs more than the passes over names it would save.
        if not cards and len(data) <= _NAME_TEST_MAX and not self._name_test.search(data):
            return data
        if self._secret_member_names(data):
            data = _MEMBER.sub(self._member, data)
        xml = b"<" in data and ("xml" in media or data.lstrip().startswith(b"<?xml"))
        if xml and any(decoded_name(n) in self.names for n in set(_XML_NAME.findall(data))):
            data = _XML_ELEMENT.sub(self._xml_element, data)
        if "html" in media:
            data = _HTML_FIELD.sub(self._html_field, data)
        return hide_cards_bytes(data, self.marker, tail=truncated) if cards else data

    def _secret_member_names(self, data: bytes) -> bool:
        """False only when no `"name":` in `data` is a secret name."""
        if b'"' not in data and b"'" not in data:  # no quoted name: skip the pass (~70 ns a byte)
            return False
        for quoted, single in set(_MEMBER_NAME.findall(data)):
            if any(c in quoted + single for c in b"\\'\""):
                # A quote inside a name could hide a member `_MEMBER` finds and this skips.
                return True
            name = decoded_name(quoted) if quoted else single.decode("latin-1")
            if name in self.names:  # judged as `_member` judges it
                return True
        return False

    def _member(self, match: re.Match[bytes]) -> bytes:
        quoted, single = match[1], match[2]
        name = decoded_name(quoted) if quoted is not None else single.decode("latin-1")
        if name not in self.names:
            return match[0]
        if match[5]:
            raise Withhold  # an object or array under a secret name, its end unknown
        group = 3 if match[3] else 4 if match[4] else 6
        value = match[group]
        inner = value[1:-1] if group != 6 and len(value) > 1 and value[-1:] == value[:1] else value
        if not inner or value in _LITERALS or is_marker(inner):
            return match[0]
        try:
            hidden = self.marker.mark_json(orjson.loads(value)) if group != 4 else None
        except orjson.JSONDecodeError:  # cut inside the value, or not JSON
            hidden = None
        hidden = hidden or self.marker.mark_bytes(inner).decode()
        # A bare value after a JSON-quoted name is a number: its marker is quoted, as when parsed.
        quote = value[:1] if group != 6 else b'"' if quoted is not None else b""
        start = match.start(group) - match.start(0)
        return match[0][:start] + quote + hidden.encode() + quote

    def _xml_element(self, match: re.Match[bytes]) -> bytes:
        content = match[2]
        if not content.strip() or is_marker(content) or decoded_name(match[1]) not in self.names:
            return match[0]
        start = match.start(2) - match.start(0)
        return match[0][:start] + self.marker.mark_bytes(content)

    def _html_field(self, match: re.Match[bytes]) -> bytes:
        attributes = {m[1].lower(): m for m in _HTML_ATTRIBUTE.finditer(match[0])}
        name, kind = attributes.get(b"name"), attributes.get(b"type")
        value = attributes.get(b"value") or attributes.get(b"content")
        secret = kind is not None and kind[2].strip(b"\"'").lower() == b"password"
        if value is None or not (
            secret or (name and name[2].strip(b"\"'").decode("utf-8", "replace") in self.names)
        ):
            return match[0]
        quoted = value[2][:1] if value[2][:1] in (b'"', b"'") else b""
        inner = value[2][1:-1] if quoted else value[2]
        if not inner or is_marker(inner):
            return match[0]
        start, end = value.start(2), value.end(2)
        return match[0][:start] + quoted + self.marker.mark_bytes(inner) + quoted + match[0][end:]
