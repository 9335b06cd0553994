"""Which bodies are XML, and their differences: the XML walk, or one whole-body difference.

Pure functions. A body is XML when its Content-Type says so (`application/xml`,
`text/xml`, `*+xml`) or, without a Content-Type, when it begins with markup; once one
side is, the other is read as XML too. A body that claims to be XML and does not parse
(or declares entities) is one `body` difference with the parser's reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from .difference import BodyDifference
from .htmlparse import is_html_type, looks_like_html
from .xmldiff import diff_xml
from .xmlparse import (
    Unparseable,
    children,
    is_xml_type,
    looks_like_xml,
    parse_xml,
    rebound,
    split_name,
    text_of,
)

__all__ = ["claims_xml", "diff_xml_bodies", "xml_strings"]


def claims_xml(body: bytes, content_type: str | None) -> bool:
    """Whether a body is meant as XML: by its Content-Type, or without one by its first byte.
    An HTML page (XHTML too, see `htmlparse`) is not: it is compared as a page."""
    if content_type:
        return is_xml_type(content_type) and not is_html_type(content_type)
    return bool(body) and looks_like_xml(body) and not looks_like_html(body)


def diff_xml_bodies(
    legacy: bytes,
    legacy_type: str | None,
    candidate: bytes,
    candidate_type: str | None,
    *,
    lists: frozenset[str] = frozenset(),
) -> list[BodyDifference] | None:
    """The differences of two bodies of which one at least claims XML; None when neither
    does (they are compared as text)."""
    claims = (claims_xml(legacy, legacy_type), claims_xml(candidate, candidate_type))
    if not any(claims):
        return None
    a, b = parse_xml(legacy), parse_xml(candidate)
    bad_a, bad_b = isinstance(a, Unparseable), isinstance(b, Unparseable)
    if not bad_a and not bad_b:
        # One takes the other's prefixes for the walk, so that equal subtrees are found
        # equal by their serialisation rather than element by element.
        with rebound(a, b) as (ours, theirs):
            return diff_xml(ours, theirs, lists=lists)
    if bad_a and bad_b:
        if not (is_xml_type(legacy_type) or is_xml_type(candidate_type)):
            return None  # markup that is not XML (HTML without a Content-Type): text
        return [
            BodyDifference("body", "changed", a.reason, b.reason, "neither body is well-formed XML")
        ]
    if not claims[1 if bad_b else 0]:
        kinds = ("xml", "text") if bad_b else ("text", "xml")
        return [BodyDifference("body", "type", *kinds, "one body is XML, the other not")]
    side, reason = ("candidate", b.reason) if bad_b else ("legacy", a.reason)
    legacy_value = f"unparseable: {a.reason}" if bad_a else _document(a)
    candidate_value = f"unparseable: {b.reason}" if bad_b else _document(b)
    return [
        BodyDifference(
            "body",
            "changed",
            legacy_value,
            candidate_value,
            f"the {side}'s body is not well-formed XML: {reason}",
        )
    ]


def _document(root: Any) -> str:
    return f"<{split_name(root.tag)[1]}> document"


def xml_strings(body: bytes, content_type: str | None) -> Iterator[tuple[str, str]]:
    """Every attribute value and leaf text of an XML body with its location group, as
    `diff_xml` names them (`body.order.lines.line[*].@id`); nothing for other bodies."""
    if not claims_xml(body, content_type):
        return
    root = parse_xml(body)
    if not isinstance(root, Unparseable):
        yield from _strings(root, f"body.{root.tag}")


def _strings(element: Any, location: str) -> Iterator[tuple[str, str]]:
    for name, value in element.items():
        yield f"{location}.@{name}", value
    elements = children(element)
    if not elements:
        text = text_of(element, elements)
        if text:
            yield location, text
        return
    repeated = {tag for tag, n in Counter(c.tag for c in elements).items() if n > 1}
    for child in elements:
        yield from _strings(
            child, f"{location}.{child.tag}" + ("[*]" if child.tag in repeated else "")
        )
