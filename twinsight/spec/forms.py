"""Form bodies as the maps CEL reads: `application/x-www-form-urlencoded` and
`multipart/form-data`, fields by name.

A field's value is its text; a name sent more than once maps to the list of its
values in order. A multipart file part (one with a filename) is a map of its
`filename`, `content_type` and `size` in bytes, never its content. Parts after the
last complete delimiter (a body cut short) and parts without a name are left out.
A form of more than `MAX_FIELDS` fields is not read as one (None).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.message import Message
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote

from .media import media_type

__all__ = [
    "MAX_FIELDS",
    "FormPart",
    "by_name",
    "multipart_map",
    "multipart_parts",
    "urlencoded_map",
]

# A bound on the map handed to CEL whatever the body: each field costs a copy per read.
MAX_FIELDS = 10_000
_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:\\.|[^"\\])*"|[^;]*)')
_ESCAPED = re.compile(r"\\(.)")


def urlencoded_map(body: bytes) -> dict[str, Any] | None:
    """`name=value&...` as name -> value (a repeated name -> list); None if not UTF-8 text."""
    try:
        text = body.decode()
        pairs = parse_qsl(text, keep_blank_values=True, errors="replace", max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return None
    return by_name(pairs)


def multipart_map(body: bytes, content_type: str) -> dict[str, Any] | None:
    """A `multipart/form-data` body's fields by name; None without a boundary."""
    parts = multipart_parts(body, content_type)
    return None if parts is None else by_name(_value(part) for part in parts)


class FormPart(NamedTuple):
    """One part of a `multipart/form-data` body, as sent: its name, filename (None for a
    plain field), header lines (lower-case names) and content bytes."""

    name: str
    filename: str | None
    headers: dict[str, str]
    content: bytes


def multipart_parts(
    body: bytes, content_type: str, *, errors: str = "replace", whole: bool = False
) -> list[FormPart] | None:
    """The named parts of a `multipart/form-data` body; None without a boundary. Header
    bytes that are not UTF-8 are decoded with `errors`. Unless `whole`, parts after the last
    complete delimiter (a body cut short) and parts without a name are left out; with
    `whole`, such a body is None."""
    boundary = _param(content_type, "boundary")
    if not boundary:
        return None
    pieces = body.split(b"--" + boundary.encode("utf-8", "replace"))
    if len(pieces) - 2 > MAX_FIELDS:
        return None
    # pieces[0] is the preamble; the last piece follows the last delimiter: the closing
    # one (`--` and the epilogue) or one whose part was cut short.
    if whole and (len(pieces) < 2 or not pieces[-1].startswith(b"--")):
        return None
    parts = [_part(piece, errors) for piece in pieces[1:-1]]
    if whole and any(part is None for part in parts):
        return None
    return [part for part in parts if part is not None]


def _part(piece: bytes, errors: str) -> FormPart | None:
    piece = piece.removeprefix(b"\r\n").removeprefix(b"\n").removesuffix(b"\n")
    piece = piece.removesuffix(b"\r")
    head, separator, content = piece.partition(b"\r\n\r\n")
    if not separator:
        head, separator, content = piece.partition(b"\n\n")
    headers = _part_headers(head, errors)
    disposition = _part_params(headers.get("content-disposition", ""), errors)
    name = disposition.get("name")
    if not name:
        return None
    return FormPart(name, disposition.get("filename"), headers, content)


def _value(part: FormPart) -> tuple[str, Any]:
    if part.filename is not None:
        kind = media_type(part.headers.get("content-type"))
        return part.name, {
            "filename": part.filename,
            "content_type": kind,
            "size": len(part.content),
        }
    charset = _part_params(part.headers.get("content-type", "")).get("charset") or "utf-8"
    try:
        return part.name, part.content.decode(charset, "replace")
    except LookupError:
        return part.name, part.content.decode("utf-8", "replace")


def _part_headers(head: bytes, errors: str = "replace") -> dict[str, str]:
    """A multipart part's header lines as lower-case name -> first value (browsers send raw
    UTF-8; other bytes decoded with `errors`)."""
    found: dict[str, str] = {}
    for line in head.decode("utf-8", errors).splitlines():
        name, colon, value = line.partition(":")
        if colon:
            found.setdefault(name.strip().lower(), value.strip())
    return found


def _part_params(value: str, errors: str = "replace") -> dict[str, str]:
    """`form-data; name="a"; filename*=UTF-8''b%C3%A9` -> {name: a, filename: bé}; bytes of
    RFC 5987 values that do not decode, decoded with `errors`."""
    found: dict[str, str] = {}
    for key, raw in _PARAM.findall(value):
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = _ESCAPED.sub(r"\1", raw[1:-1])
        key = key.lower()
        if key.endswith("*"):  # RFC 5987: charset'language'percent-encoded
            key, raw = key[:-1], _extended(raw, errors)
        found.setdefault(key, raw)
    return found


def _extended(value: str, errors: str) -> str:
    charset, _, rest = value.partition("'")
    encoded = rest.partition("'")[2]
    try:
        return unquote(encoded, charset or "utf-8", errors)
    except (LookupError, UnicodeDecodeError):  # no such charset; bytes under 128 it rejects
        return unquote(encoded, "utf-8", errors)


def _param(value: str, name: str, header: str = "content-type") -> str | None:
    """Parameter `name` of a header value (`multipart/form-data; boundary=x`)."""
    message = Message()
    try:
        message[header] = str(value)
        found = message.get_param(name, header=header)
    except (ValueError, TypeError, IndexError):
        return None
    if isinstance(found, tuple):  # RFC 2231 (charset, language, value)
        return str(found[2])
    return None if found is None else str(found)


def by_name(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """(name, value) pairs as name -> value, a name given more than once -> its values'
    list in order."""
    found: dict[str, Any] = {}
    repeated: set[str] = set()
    for name, value in pairs:
        if name not in found:
            found[name] = value
        elif name in repeated:
            found[name].append(value)
        else:
            found[name] = [found[name], value]
            repeated.add(name)
    return found
