"""SOAP faults: an XML answer that is an error, whatever its HTTP status says."""

from __future__ import annotations

from typing import Any

from .xmlparse import Unparseable, is_xml_type, looks_like_xml, parse_xml

__all__ = ["SOAP_11", "SOAP_12", "body_fault", "soap_fault"]

SOAP_11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_12 = "http://www.w3.org/2003/05/soap-envelope"


def soap_fault(document: Any) -> str | None:
    """`faultcode: faultstring` (SOAP 1.1) or `Code: Reason` (SOAP 1.2) of a parsed root
    element that is a SOAP fault; None for any other document."""
    for namespace in (SOAP_11, SOAP_12):
        if document.tag == f"{{{namespace}}}Envelope":
            fault = document.find(f"{{{namespace}}}Body/{{{namespace}}}Fault")
            if fault is None:
                return None
            return _fault_11(fault) if namespace == SOAP_11 else _fault_12(fault, namespace)
    return None


def _fault_11(fault: Any) -> str:
    # faultcode and faultstring are unqualified in SOAP 1.1; some servers qualify them.
    code = fault.findtext("faultcode") or fault.findtext("{*}faultcode") or ""
    reason = fault.findtext("faultstring") or fault.findtext("{*}faultstring") or ""
    return _joined(code, reason)


def _fault_12(fault: Any, ns: str) -> str:
    code = fault.findtext(f"{{{ns}}}Code/{{{ns}}}Value") or ""
    reason = fault.findtext(f"{{{ns}}}Reason/{{{ns}}}Text") or ""
    return _joined(code, reason)


def _joined(code: str, reason: str) -> str:
    parts = [p.strip() for p in (code, reason) if p and p.strip()]
    return ": ".join(parts) or "SOAP fault"


def body_fault(body: bytes, content_type: str | None) -> str | None:
    """The SOAP fault a response body carries, if it is one (cheap for every other body)."""
    if b"Fault" not in body or not (is_xml_type(content_type) or looks_like_xml(body)):
        return None
    root = parse_xml(body)
    return None if isinstance(root, Unparseable) else soap_fault(root)
