"""XML bodies parsed safely, and the canonical view of them `xmldiff` compares.

Pure functions. The parser resolves no entity, loads no DTD and fetches nothing; a
document declaring its own DTD subset (where entity bombs and XXE live) is refused as
unparseable. It hands back lxml's root element; `canonical` makes it a `Node` tree,
built only where the walk needs one (whole-element values, reorders). The view: names
in Clark notation (`{urn:x}order`, so the prefix a document chose does not matter),
whitespace-only text between elements dropped, comments and processing instructions
dropped, CDATA read as text.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from lxml import etree

from twinsight.spec.media import media_type
from twinsight.spec.xmlmap import declares_own_dtd, hardened_parser
from twinsight.spec.xmlmap import is_xml_type as xml_media

__all__ = [
    "Node",
    "Unparseable",
    "canonical",
    "children",
    "is_xml_type",
    "looks_like_xml",
    "parse_xml",
    "rebound",
    "render",
    "render_node",
    "split_name",
    "text_of",
]


class Node(NamedTuple):
    """One element: equal nodes are equal XML, whatever the prefixes or indentation."""

    tag: str  # `{namespace-uri}local`, or `local` without a namespace
    attributes: tuple[tuple[str, str], ...]  # sorted by name
    text: str  # a leaf's text; beside child elements, their non-blank text runs joined
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Unparseable:
    """Why a body is not well-formed (or not safe) XML."""

    reason: str


# libxml2 drops indentation between elements, before any compare.
_PARSER = hardened_parser(drop_blank_text=True)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def is_xml_type(content_type: str | None) -> bool:
    """Whether a Content-Type declares XML: `application/xml`, `text/xml`, `*+xml`."""
    return xml_media(media_type(content_type))


def looks_like_xml(body: bytes) -> bool:
    """Whether `body` begins as markup does (after a byte-order mark and blanks)."""
    if body.startswith(_BOMS[1:]):
        return True  # UTF-16: the parser reads it
    return body.removeprefix(_BOMS[0]).lstrip()[:1] == b"<"


def parse_xml(body: bytes) -> Any:
    """`body`'s root element (an lxml element), or `Unparseable` saying why; never raises.

    The few bodies read last are parsed once however many readers ask (one exchange's
    diffs against the candidate and the replica, a fault check): the tree is shared, so
    readers leave it as they found it (`rebound` and `xmldiff`'s list marks are put back;
    analysis reads it from one thread)."""
    if type(body) is not bytes or len(body) > _CACHED_BYTES:
        return _parse(body)
    return _recent(body)


def _parse(body: bytes) -> Any:
    try:
        tree = etree.fromstring(body, _PARSER).getroottree()
    except (etree.LxmlError, ValueError, TypeError) as error:
        return Unparseable(_first_line(str(error)) or "not well-formed XML")
    if declares_own_dtd(tree.getroot()):
        return Unparseable("declares its own DTD (entities are refused: XXE, entity expansion)")
    root = tree.getroot()
    if root is None or not isinstance(root.tag, str):
        return Unparseable("no root element")
    return root


_CACHED_BYTES = 256 * 1024  # bigger bodies are rare: not worth holding their trees
# One exchange's bodies (legacy, candidate, replica): more trees held slow every parse
# (16 cost ~10 % in bench/xmldiff.py, the memory no longer warm).
_recent = functools.lru_cache(maxsize=4)(_parse)


@contextmanager
def rebound(a: Any, b: Any) -> Iterator[tuple[Any, Any]]:
    """Roots `a` and `b`, one of them moved under a new root declaring the other's prefixes,
    so equal subtrees serialise alike; its children are put back on leaving.

    Only the root's declarations are taken over: inner ones keep theirs. A default namespace
    is only declared over a tree whose root declared one itself (its unqualified elements
    then carry their own `xmlns=""`): over bare names it would misname them."""
    if a.nsmap == b.nsmap:
        yield a, b
    elif None in a.nsmap and None not in b.nsmap:
        with _moved(a, b.nsmap) as moved:
            yield moved, b
    else:
        with _moved(b, a.nsmap) as moved:
            yield a, moved


@contextmanager
def _moved(root: Any, nsmap: dict[Any, str]) -> Iterator[Any]:
    new = etree.Element(root.tag, dict(root.attrib), nsmap=nsmap)
    new.text = root.text
    new.extend(list(root))  # lxml re-binds each moved name to the new root's declarations
    try:
        yield new
    finally:
        root.extend(list(new))  # and back to the old root's, by namespace URI


def children(element: Any) -> list[Any]:
    """The child elements of `element` (entity references left aside)."""
    return list(element.iterchildren(etree.Element))  # filtered in C: no proxy for the rest


def text_of(element: Any, elements: list[Any]) -> str:
    """A leaf's text; beside child `elements`, their non-blank text runs stripped and joined."""
    if not elements:
        return str(element.text or "")
    runs = [element.text, *(c.tail for c in elements)]
    return " ".join(r.strip() for r in runs if r and not r.isspace())


def canonical(element: Any) -> Node:
    """The canonical tree of `element`: equal for equal XML, whatever prefixes were used."""
    elements = children(element)
    attributes = tuple(sorted(element.items())) if len(element.attrib) else ()
    return Node(
        element.tag, attributes, text_of(element, elements), tuple(map(canonical, elements))
    )


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def render(element: Any, limit: int = 200) -> str:
    """`element` as short canonical XML (a default namespace per element), cut at `limit`."""
    return render_node(canonical(element), limit)


def render_node(node: Node, limit: int = 200) -> str:
    """`node` as short canonical XML (a default namespace per element), cut at `limit`."""
    text = _render(node, "")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _render(node: Node, inherited: str) -> str:
    namespace, local = split_name(node.tag)
    parts = [f"<{local}"]
    if namespace != inherited:
        parts.append(f' xmlns="{_escape(namespace)}"')
    parts.extend(f' {name}="{_escape(value)}"' for name, value in node.attributes)
    inner = "".join(_render(c, namespace) for c in node.children)
    body = _escape(node.text) + inner
    parts.append(f">{body}</{local}>" if body else "/>")
    return "".join(parts)


def split_name(name: str) -> tuple[str, str]:
    """`{uri}local` as (`uri`, `local`); a name without namespace as (``, name)."""
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
