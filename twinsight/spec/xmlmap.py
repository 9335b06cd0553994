"""XML bodies as the nested maps CEL reads: `body.Envelope.Body.GetOrderResponse.order.total`.

The mapping: the root element is the single top key; an element with only text is
that text (a string); an element with attributes or child elements is a map with its
attributes under `@`, its child elements by local name, and its text under `#text`
(a leaf's text even when empty; beside child elements only when not blank). Sibling
elements sharing a name become a list in document order. Namespace prefixes are
dropped, but two namespaces never share a key: among the child elements (or the
attributes) of one element, a local name goes to the namespace it is written in
without a prefix, else to the first one seen; the others are keyed as written,
`prefix:local` (`{uri}local` when written without a prefix too).

The parser resolves no entity, loads no DTD and fetches nothing; a document declaring
entities or elements in its own DTD, or referring to an entity it cannot expand, is
not parsed (None), and so is one nested deeper than `MAX_DEPTH`.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from .forms import by_name

__all__ = ["MAX_DEPTH", "declares_own_dtd", "hardened_parser", "is_xml_type", "xml_map"]

# CEL converts values recursively and JSON bodies are rarely deeper than a few dozen levels;
# libxml2 refuses 256 levels itself, this stops well before Python's recursion limit.
MAX_DEPTH = 100
_XML = "http://www.w3.org/XML/1998/namespace"


def hardened_parser(*, drop_blank_text: bool = False, as_written: bool = False) -> etree.XMLParser:
    """An lxml parser that never expands an entity, loads a DTD or touches the network
    (no XXE, no billion laughs), and keeps no comments or processing instructions; with
    `drop_blank_text`, indentation between elements goes too; `as_written` keeps comments,
    processing instructions and CDATA (a body rewritten and sent on)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=not as_written,
        remove_pis=not as_written,
        remove_blank_text=drop_blank_text,
        strip_cdata=not as_written,
    )


def declares_own_dtd(root: Any) -> bool:
    """Whether a document declares entities or elements in its own DTD: where entity bombs
    and XXE live (the parser expands none, readers still refuse such a body)."""
    dtd = root.getroottree().docinfo.internalDTD
    return dtd is not None and (any(dtd.iterentities()) or any(dtd.iterelements()))


_PARSER = hardened_parser()


def is_xml_type(media: str) -> bool:
    """Whether a media type (lower case, no parameters) is XML: `*/xml` or `*+xml`."""
    return media in ("application/xml", "text/xml") or media.endswith("+xml")


def xml_map(body: bytes) -> dict[str, Any] | None:
    """`body` as a nested map with its root element as the single key; None if not safe XML."""
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.LxmlError, ValueError, TypeError):
        return None
    if root is None or not isinstance(root.tag, str) or not _safe(root):
        return None
    try:
        return {_local(root.tag): _value(root, 0)}
    except _TooDeep:
        return None


class _TooDeep(Exception):
    """A document nested deeper than `MAX_DEPTH`."""


def _safe(root: Any) -> bool:
    return not declares_own_dtd(root) and next(root.iter(etree.Entity), None) is None


def _value(element: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise _TooDeep
    elements = [c for c in element if isinstance(c.tag, str)]
    attrib = element.attrib
    if not elements and not attrib:
        return str(element.text or "")
    found: dict[str, Any] = {}
    if attrib:
        found["@"] = _attributes(element, attrib)
    text = _text(element, elements)
    if text is not None:
        found["#text"] = text
    # Repeated siblings become the list of their values, as repeated form fields do.
    children = zip(_child_keys(elements), elements, strict=True)
    found.update(by_name((key, _value(child, depth + 1)) for key, child in children))
    return found


def _text(element: Any, elements: list[Any]) -> str | None:
    if not elements:
        return str(element.text or "")
    runs = [element.text, *(c.tail for c in elements)]
    joined = " ".join(r.strip() for r in runs if r and not r.isspace())
    return joined or None


def _attributes(element: Any, attrib: Any) -> dict[str, str]:
    names = list(attrib)
    if not any(name.startswith("{") for name in names):
        return {name: str(attrib[name]) for name in names}
    # An attribute takes no default namespace: without a namespace it was written bare.
    prefixes = {uri: prefix for prefix, uri in element.nsmap.items() if prefix} | {_XML: "xml"}
    spaces = [_namespace(name) for name in names]
    named = [(n, prefixes.get(s, "") if s else None) for n, s in zip(names, spaces, strict=True)]
    return {key: str(attrib[name]) for key, name in zip(_keys(named), names, strict=True)}


def _child_keys(elements: list[Any]) -> list[str]:
    tags = [e.tag for e in elements]
    if len({_namespace(tag) for tag in tags}) <= 1:
        return [_local(tag) for tag in tags]  # one namespace: no collision possible
    return _keys([(e.tag, e.prefix) for e in elements])


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def _namespace(name: str) -> str | None:
    return name[1 : name.index("}")] if name.startswith("{") else None


def _keys(names: list[tuple[str, str | None]]) -> list[str]:
    parts = [(_local(name), _namespace(name), prefix) for name, prefix in names]
    # The bare local name goes to the namespace written without a prefix, else the first.
    owners: dict[str, str | None] = {}
    for local, namespace, prefix in parts:
        if prefix is None and local not in owners:
            owners[local] = namespace
    for local, namespace, _ in parts:
        owners.setdefault(local, namespace)
    keys = []
    for local, namespace, prefix in parts:
        if owners[local] == namespace:
            keys.append(local)
        else:
            keys.append(f"{prefix}:{local}" if prefix else f"{{{namespace or ''}}}{local}")
    return keys
