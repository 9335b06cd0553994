"""Bodies by media type: JSON walked as a tree, forms as pairs, multipart part by part."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from twinsight.store.redaction.cards import hide_cards, may_hold_card
from twinsight.store.redaction.marks import Marker, Withhold, hideable, is_marker
from twinsight.store.redaction.names import SecretNames, decoded_name, secret_field
from twinsight.store.redaction.pairs import FORM_MEDIA, looks_like_form, redact_pairs
from twinsight.store.redaction.text import TextScan

__all__ = ["BodyRedactor"]

_BINARY_MEDIA = ("image/", "audio/", "video/", "font/")
_JSON_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*[\[{]")
_BIG_INT = re.compile(rb"[0-9]{19}")
_BOUNDARY = re.compile(r'boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
_PART_NAME = re.compile(rb'[;\s]name\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))', re.IGNORECASE)
_PART_FILE = re.compile(rb"[;\s]filename\*?\s*=", re.IGNORECASE)
_MAX_DEPTH = 4


class BodyRedactor:
    """Secret-named fields (by name or dotted path) and card numbers replaced in bodies."""

    def __init__(
        self,
        fields: SecretNames,
        paths: tuple[tuple[str, ...], ...],
        marker: Marker,
        *,
        cards: bool,
    ) -> None:
        self.fields, self.paths, self.marker, self.cards = fields, paths, marker, cards
        self.path_names = frozenset(".".join(path) for path in paths)
        # Where a body cannot be walked as a tree, a path is judged by its last field alone.
        loose = SecretNames(fields.exact | {p[-1] for p in paths}, fields.suffixes)
        self.text = TextScan(loose, marker)

    def redact(self, data: bytes, content_type: str | None, truncated: bool, depth: int) -> bytes:
        """`data` redacted by its media type; raises Withhold when a secret may hide in it."""
        media = _media(content_type)
        if media.startswith("multipart/"):
            return self._multipart(data, content_type or "", truncated, depth)
        if media.startswith(_BINARY_MEDIA) or b"\0" in data[:1024]:
            return data  # binary: not scanned (see README)
        json_like = _JSON_START.match(data) is not None
        if media == FORM_MEDIA or (
            not json_like and media in ("", "text/plain") and looks_like_form(data)
        ):
            fields, paths, marker = self.fields, self.path_names, self.marker
            return redact_pairs(data, fields, paths, marker, cards=self.cards, truncated=truncated)
        cards = self.cards and may_hold_card(data, truncated)
        if json_like:
            try:
                document = orjson.loads(data)
            except orjson.JSONDecodeError:
                pass  # cut or malformed: scanned as text
            else:
                return self._json(data, document, cards)
        return self.text.redact(data, media, truncated, cards)

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
        if not hideable(node[path[0]]):
            return False
        node[path[0]] = self.marker.mark_json(node[path[0]])
        return True

    def _scrub(self, node: Any, cards: bool) -> bool:
        """Secret-named fields and card numbers in strings replaced, in place, at any depth."""
        # The writer runs this on every JSON body: plain loops, the name cache read directly.
        changed = False
        if node.__class__ is list:
            for index, value in enumerate(node):
                changed |= self._scrub_value(node, index, value, cards)
            return changed
        names, seen = self.fields, self.fields.seen
        for key, value in node.items():
            found = seen.get(key)
            if found is None:
                found = key in names
            if not found:
                changed |= self._scrub_value(node, key, value, cards)
            elif hideable(value):
                node[key] = self.marker.mark_json(value)
                changed = True
        return changed

    def _scrub_value(self, node: Any, key: Any, value: Any, cards: bool) -> bool:
        """`node[key]`, no secret by its name: scrubbed within, or its card numbers hidden."""
        if value.__class__ is dict or value.__class__ is list:
            return self._scrub(value, cards)
        if cards and value.__class__ is str and len(value) >= 13:
            node[key] = hidden = hide_cards(value, self.marker)
            return hidden is not value
        return False

    def _multipart(self, data: bytes, content_type: str, truncated: bool, depth: int) -> bytes:
        """Parts rebuilt byte for byte; a secret-named field's content replaced."""
        found = _BOUNDARY.search(content_type)
        delimiter = b"--" + (found[1] or found[2]).encode("latin-1") if found else b""
        chunks = data.split(delimiter) if delimiter else [data]
        if len(chunks) < 2 or depth >= _MAX_DEPTH:
            raise Withhold  # no parts to be found
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
            raise Withhold
        content, trailer = _split_trailer(rest, cut)
        name_match = _PART_NAME.search(head)
        raw_name = name_match and (name_match[1] if name_match[1] is not None else name_match[2])
        name = decoded_name(raw_name) if raw_name else ""
        if name and secret_field(name, self.fields, self.path_names):
            kept = not content or is_marker(content)
            hidden = content if kept else self.marker.mark_bytes(content)
        elif _PART_FILE.search(head):
            return chunk  # files are left alone unless their field name is a secret's
        else:
            hidden = self.redact(content, _part_type(head), cut, depth + 1) if content else content
        if hidden == content:
            return chunk
        return head + separator + hidden + trailer


def _media(content_type: str | None) -> str:
    return (content_type or "").partition(";")[0].strip().lower()


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
