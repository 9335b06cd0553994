"""Structural difference of two XML documents, as atomic differences at element paths.

Pure functions over parsed roots (see `xmlparse`). Locations extend the JSON paths:
`body.{urn:example:orders}order.{urn:example:orders}lines.{urn:example:orders}line[2]`
names an element (`{namespace-uri}local`, or the bare local name without a namespace);
siblings of one name are indexed `[i]` when either side has more than one of them;
`.@name` (`.@{uri}name`) is an attribute; a leaf element's text is the element's own
location, text beside child elements is `.#text`. Kinds are jsondiff's: `changed`,
`missing`, `extra`, `type` (an element with children against one with text only),
`order`. Differently named siblings are compared by name, whatever their order.

Repeated siblings whose items carry a natural key (an `id`, `key`, `href`, `code` or
`name` attribute or text-only child, unique within the list and the same set on both
sides) are matched by key: each item's differences at the legacy's index, and one
`order` difference at the list (`body.order.lines.line`) when the keys come in
another order. Without such a key, the same items in another order are one `order`
difference, else items are compared index by index.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from .jsondiff import Kind
from .xmlparse import canonical, children, render, render_node, text_of

__all__ = ["NATURAL_KEYS", "XmlDifference", "diff_xml"]

NATURAL_KEYS = ("id", "key", "href", "code", "name")
"""Attribute or child names, in order of preference, that may key a list's items."""


@dataclass(frozen=True, slots=True)
class XmlDifference:
    """One atomic difference at a rendered location; values are strings (absent: None)."""

    location: str
    kind: Kind
    legacy: Any
    candidate: Any
    summary: str = ""

    def swapped(self) -> XmlDifference:
        """The same difference seen from the other side."""
        kind: Kind = {"missing": "extra", "extra": "missing"}.get(self.kind, self.kind)  # type: ignore[assignment]
        return XmlDifference(self.location, kind, self.candidate, self.legacy, self.summary)


def diff_xml(a: Any, b: Any, root: str = "body") -> list[XmlDifference]:
    """Every atomic difference from root element `a` (the legacy) to `b` (the candidate)."""
    if a.tag != b.tag:
        return [
            XmlDifference(f"{root}.{a.tag}", "missing", render(a), None),
            XmlDifference(f"{root}.{b.tag}", "extra", None, render(b)),
        ]
    return list(_element(a, b, f"{root}.{a.tag}"))


def _same(a: Any, b: Any) -> bool:
    # One serialisation means one canonical tree (namespaces are declared in it); another
    # serialisation may still be the same XML (other prefixes): the walk finds that out.
    return bool(etree.tostring(a, with_tail=False) == etree.tostring(b, with_tail=False))


def _element(a: Any, b: Any, location: str) -> Iterator[XmlDifference]:
    if _same(a, b):
        return
    yield from _attributes(a, b, location)
    ours, theirs = children(a), children(b)
    text_a, text_b = text_of(a, ours), text_of(b, theirs)
    if not ours and not theirs:
        if text_a != text_b:
            yield XmlDifference(location, "changed", text_a, text_b)
    elif (ours and not theirs and text_b.strip()) or (theirs and not ours and text_a.strip()):
        legacy = render(a) if ours else text_a
        candidate = render(b) if theirs else text_b
        yield XmlDifference(location, "type", legacy, candidate, "child elements against text")
    else:
        # One side has no child left: its blank leaf text is no text beside them.
        yield from _presence(f"{location}.#text", text_a.strip() or None, text_b.strip() or None)
        yield from _siblings(ours, theirs, location)


def _presence(location: str, a: str | None, b: str | None) -> Iterator[XmlDifference]:
    if a == b:
        return
    if b is None:
        yield XmlDifference(location, "missing", a, None)
    elif a is None:
        yield XmlDifference(location, "extra", None, b)
    else:
        yield XmlDifference(location, "changed", a, b)


