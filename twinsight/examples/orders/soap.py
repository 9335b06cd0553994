"""SOAP 1.1 on the wire: reading a call, wrapping an answer or a fault in an envelope.

Every answer carries per-answer noise, the same on both services: a fresh
`requestId` (a UUID) in the SOAP header and a random `nonce` attribute on the
element the body answers with.
"""

from __future__ import annotations

import secrets
import uuid
import xml.etree.ElementTree as ET

from .model import Refused
from .xmlwrite import split

__all__ = [
    "CUSTOMERS",
    "ORDERS",
    "SOAP",
    "child",
    "envelope",
    "fault",
    "noisy",
    "parse_call",
    "request_id",
    "text_of",
]

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
ORDERS = "urn:example:orders"
CUSTOMERS = "urn:example:customers"


def child(parent: ET.Element, namespace: str, name: str, text: str | None = None) -> ET.Element:
    """A new element `{namespace}name` under `parent`, holding `text` if given."""
    element = ET.SubElement(parent, f"{{{namespace}}}{name}" if namespace else name)
    element.text = text
    return element


def noisy(namespace: str, name: str) -> ET.Element:
    """An answer's outer element, with its fresh `nonce` attribute."""
    return ET.Element(f"{{{namespace}}}{name}", {"nonce": secrets.token_urlsafe(12)})


def request_id() -> str:
    """A fresh id for one answer."""
    return str(uuid.uuid4())


def envelope(payload: ET.Element) -> ET.Element:
    """`payload` in a SOAP envelope whose header carries the answer's `requestId`."""
    root = ET.Element(f"{{{SOAP}}}Envelope")
    header = child(root, SOAP, "Header")
    child(header, ORDERS, "requestId", request_id())
    child(root, SOAP, "Body").append(payload)
    return root


def fault(refused: Refused) -> ET.Element:
    """A SOAP 1.1 client fault saying why a call was refused."""
    element = ET.Element(f"{{{SOAP}}}Fault")
    child(element, "", "faultcode", "soap:Client")
    child(element, "", "faultstring", refused.message)
    detail = child(element, "", "detail")
    reason = ET.SubElement(detail, f"{{{ORDERS}}}fault", {"nonce": secrets.token_urlsafe(12)})
    child(reason, ORDERS, "code", refused.code)
    return element


def parse_call(raw: bytes, action: str | None) -> tuple[str, ET.Element]:
    """The operation a SOAP call names and its payload element; `Refused` if it is not one."""
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise Refused("MALFORMED", "Document type declarations are not accepted")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        raise Refused("MALFORMED", "The request is not well-formed XML") from None
    body = root.find(f"{{{SOAP}}}Body") if root.tag == f"{{{SOAP}}}Envelope" else None
    payload = next(iter(body), None) if body is not None else None
    if payload is None:
        raise Refused("MALFORMED", "Not a SOAP 1.1 envelope with a body")
    namespace, operation = split(payload.tag)
    named = (action or "").strip().strip('"').rsplit("/", 1)[-1]
    if named != operation:
        raise Refused("ACTION_MISMATCH", "SOAPAction does not name the operation in the body")
    if namespace != ORDERS:
        raise Refused("UNKNOWN_OPERATION", f"Unknown operation {operation}")
    return operation, payload


def text_of(payload: ET.Element, name: str) -> str:
    """The stripped text of `payload`'s first `{urn:example:orders}name` child, or `""`."""
    found = payload.find(f"{{{ORDERS}}}{name}")
    return (found.text or "").strip() if found is not None else ""
