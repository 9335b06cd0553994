"""Every value of a form or line-format body with its location group, for the legacy's own
evidence (`inference.TokenEvidence`: a token it serves twice is a digest, not a nonce)."""

from __future__ import annotations

from collections.abc import Iterator

from .fielddiff import Leaf, Record, step
from .formdiff import form_kind, read_form
from .linediff import line_format, read_lines

__all__ = ["field_strings"]


def field_strings(body: bytes, content_type: str | None) -> Iterator[tuple[str, str]]:
    """(location group, value) of each field and attribute, named as the diff names them;
    nothing for a body that is no form or line format, or does not read as one."""
    record = None
    if form_kind(content_type) is not None:
        record = read_form(body, content_type)
    else:
        form = line_format(content_type)
        record = read_lines(body, form) if form is not None else None
    if record is not None:
        yield from _record(record, "body")


def _record(record: Record, location: str) -> Iterator[tuple[str, str]]:
    for name, items in record.fields:
        here = location + step(name)
        if name in record.lists or len(items) > 1:
            here += "[*]"
        for item in items:
            if isinstance(item, Record):
                yield from _record(item, here)
            else:
                yield from _leaf(item, here)


def _leaf(leaf: Leaf, location: str) -> Iterator[tuple[str, str]]:
    yield location, leaf.value
    for name, value in leaf.attributes:
        yield location + step("@" + name), value
