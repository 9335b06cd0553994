"""A body as expressions see it, by its Content-Type: JSON, XML and forms as maps, else text.

One function for requests and answers alike. A body declared XML (`application/xml`,
`text/xml`, `*+xml`) is the nested map of `xmlmap`; a form (`x-www-form-urlencoded`,
`multipart/form-data`) the map of `forms`; without a Content-Type a body that is not
JSON but parses as XML is read as XML. A body that does not parse as what it declares,
or is over `MAX_BYTES`, is read as before: parsed JSON, else text, else None.
"""

from __future__ import annotations

from typing import Any

import orjson

from twinsight.spec.forms import multipart_map, urlencoded_map
from twinsight.spec.media import media_type
from twinsight.spec.xmlmap import is_xml_type, xml_map

__all__ = ["MAX_BYTES", "declares_structure", "media_type", "parse_body"]

# The default `max_body` stored per message: past it, building maps for CEL would cost
# more than a check is worth (a 1 MiB XML body is ~50 ms), and it was likely cut anyway.
MAX_BYTES = 1 << 20
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


def declares_structure(content_type: str | None) -> bool:
    """Whether a Content-Type names a body read as a map other than JSON: XML or a form."""
    media = media_type(content_type)
    return media in (_FORM, _MULTIPART) or is_xml_type(media)


def parse_body(body: bytes, content_type: str | None = None) -> Any:
    """`body` as expressions see it, by `content_type`; never raises."""
    if not body:
        return None
    media = media_type(content_type)
    if len(body) <= MAX_BYTES:
        structured = _declared(body, media, content_type or "")
        if structured is not None:
            return structured
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    if (
        not media
        and len(body) <= MAX_BYTES
        and body.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"<"
    ):
        found = xml_map(body)
        if found is not None:
            return found
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def _declared(body: bytes, media: str, content_type: str) -> dict[str, Any] | None:
    if is_xml_type(media):
        return xml_map(body)
    if media == _FORM:
        return urlencoded_map(body)
    if media == _MULTIPART:
        return multipart_map(body, content_type)
    return None
