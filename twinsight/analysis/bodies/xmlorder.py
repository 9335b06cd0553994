"""The lists of an XML answer, for the legacy's order evidence (`order.OrderEvidence`): each
run of repeated sibling elements, located as the XML diff locates an `order` difference."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from .xmlbody import claims_xml
from .xmlparse import Unparseable, canonical, children, parse_xml

__all__ = ["xml_lists"]


def xml_lists(body: bytes, content_type: str | None) -> Iterator[tuple[str, list[bytes]]]:
    """(location group, each item's canonical form) of every element repeated under one
    parent (`body.{ns}order.{ns}lines.{ns}line`); nothing for a body that is not XML."""
    if not body or not claims_xml(body, content_type):
        return
    root = parse_xml(body)
    if not isinstance(root, Unparseable):
        yield from _lists(root, f"body.{root.tag}")


def _lists(element: Any, location: str) -> Iterator[tuple[str, list[bytes]]]:
    elements = children(element)
    counts = Counter(child.tag for child in elements)
    for tag, count in counts.items():
        if count > 1:
            items = [repr(canonical(c)).encode() for c in elements if c.tag == tag]
            yield f"{location}.{tag}", items
    for child in elements:
        repeated = "[*]" if counts[child.tag] > 1 else ""
        yield from _lists(child, f"{location}.{child.tag}{repeated}")
