"""Form bodies compared by field: `application/x-www-form-urlencoded` and `multipart/form-data`.

Pure functions. Fields are compared by name (`body.email`); a name sent more than once is a
list (`body.tag[0]`, `body.tag[1]`), its values in another order one `order` difference
(see `fielddiff`). A multipart file part is compared by its `filename`, `content_type`,
`size` and the `sha256` of its content (`body.avatar.sha256`), never byte by byte; the
boundary never matters. Only when both sides declare a form: a form against another kind of
body is one `body` `type` difference; a body declared a form that does not read as one
(a multipart body without its boundary or closing delimiter) is left to the text comparison.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from urllib.parse import parse_qsl

from twinsight.spec.forms import MAX_FIELDS, FormPart, multipart_parts
from twinsight.spec.media import media_type

from .difference import BodyDifference
from .fielddiff import Item, Leaf, Record, diff_records
from .printable import printable

__all__ = ["diff_form_bodies", "form_kind", "read_form"]

"""A body of more fields is not read as a form (it is compared as text)."""

_URLENCODED = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_KINDS = {_URLENCODED: "form", _MULTIPART: "multipart"}


def form_kind(content_type: str | None) -> str | None:
    """`form` (urlencoded) or `multipart` when a Content-Type declares a form, else None."""
    return _KINDS.get(_media(content_type) or "")


def diff_form_bodies(
    legacy: bytes,
    legacy_type: str | None,
    candidate: bytes,
    candidate_type: str | None,
    *,
    lists: frozenset[str] = frozenset(),
) -> list[BodyDifference] | None:
    """The differences of two bodies of which one at least is declared a form; None when
    neither is, or a declared form does not read as one."""
    kinds = (form_kind(legacy_type), form_kind(candidate_type))
    if kinds == (None, None):
        return None
    if kinds[0] != kinds[1]:
        shown = (
            kinds[0] or _media(legacy_type) or "text",
            kinds[1] or _media(candidate_type) or "text",
        )
        return [BodyDifference("body", "type", *shown, "one body is a form, the other not")]
    a, b = read_form(legacy, legacy_type), read_form(candidate, candidate_type)
    if a is None or b is None:
        return None
    return diff_records(a, b, lists=lists)


def read_form(body: bytes, content_type: str | None) -> Record | None:
    """A form body as a record of its fields; None when it is no form or does not read as one."""
    kind = form_kind(content_type)
    if kind == "form":
        pairs = _urlencoded(body)
    elif kind == "multipart":
        pairs = _multipart(body, content_type or "")
    else:
        return None
    if pairs is None:
        return None
    fields: defaultdict[str, list[Item]] = defaultdict(list)
    for name, item in pairs:
        fields[name].append(item)
    return Record(tuple(sorted((name, tuple(items)) for name, items in fields.items())))


def _urlencoded(body: bytes) -> list[tuple[str, Item]] | None:
    try:
        pairs = parse_qsl(
            body.decode(),
            keep_blank_values=True,
            errors="surrogateescape",
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        return None
    return [(printable(name), Leaf(printable(value))) for name, value in pairs]


def _multipart(body: bytes, content_type: str) -> list[tuple[str, Item]] | None:
    # Whole bodies only: a part cut short or without a name is no form to compare by field.
    # Bytes that are not UTF-8 kept as lone surrogates, made `printable` once read.
    parts = multipart_parts(body, content_type, errors="surrogateescape", whole=True)
    return None if parts is None else [_item(part) for part in parts]


def _item(part: FormPart) -> tuple[str, Item]:
    name = printable(part.name)
    filename = None if part.filename is None else printable(part.filename)
    kind = printable(_media(part.headers.get("content-type")) or "")
    if filename is None:
        try:
            return name, Leaf(part.content.decode())
        except UnicodeDecodeError:
            filename = ""  # binary content without a filename: compared as a file
    file = {
        "filename": filename,
        "content_type": kind,
        "size": str(len(part.content)),
        # Prefixed: a bare hex digest would read as an opaque token (noise) to inference.
        "sha256": "sha256:" + hashlib.sha256(part.content).hexdigest(),
    }
    text = f"{filename} ({kind or 'no type'}, {len(part.content)} bytes)"
    fields = tuple((k, (Leaf(v),)) for k, v in sorted(file.items()))
    return name, Record(fields, text=text)


def _media(content_type: str | None) -> str | None:
    return media_type(content_type) or None
