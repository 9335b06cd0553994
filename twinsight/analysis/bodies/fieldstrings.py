"""Every value of a form or line-format body with its location group, for the legacy's own
evidence (`inference.TokenEvidence`: a token it serves twice is a digest, not a nonce)."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from .fielddiff import Leaf, Record, step
from .formdiff import form_kind, read_form
from .linediff import line_format, read_lines
from .locations import unindexed

__all__ = ["field_lists", "field_strings"]


def field_strings(body: bytes, content_type: str | None) -> Iterator[tuple[str, str]]:
    """(location group, value) of each field and attribute, named as the diff names them;
    nothing for a body that is no form or line format, or does not read as one."""
    record = _read(body, content_type)
    if record is not None:
        yield from _record(record, "body")


def field_lists(body: bytes, content_type: str | None) -> Iterator[str]:
    """The paths (indexes left out) of fields a form or line-format body holds more than
    once: lists, to index even where another answer holds them once."""
    record = _read(body, content_type)
    if record is not None:
        yield from _lists(record, "body")


@functools.lru_cache(maxsize=4)  # one answer is read for its strings, then for its lists
def _read(body: bytes, content_type: str | None) -> Record | None:
    if form_kind(content_type) is not None:
        return read_form(body, content_type)
    form = line_format(content_type)
    return read_lines(body, form) if form is not None else None


def _lists(record: Record, location: str) -> Iterator[str]:
    for name, items in record.fields:
        here = location + step(name)
        if len(items) > 1:
            yield unindexed(here)
        for item in items:
            if isinstance(item, Record):
                yield from _lists(item, here)


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
