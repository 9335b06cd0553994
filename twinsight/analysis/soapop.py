"""The SOAP operation a request calls: every call is `POST /soap`, the operation tells
them apart (`POST /soap CreateOrder`).

From the `SOAPAction` header (quotes and the URI before its last `/`, `#` or `:` part
dropped), else from the first element in the SOAP Body of the request, read from the body
as expressions see it (a nested map, `spec.xmlmap`) or, as text, with a parser that
resolves no entity, loads no DTD and fetches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lxml import etree

__all__ = ["soap_operation"]

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
)
_LAST_PART = re.compile(r"[^/#:]+$")
_NAME = re.compile(r"^[A-Za-z_][\w.-]{0,99}$")


def soap_operation(headers: Mapping[str, str], body: Any) -> str:
    """The operation a SOAP request calls; "" when it is no SOAP call (or names none)."""
    action = headers.get("soapaction", "").strip().strip('"').strip()
    found = _LAST_PART.search(action.rstrip("/#"))
    if found is not None and _NAME.match(found.group()):
        return found.group()
    if "envelope" not in headers.get("content-type", "").lower() and not _is_envelope(body):
        return ""
    return _first_in_body(body)


def _is_envelope(body: Any) -> bool:
    if isinstance(body, dict):
        return len(body) == 1 and _local(next(iter(body))) == "Envelope"
    return isinstance(body, str) and "Envelope" in body[:500]


def _first_in_body(body: Any) -> str:
    """The local name of the first element in `Envelope/Body`; "" without one."""
    if isinstance(body, dict):
        envelope = next(iter(body.values()), None)
        inner = _child(envelope, "Body")
        names = (
            [k for k in inner if not k.startswith(("@", "#"))] if isinstance(inner, dict) else []
        )
        return _local(names[0]) if names else ""
    if isinstance(body, str):
        return _first_in_text(body)
    return ""


def _child(node: Any, name: str) -> Any:
    if not isinstance(node, dict):
        return None
    return next((v for k, v in node.items() if _local(k) == name), None)


def _first_in_text(text: str) -> str:
    try:
        root = etree.fromstring(text.encode(), _PARSER)
    except (etree.LxmlError, ValueError, TypeError):
        return ""
    if root is None or root.getroottree().docinfo.internalDTD is not None:
        return ""
    for part in root:
        if isinstance(part.tag, str) and _local(part.tag) == "Body":
            first = next((c for c in part if isinstance(c.tag, str)), None)
            return _local(first.tag) if first is not None else ""
    return ""


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]
