"""Which bodies are HTML pages, and their parsed documents.

Pure functions. A body is HTML when its Content-Type says `text/html` or
`application/xhtml+xml` (an XHTML page is compared as a page, by what it shows, not as
XML), or without a Content-Type when it begins with `<!doctype html` or `<html`. The
parser is lxml's HTML parser: tolerant, it runs no script, fetches nothing and drops
comments and processing instructions. A body that is not text (a NUL byte, not
decodable in its declared charset, else its `<meta charset>`, else UTF-8), over
`MAX_HTML_BYTES` or nested deeper than the parser reads (256 elements) is not read as a
page: it is compared as text or bytes.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

import lxml.html
from lxml import etree

from twinsight.spec.media import media_type

__all__ = ["MAX_HTML_BYTES", "claims_html", "is_html_type", "looks_like_html", "parse_html"]

MAX_HTML_BYTES = 2 * 1024 * 1024
"""Bodies longer than this are compared as text: a page is rarely that big."""

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SNIFFED = (b"<!doctype html", b"<html")
_BOM = b"\xef\xbb\xbf"
_CHARSET = re.compile(r"charset\s*=\s*\"?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_META_SCAN = 1024
_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*>")


def is_html_type(content_type: str | None) -> bool:
    """Whether a Content-Type declares an HTML page: `text/html`, `application/xhtml+xml`."""
    return media_type(content_type) in _HTML_TYPES


def looks_like_html(body: bytes) -> bool:
    """Whether `body` begins as an HTML page does: `<!doctype html` or `<html`."""
    start = body[:64].removeprefix(_BOM).lstrip().lower()
    return start.startswith(_SNIFFED)


def claims_html(body: bytes, content_type: str | None) -> bool:
    """Whether a body is meant as a page: by its Content-Type, or without one by its start."""
    if content_type:
        return is_html_type(content_type)
    return looks_like_html(body)


def parse_html(body: bytes, content_type: str | None = None) -> Any:
    """`body`'s root `html` element (lxml), or None when it is not a page to compare as one:
    too big, not text, or nothing to parse. Never raises."""
    if len(body) > MAX_HTML_BYTES or b"\x00" in body:
        return None
    try:
        text = body.decode(_charset(content_type, body)).removeprefix("\ufeff")
        # A str may not carry an encoding declaration (XHTML's `<?xml ...?>`): it is decoded.
        text = _DECLARATION.sub("", text, count=1)
        # One parser per call: its error log is this document's alone.
        parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
        root = lxml.html.document_fromstring(text, parser=parser)
    except (UnicodeDecodeError, ValueError, etree.LxmlError):
        return None
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        return None  # nested too deep: libxml2 dropped what lies deeper, unseen it cannot differ
    return root if isinstance(root.tag, str) else None


def _charset(content_type: str | None, body: bytes) -> str:
    # The header's charset, else a `<meta charset>` near the start (as browsers read), else UTF-8.
    found = _CHARSET.search(content_type or "")
    if found is None:
        meta = _META_CHARSET.search(body[:_META_SCAN])
        name = meta.group(1).decode("ascii") if meta is not None else "utf-8"
    else:
        name = found.group(1)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"
