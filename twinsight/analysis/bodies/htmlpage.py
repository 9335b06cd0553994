"""What an HTML element means to a reader, as plain strings at readable locations.

Pure functions over lxml HTML elements (see `htmlparse`). An element is named by a label
(see `label`) and carries facts: its own visible text (whitespace collapsed, the text of
child elements left to them), each attribute (`.@name`; classes as a set, boolean
attributes by presence, namespace declarations dropped), and for `script`, `style`,
`template` and `noscript` their content by digest instead of text. Markup that shows the
same (indentation, attribute order, quotes, `<br>` or `<br/>`, an entity or its character)
has the same facts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from twinsight.analysis.inference_values import opaque_shape

__all__ = ["HASHED", "children", "facts", "label", "shown"]

HASHED = frozenset({"script", "style", "template", "noscript"})
"""Elements whose content is code or markup not shown as text: compared by digest."""
_SKIPPED = frozenset({"br", "wbr"})  # line breaks: whitespace to a reader
_KEYED_BY = {
    "meta": ("name", "property", "http-equiv"),
    "link": ("rel",),
    **dict.fromkeys(
        ("input", "select", "textarea", "button", "output", "param", "iframe"), ("name",)
    ),
}
"""Elements named by an attribute before their id: form fields by the name the server reads."""
_BOOLEAN = frozenset(
    {"checked", "selected", "disabled", "readonly", "required", "multiple", "hidden", "async"}
    | {"defer", "autofocus", "novalidate", "open", "nomodule", "formnovalidate"}
)
_BETWEEN_TAGS = re.compile(r">\s+<")
_MAX_NAME = 40
_SHOWN = 160


def children(element: Any) -> list[Any]:
    """The child elements compared (not comments, not line breaks)."""
    return [c for c in element if isinstance(c.tag, str) and c.tag not in _SKIPPED]


def label(element: Any) -> str:
    """`input[name=csrf]`, `form#login`, `li.item` or the bare tag: the element's name among
    its siblings before any index. The class is the first in alphabetical order (classes
    are a set). Ids and classes holding a digit or looking random (generated per render)
    are not used: the element is then named by tag and position."""
    tag = str(element.tag)
    for attribute in _KEYED_BY.get(tag, ()):
        value = element.get(attribute)
        if _usable(value, digits=True):
            return f"{tag}[{attribute}={value}]"
    if _usable(element.get("id"), digits=False):
        return f"{tag}#{element.get('id')}"
    for name in sorted((element.get("class") or "").split()):
        if _usable(name, digits=False):
            return f"{tag}.{name}"
    return tag


def _usable(value: str | None, digits: bool) -> bool:
    if not value or len(value) > _MAX_NAME or any(c.isspace() for c in value):
        return False
    if not digits and any(c.isdigit() for c in value):
        return False
    return opaque_shape(value) is None


def facts(element: Any, location: str) -> dict[str, str]:
    """location -> value for the element's own text (or content digest) and attributes."""
    found = {}
    text = _digest(element) if element.tag in HASHED else own_text(element)
    if text:
        found[location] = text
    for name, value in _attributes(element):
        found[f"{location}.@{name}"] = value
    return found


def own_text(element: Any) -> str:
    """The element's text outside its child elements, whitespace collapsed."""
    parts = [element.text or ""] + [c.tail or "" for c in element]
    return " ".join(" ".join(parts).split())


def _attributes(element: Any) -> Iterator[tuple[str, str]]:
    for name, value in sorted(element.items()):
        name = str(name).lower()
        if name == "xmlns" or name.startswith("xmlns:"):
            continue  # XHTML's namespace declarations: the same page as HTML
        if name == "class":
            value = " ".join(sorted(set(value.split())))
        elif name in _BOOLEAN and value.lower() in ("", name):
            value = ""  # `checked`, `checked=""` and `checked="checked"` alike
        elif name == "style":
            value = " ".join(value.split())
        yield name, str(value)


def _digest(element: Any) -> str:
    # The content only: the element's own attributes (a `nonce`, a `src`) are facts of
    # their own, so a fresh nonce is judged as a token, not as another script.
    content = " ".join(_content(element))
    if not content:
        return ""
    digest = hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{len(content)} characters, sha256 {digest}"


def _content(element: Any) -> Iterator[str]:
    yield from (element.text or "").split()
    for child in element.iterdescendants():
        if isinstance(child.tag, str):
            attributes = " ".join(f'{n}="{v}"' for n, v in _attributes(child))
            yield f"<{child.tag} {attributes}>"
            yield from (child.text or "").split()
        yield from (child.tail or "").split()


def shown(element: Any) -> str:
    """A short rendering of an element for a reader: `<a href="/x">Home</a>`, children too."""
    if element.tag in HASHED:
        attributes = "".join(f' {n}="{v}"' for n, v in _attributes(element))
        rendered = f"<{element.tag}{attributes}>{_digest(element)}</{element.tag}>"
    else:
        markup = etree.tostring(element, method="html", encoding="unicode", with_tail=False)
        rendered = _BETWEEN_TAGS.sub("><", " ".join(markup.split()))
    return rendered if len(rendered) <= _SHOWN else rendered[: _SHOWN - 3] + "..."
