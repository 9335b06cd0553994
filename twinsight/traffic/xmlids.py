"""Identifiers in XML bodies: learned from two answers by position, put into requests.

SOAP and other XML APIs name their ids in elements (`<o:orderId>17</o:orderId>`) and
attributes (`<order id="17">`). An id is a leaf element's text or an attribute's value
whose local name is id-like (the rule JSON fields follow). Two answers are paired by the
path of local names (namespaces and prefixes ignored), and only outside lists: an id under
an element repeated at its path (an order among orders) is skipped, because two services
may list the same items in another order and a pair by position would be false.

The parser resolves no entity, loads no DTD and fetches nothing; a document with a DOCTYPE
or one that does not parse holds no ids and is sent untouched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Set
from typing import Any, NamedTuple

from lxml import etree

from twinsight.spec.xmlmap import hardened_parser

__all__ = ["XmlId", "is_fault", "parse_xml", "rewrite_xml", "xml_id_values", "xml_ids", "xml_pairs"]

# As written: a body whose ids are rewritten keeps its comments and CDATA.
_PARSER = hardened_parser(as_written=True)
_UTF8_BOM = b"\xef\xbb\xbf"
_MAX_VALUE = 200  # longer text is prose, not an identifier


class XmlId(NamedTuple):
    """One id in a document: where it is, its value, and whether it stands in a list."""

    path: tuple[str, ...]  # local names from the root; an attribute ends in `@name`
    value: str
    listed: bool


def parse_xml(body: bytes) -> Any | None:
    """`body`'s root element (lxml), or None: not markup, not well-formed, or with a DOCTYPE."""
    start = body.removeprefix(_UTF8_BOM).lstrip()[:1]
    if start != b"<":
        return None
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.LxmlError, ValueError, TypeError):
        return None
    if root is None or not isinstance(root.tag, str):
        return None
    if root.getroottree().docinfo.internalDTD is not None:
        return None  # where entity bombs and XXE live: no ids are taken from it
    return root


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _walk(
    root: Any, is_id: Callable[[str], bool]
) -> Iterator[tuple[tuple[str, ...], Any, str | None]]:
    """(path, element, attribute name or None) of every id-like leaf element and attribute."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(root, (_local(root.tag),))]
    while stack:
        element, path = stack.pop()
        for name in element.attrib:
            local = _local(name)
            if is_id(local):
                yield (*path, "@" + local), element, name
        if len(element) == 0:  # no child node at all (an entity or comment inside: not a leaf)
            if is_id(path[-1]):
                yield path, element, None
            continue
        for child in reversed(element):
            if isinstance(child.tag, str):
                stack.append((child, (*path, _local(child.tag))))


def _element_paths(root: Any) -> Counter[tuple[str, ...]]:
    counts: Counter[tuple[str, ...]] = Counter()
    stack: list[tuple[Any, tuple[str, ...]]] = [(root, (_local(root.tag),))]
    while stack:
        element, path = stack.pop()
        counts[path] += 1
        stack.extend(
            (child, (*path, _local(child.tag))) for child in element if isinstance(child.tag, str)
        )
    return counts


def _value(element: Any, attribute: str | None) -> str:
    raw = element.get(attribute) if attribute is not None else element.text
    value = (raw or "").strip()
    return value if len(value) <= _MAX_VALUE else ""


def xml_ids(root: Any, is_id: Callable[[str], bool]) -> list[XmlId]:
    """Every id of a document, in document order of the walk."""
    counts = _element_paths(root)
    found = []
    for path, element, attribute in _walk(root, is_id):
        value = _value(element, attribute)
        if value:
            elements = path[:-1] if attribute is not None else path
            listed = any(counts[elements[:i]] > 1 for i in range(1, len(elements) + 1))
            found.append(XmlId(path, value, listed))
    return found


def xml_id_values(root: Any, is_id: Callable[[str], bool]) -> set[str]:
    """The values of `xml_ids`, without their paths: cheap enough for the client's path."""
    values: set[str] = set()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # a comment or processing instruction
        for name in element.attrib:
            if is_id(_local(name)):
                values.add(_value(element, name))
        if len(element) == 0 and is_id(_local(element.tag)):
            values.add(_value(element, None))
    values.discard("")
    return values


def is_fault(root: Any) -> bool:
    """Whether a document is a SOAP fault (1.1 or 1.2): `Envelope/Body/Fault`."""
    if _local(root.tag) != "Envelope":
        return False
    for body in root:
        if isinstance(body.tag, str) and _local(body.tag) == "Body":
            return any(isinstance(c.tag, str) and _local(c.tag) == "Fault" for c in body)
    return False


def xml_pairs(
    legacy: Any, other: Any, is_id: Callable[[str], bool], sent: Set[str] = frozenset()
) -> dict[str, str]:
    """legacy id -> the other's id at the same path, outside lists; a value the request
    already named (`sent`) is an echo, not a new id, and is not learned."""
    if is_fault(legacy) or is_fault(other):
        return {}
    theirs = {i.path: i for i in xml_ids(other, is_id) if not i.listed}
    pairs: dict[str, str] = {}
    for mine in xml_ids(legacy, is_id):
        yours = theirs.get(mine.path)
        if mine.listed or yours is None or mine.value == yours.value or mine.value in sent:
            continue
        pairs.setdefault(mine.value, yours.value)
    return pairs


def rewrite_xml(
    body: bytes, swap: Callable[[str, str], str], is_id: Callable[[str], bool]
) -> bytes:
    """`body` with each id passed through `swap(value, location)`; the very same bytes
    when nothing changed (or the body is not XML), else the document re-serialised."""
    root = parse_xml(body)
    if root is None:
        return body
    changed = False
    for path, element, attribute in list(_walk(root, is_id)):
        value = _value(element, attribute)
        if not value:
            continue
        new = swap(value, "body." + ".".join(path))
        if new == value:
            continue
        changed = True
        if attribute is not None:
            element.set(attribute, element.get(attribute).replace(value, new, 1))
        else:
            element.text = element.text.replace(value, new, 1)
    return _serialised(body, root) if changed else body


def _serialised(original: bytes, root: Any) -> bytes:
    """`root`'s document written back, keeping the original's declaration and trailing blanks."""
    tree = root.getroottree()
    encoding = tree.docinfo.encoding or "utf-8"
    stripped = original.removeprefix(_UTF8_BOM)
    head = original[: len(original) - len(stripped)]  # the byte-order mark, if any
    if stripped.startswith(b"<?xml"):
        end = stripped.find(b"?>") + 2
        rest = stripped[end:]
        head += stripped[:end] + rest[: len(rest) - len(rest.lstrip())]
    tail = original[len(original.rstrip()) :]
    written: bytes = etree.tostring(tree, encoding=encoding, xml_declaration=False)
    return head + written + tail
