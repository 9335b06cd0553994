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

from twinsight.analysis.jsondiff import NATURAL_KEYS

from .difference import BodyDifference, presence
from .locations import unindexed
from .xmlparse import canonical, children, render, render_node, text_of

__all__ = ["diff_xml"]

_TESTED_WHOLE = 8


def diff_xml(
    a: Any, b: Any, root: str = "body", *, lists: frozenset[str] = frozenset()
) -> list[BodyDifference]:
    """Every atomic difference from root element `a` (the legacy) to `b` (the candidate);
    `lists`: element paths (indexes left out) known to repeat in other answers, indexed here
    even when they appear once, so one field keeps one location (`line[0].price`)."""
    if a.tag != b.tag:
        return [
            BodyDifference(f"{root}.{a.tag}", "missing", render(a), None),
            BodyDifference(f"{root}.{b.tag}", "extra", None, render(b)),
        ]
    # Documents declaring their namespaces alike serialise equal subtrees alike: a cheap test
    # that skips them. Others (another prefix, a default namespace) compare canonical trees.
    walk = _Walk(fast=a.nsmap == b.nsmap, lists=lists)
    return list(walk.element(a, b, f"{root}.{a.tag}", known=True))


@dataclass(frozen=True, slots=True)
class _Walk:
    fast: bool
    lists: frozenset[str] = frozenset()

    def same(self, a: Any, b: Any) -> bool:
        # One serialisation means one canonical tree (namespaces are declared in it; the
        # tail is the parent's text, left out); another may still be the same XML: the walk
        # finds that out. Serialised as text: the cheapest whole-subtree read lxml offers.
        if self.fast:
            return bool(_serialised(a) == _serialised(b))
        return canonical(a) == canonical(b)  # slower, but cheaper than walking equal elements

    def differing(self, a: list[Any], b: list[Any]) -> list[int]:
        """The indexes at which the two lists hold other elements (up to the shorter's end)."""
        if not a or not b:
            return []
        if self.fast:  # the lists' usual path: C-level serialisations, no call more per item
            ours, theirs = _serialised_items(a), _serialised_items(b)
            if ours is None or theirs is None or a[0].getparent().nsmap != b[0].getparent().nsmap:
                ours, theirs = list(map(_serialised, a)), list(map(_serialised, b))
            return [i for i, (x, y) in enumerate(zip(ours, theirs, strict=False)) if x != y]
        return [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if not self.same(x, y)]

    def element(self, a: Any, b: Any, location: str, known: bool) -> Iterator[BodyDifference]:
        """The differences of two elements; `known`: already known not to serialise alike."""
        if not known and self.same(a, b):
            return
        yield from _attributes(a, b, location)
        ours, theirs = children(a), children(b)
        text_a, text_b = text_of(a, ours), text_of(b, theirs)
        if not ours and not theirs:
            if text_a != text_b:
                yield BodyDifference(location, "changed", text_a, text_b)
        elif (ours and not theirs and text_b.strip()) or (theirs and not ours and text_a.strip()):
            legacy = render(a) if ours else text_a
            candidate = render(b) if theirs else text_b
            yield BodyDifference(location, "type", legacy, candidate, "child elements against text")
        else:
            # One side has no child left: its blank leaf text is no text beside them.
            text = (text_a.strip() or None, text_b.strip() or None)
            yield from presence(f"{location}.#text", *text)
            yield from self.siblings(ours, theirs, location)

    def siblings(
        self, ours: list[Any], theirs: list[Any], location: str
    ) -> Iterator[BodyDifference]:
        """Children by name, whatever the order of differently named ones."""
        by_tag_a, by_tag_b = _by_tag(ours), _by_tag(theirs)
        for tag in {**by_tag_a, **by_tag_b}:
            items_a, items_b = by_tag_a.get(tag, []), by_tag_b.get(tag, [])
            base = f"{location}.{tag}"
            if len(items_a) > 1 or len(items_b) > 1 or self.known_list(base):
                yield from self.repeated(items_a, items_b, base)
            elif items_a and items_b:
                # A container of many children is tested child by child: as cheap when
                # equal, and its whole serialisation is spared when it is not.
                known = len(items_a[0]) > _TESTED_WHOLE
                yield from self.element(items_a[0], items_b[0], base, known=known)
            elif items_a:
                yield BodyDifference(base, "missing", render(items_a[0]), None)
            else:
                yield BodyDifference(base, "extra", None, render(items_b[0]))

    def known_list(self, base: str) -> bool:
        """Whether the element at `base` repeats in other answers (a list of one here)."""
        return bool(self.lists) and unindexed(base) in self.lists

    def repeated(self, a: list[Any], b: list[Any], base: str) -> Iterator[BodyDifference]:
        """Repeated siblings of one name: by natural key, as one reorder, or by index."""
        differing = self.differing(a, b)
        if not differing and len(a) == len(b):
            return
        keyed = _keyed(a, b)
        if keyed is not None:
            yield from self.keyed(a, b, base, keyed, set(differing))
        elif len(a) == len(b) and _same_items(a, b, differing):
            yield BodyDifference(
                base, "order", _items(a), _items(b), "the same elements in another order"
            )
        else:
            for i in differing:
                yield from self.element(a[i], b[i], f"{base}[{i}]", known=True)
            for i in range(len(b), len(a)):
                yield BodyDifference(f"{base}[{i}]", "missing", render(a[i]), None)
            for i in range(len(a), len(b)):
                yield BodyDifference(f"{base}[{i}]", "extra", None, render(b[i]))

    def keyed(
        self, a: list[Any], b: list[Any], base: str, keyed: _Keys, differing: set[int]
    ) -> Iterator[BodyDifference]:
        """Items matched by key, at the legacy's index; one `order` if the keys moved."""
        name, keys_a, keys_b = keyed
        if keys_a != keys_b:
            summary = f"the same elements (by {name}) in another order"
            yield BodyDifference(base, "order", _joined(keys_a), _joined(keys_b), summary)
        position = {k: j for j, k in enumerate(keys_b)}
        for i, k in enumerate(keys_a):
            j = position[k]
            if i != j or i in differing:
                yield from self.element(a[i], b[j], f"{base}[{i}]", known=i == j)


