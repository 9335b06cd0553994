"""A small XML writer whose prefixes, namespace declarations and indentation are chosen.

The standard library's writer takes prefixes from a process-wide registry; the two
services of this example spell the same documents differently (the legacy declares
every namespace on the root with prefixes and indents, the candidate declares a
default namespace where it is first needed and writes one line), so they write
their own. Only elements, plain attributes and text-only leaves are needed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

__all__ = ["Style", "serialize", "split"]


@dataclass(frozen=True)
class Style:
    """How one service spells its documents."""

    prefixes: Mapping[str, str]
    """Namespace -> prefix; `""` makes it the default namespace where it is declared."""
    indent: str = ""
    """One level of indentation; `""` writes the whole document on one line."""
    hoist: bool = False
    """Declare every namespace of the document on its root element."""
    declaration: bool = False
    """Start with `<?xml version="1.0" encoding="utf-8"?>`."""


def split(tag: str) -> tuple[str, str]:
    """`{namespace}local` as (namespace, local); no namespace is `""`."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def serialize(root: ET.Element, style: Style) -> bytes:
    """`root` as UTF-8 bytes, spelled in `style`."""
    out: list[str] = []
    if style.declaration:
        out.append('<?xml version="1.0" encoding="utf-8"?>')
    hoisted = _namespaces(root) if style.hoist else []
    _write(root, style, {}, 0, out, hoisted)
    separator = "\n" if style.indent else ""
    return (separator.join(out) + separator).encode("utf-8")


def _namespaces(root: ET.Element) -> list[str]:
    found = (split(element.tag)[0] for element in root.iter())
    return [namespace for namespace in dict.fromkeys(found) if namespace]


def _bind(namespace: str, style: Style, scope: dict[str, str]) -> str:
    """The declaration `namespace` needs in `scope` (updated), or `""`."""
    prefix = style.prefixes[namespace] if namespace else ""
    if scope.get(prefix, "") == namespace:
        return ""
    scope[prefix] = namespace
    return f' xmlns="{namespace}"' if not prefix else f' xmlns:{prefix}="{namespace}"'


def _write(
    element: ET.Element,
    style: Style,
    outer: Mapping[str, str],
    depth: int,
    out: list[str],
    extra: list[str],
) -> None:
    scope = dict(outer)
    namespace, local = split(element.tag)
    declarations = "".join(_bind(n, style, scope) for n in [*extra, namespace])
    prefix = style.prefixes[namespace] if namespace else ""
    name = f"{prefix}:{local}" if prefix else local
    attributes = "".join(f" {key}={quoteattr(value)}" for key, value in element.attrib.items())
    pad = style.indent * depth
    head = f"{pad}<{name}{declarations}{attributes}"
    children = list(element)
    if not children:
        text = element.text or ""
        out.append(f"{head}>{escape(text)}</{name}>" if text else f"{head}/>")
        return
    out.append(f"{head}>")
    for child in children:
        _write(child, style, scope, depth + 1, out, [])
    out.append(f"{pad}</{name}>")
