"""Fields and records compared by name and key: the walk shared by form and line-format bodies.

Pure functions over a small model: a `Record` holds named fields, each a tuple of items in
order; an item is a `Leaf` (a string with named attributes) or a nested `Record`. Locations
extend the JSON paths: `body.email`, `body.tag[1]`, `body.VCALENDAR.VEVENT[0].DTSTART`, an
attribute `.@TZID`; a name of other characters than letters, digits, `_` and `-` is quoted
(`body["user[email]"]`). A field sent once on both sides is bare; more than once on either
side (or a name the record lists as always a list) its items are indexed.

Kinds are jsondiff's. A list whose records all carry a key (a UID, a key column), unique on
each side, is matched by key: each shared item compared at the legacy's index, the others
`missing` (at the legacy's index) or `extra` (at the candidate's), and one `order`
difference at the list when the shared keys come in another order. Without keys, the same
items in another order are one `order` difference; else items are compared index by index.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import orjson

from twinsight.analysis.jsondiff import Kind

from .difference import BodyDifference
from .locations import unindexed

__all__ = ["Item", "Leaf", "Record", "diff_records", "step"]

_PLAIN = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True, slots=True)
class Leaf:
    """One value, with its attributes (an iCalendar property's parameters), sorted by name."""

    value: str
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Record:
    """Named fields, sorted by name, each its items in order; `text` shows it to people."""

    fields: tuple[tuple[str, tuple[Item, ...]], ...]
    key: str | None = None
    lists: frozenset[str] = frozenset()
    """Names whose items are indexed however many there are (a calendar's events)."""
    text: str = field(default="", compare=False)


Item = Leaf | Record


def step(name: str) -> str:
    """A field name as a location step: `.email`, `.@TZID`, or quoted `["a b"]`."""
    if _PLAIN.match(name.removeprefix("@")):
        return f".{name}"
    return f"[{orjson.dumps(name).decode()}]"


def diff_records(
    a: Record, b: Record, root: str = "body", *, lists: frozenset[str] = frozenset()
) -> list[BodyDifference]:
    """Every atomic difference from record `a` (the legacy) to `b` (the candidate); `lists`:
    field paths (indexes left out) that repeat in other answers, indexed even when alone."""
    return list(_record(a, b, root, lists))


def _record(a: Record, b: Record, location: str, lists: frozenset[str]) -> Iterator[BodyDifference]:
    ours, theirs = dict(a.fields), dict(b.fields)
    for name in sorted(ours.keys() | theirs.keys()):
        mine, yours = ours.get(name, ()), theirs.get(name, ())
        if mine == yours:
            continue
        here = location + step(name)
        known = bool(lists) and unindexed(here) in lists
        if name in a.lists | b.lists or max(len(mine), len(yours)) > 1 or known:
            yield from _list(mine, yours, here, lists)
        elif not yours:
            yield BodyDifference(here, "missing", _text(mine[0]), None)
        elif not mine:
            yield BodyDifference(here, "extra", None, _text(yours[0]))
        else:
            yield from _item(mine[0], yours[0], here, lists)


def _item(a: Item, b: Item, location: str, lists: frozenset[str]) -> Iterator[BodyDifference]:
    if isinstance(a, Record) and isinstance(b, Record):
        yield from _record(a, b, location, lists)
    elif isinstance(a, Leaf) and isinstance(b, Leaf):
        if a.value != b.value:
            yield BodyDifference(location, "changed", a.value, b.value)
        yield from _attributes(a, b, location)
    else:
        yield BodyDifference(location, "type", _text(a), _text(b))


def _attributes(a: Leaf, b: Leaf, location: str) -> Iterator[BodyDifference]:
    ours, theirs = dict(a.attributes), dict(b.attributes)
    for name in sorted(ours.keys() | theirs.keys()):
        here = location + step(f"@{name}")
        mine, yours = ours.get(name), theirs.get(name)
        if mine == yours:
            continue
        kind: Kind = "missing" if yours is None else "extra" if mine is None else "changed"
        yield BodyDifference(here, kind, mine, yours)


def _list(
    a: Sequence[Item], b: Sequence[Item], location: str, lists: frozenset[str]
) -> Iterator[BodyDifference]:
    keyed = _keys(a, b)
    if keyed is not None:
        yield from _keyed(a, b, keyed, location, lists)
        return
    if len(a) == len(b) and Counter(a) == Counter(b):
        # The same items in another order: one difference at the list, not one per item.
        yield BodyDifference(location, "order", _texts(a), _texts(b))
        return
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        yield from _item(x, y, f"{location}[{index}]", lists)
    for index in range(len(b), len(a)):
        yield BodyDifference(f"{location}[{index}]", "missing", _text(a[index]), None)
    for index in range(len(a), len(b)):
        yield BodyDifference(f"{location}[{index}]", "extra", None, _text(b[index]))


def _keys(a: Sequence[Item], b: Sequence[Item]) -> tuple[list[str], list[str]] | None:
    """Both lists' keys when every item on both sides has one, unique on its side."""
    ours = [x.key for x in a if isinstance(x, Record) and x.key is not None]
    theirs = [y.key for y in b if isinstance(y, Record) and y.key is not None]
    if len(ours) != len(a) or len(theirs) != len(b):
        return None
    if len(set(ours)) != len(ours) or len(set(theirs)) != len(theirs):
        return None
    return ours, theirs


def _keyed(
    a: Sequence[Item],
    b: Sequence[Item],
    keys: tuple[list[str], list[str]],
    location: str,
    lists: frozenset[str],
) -> Iterator[BodyDifference]:
    ours, theirs = keys
    where = {key: index for index, key in enumerate(theirs)}
    for index, key in enumerate(ours):
        if key in where:
            yield from _item(a[index], b[where[key]], f"{location}[{index}]", lists)
        else:
            yield BodyDifference(f"{location}[{index}]", "missing", _text(a[index]), None)
    shared = set(ours) & set(theirs)
    for index, key in enumerate(theirs):
        if key not in shared:
            yield BodyDifference(f"{location}[{index}]", "extra", None, _text(b[index]))
    mine, yours = [k for k in ours if k in shared], [k for k in theirs if k in shared]
    if mine != yours:
        yield BodyDifference(location, "order", mine, yours)


def _text(item: Item) -> str:
    return item.value if isinstance(item, Leaf) else item.text


def _texts(items: Sequence[Item]) -> list[str]:
    return [_text(item) for item in items]