def _serialised(element: Any) -> str:
    return str(etree.tostring(element, encoding="unicode", with_tail=False))


_MARK = "\ue000"  # a private-use character: any XML text may hold it, few do


def _serialised_items(items: list[Any]) -> list[str] | None:
    """Each item serialised inside its parent (its namespaces declared there), all in one
    serialisation of the parent cut at a mark left for the moment in each item's tail; None
    when the parent holds other children too, or the mark occurs in the document."""
    parent = items[0].getparent()
    if parent is None or len(parent) != len(items):
        return None
    tails = [item.tail for item in items]
    for item in items:
        item.tail = _MARK
    try:
        text = str(etree.tostring(parent, encoding="unicode", with_tail=False))
    finally:
        for item, tail in zip(items, tails, strict=True):
            item.tail = tail
    parts = text.split(_MARK)
    if len(parts) != len(items) + 1:
        return None
    # The parent's start tag and text hold no `<` but the tag's own: the first item's starts.
    parts[0] = parts[0][parts[0].index("<", 1) :]
    return parts[:-1]


def _attributes(a: Any, b: Any, location: str) -> Iterator[BodyDifference]:
    ours, theirs = dict(a.items()), dict(b.items())
    if ours == theirs:
        return
    for name in {**ours, **theirs}:
        yield from presence(f"{location}.@{name}", ours.get(name), theirs.get(name))


def _by_tag(elements: list[Any]) -> dict[str, list[Any]]:
    tags = [e.tag for e in elements]
    if tags and tags.count(tags[0]) == len(tags):
        return {tags[0]: elements}  # a list of one name: the common case, without a loop
    groups: dict[str, list[Any]] = {}
    for element in elements:
        groups.setdefault(element.tag, []).append(element)
    return groups


def _same_items(a: list[Any], b: list[Any], differing: list[int]) -> bool:
    """Same multiset of items (compared canonically), but not the same sequence."""
    # Items equal at their index cancel out: only the others need a canonical form.
    ours, theirs = [canonical(a[i]) for i in differing], [canonical(b[i]) for i in differing]
    return ours != theirs and Counter(ours) == Counter(theirs)


def _items(elements: list[Any]) -> str:
    text = " ".join(render_node(canonical(e), 60) for e in elements)
    return text if len(text) <= 200 else text[:197] + "..."


def _joined(keys: list[str]) -> str:
    text = ", ".join(str(k) for k in keys)
    return text if len(text) <= 200 else text[:197] + "..."


_Keys = tuple[str, list[str], list[str]]


def natural_key(a: list[Any], b: list[Any]) -> str | None:
    """The first of `NATURAL_KEYS` every item of both lists carries, unique within each and
    the same set on both sides; None if there is none."""
    keyed = _keyed(a, b)
    return None if keyed is None else keyed[0]


def _keyed(a: list[Any], b: list[Any]) -> _Keys | None:
    for name in NATURAL_KEYS:
        keys_a = [key_value(x, name) for x in a]
        if None in keys_a or len(set(keys_a)) != len(keys_a):
            continue
        keys_b = [key_value(y, name) for y in b]
        if None not in keys_b and len(set(keys_b)) == len(keys_b) and set(keys_a) == set(keys_b):
            return name, keys_a, keys_b  # type: ignore[return-value]  # no None in either
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