def _attributes(a: Any, b: Any, location: str) -> Iterator[XmlDifference]:
    ours, theirs = dict(a.items()), dict(b.items())
    if ours == theirs:
        return
    for name in {**ours, **theirs}:
        yield from _presence(f"{location}.@{name}", ours.get(name), theirs.get(name))


def _siblings(ours: list[Any], theirs: list[Any], location: str) -> Iterator[XmlDifference]:
    by_tag_a, by_tag_b = _by_tag(ours), _by_tag(theirs)
    for tag in {**by_tag_a, **by_tag_b}:
        items_a, items_b = by_tag_a.get(tag, []), by_tag_b.get(tag, [])
        base = f"{location}.{tag}"
        if len(items_a) > 1 or len(items_b) > 1:
            yield from _list(items_a, items_b, base)
        elif items_a and items_b:
            yield from _element(items_a[0], items_b[0], base)
        elif items_a:
            yield XmlDifference(base, "missing", render(items_a[0]), None)
        else:
            yield XmlDifference(base, "extra", None, render(items_b[0]))


def _by_tag(elements: list[Any]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for element in elements:
        groups.setdefault(element.tag, []).append(element)
    return groups


def _list(a: list[Any], b: list[Any], base: str) -> Iterator[XmlDifference]:
    differing = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if not _same(x, y)]
    if not differing and len(a) == len(b):
        return
    key = natural_key(a, b)
    if key is not None:
        yield from _keyed(a, b, base, key)
    elif len(a) == len(b) and _same_items(a, b, differing):
        yield XmlDifference(
            base, "order", _items(a), _items(b), "the same elements in another order"
        )
    else:
        for i in differing:
            yield from _element(a[i], b[i], f"{base}[{i}]")
        for i in range(len(b), len(a)):
            yield XmlDifference(f"{base}[{i}]", "missing", render(a[i]), None)
        for i in range(len(a), len(b)):
            yield XmlDifference(f"{base}[{i}]", "extra", None, render(b[i]))


def _same_items(a: list[Any], b: list[Any], differing: list[int]) -> bool:
    """Same multiset of items (compared canonically), but not the same sequence."""
    # Items equal at their index cancel out: only the others need a canonical form.
    ours, theirs = [canonical(a[i]) for i in differing], [canonical(b[i]) for i in differing]
    return ours != theirs and Counter(ours) == Counter(theirs)


def _items(elements: list[Any]) -> str:
    text = " ".join(render_node(canonical(e), 60) for e in elements)
    return text if len(text) <= 200 else text[:197] + "..."


def _keyed(a: list[Any], b: list[Any], base: str, key: str) -> Iterator[XmlDifference]:
    keys_a, keys_b = [key_value(x, key) for x in a], [key_value(y, key) for y in b]
    if keys_a != keys_b:
        yield XmlDifference(
            base,
            "order",
            _joined(keys_a),
            _joined(keys_b),
            f"the same elements (by {key}) in another order",
        )
    position = {k: j for j, k in enumerate(keys_b)}
    for i, k in enumerate(keys_a):
        yield from _element(a[i], b[position[k]], f"{base}[{i}]")


def _joined(keys: list[str | None]) -> str:
    text = ", ".join(str(k) for k in keys)
    return text if len(text) <= 200 else text[:197] + "..."


def natural_key(a: list[Any], b: list[Any]) -> str | None:
    """The first of `NATURAL_KEYS` every item of both lists carries, unique within each and
    the same set on both sides; None if there is none."""
    for name in NATURAL_KEYS:
        keys_a = [key_value(x, name) for x in a]
        if None in keys_a or len(set(keys_a)) != len(keys_a):
            continue
        keys_b = [key_value(y, name) for y in b]
        if None not in keys_b and len(set(keys_b)) == len(keys_b) and set(keys_a) == set(keys_b):
            return name
    return None


def key_value(element: Any, name: str) -> str | None:
    """`element`'s attribute `name`, else the text of its text-only child `name` (any
    namespace), else None."""
    value = element.get(name)
    if value is not None:
        return str(value)
    child = element.find("{*}" + name)
    if child is None or len(child):
        return None
    return str(child.text or "")
