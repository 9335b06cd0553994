"""A HAR `text` as the body it stands for, streamed into what the store keeps.

HAR holds bodies as text: base64 (`encoding: base64`) or the decoded characters,
to be encoded again in the charset the `mimeType` names. A long text comes as a
spill file (see `jsonstream`): it is decoded a piece at a time into a
`BodyAccumulator`, so only the first `max_body` bytes, the size and the hash are
ever held.
"""

from __future__ import annotations

import binascii
import codecs
import re
from collections.abc import Iterable
from typing import Any

from twinsight.records import Body, BodyAccumulator

from .jsonstream import LongStrings, spilled_text

__all__ = ["har_body"]

_CHARSET = re.compile(r"charset=\"?([\w.:-]+)", re.I)
_BASE64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")


def har_body(part: Any, *, max_body: int, strings: LongStrings) -> Body:
    """The body a HAR `postData` or `content` object stands for (ValueError if its base64 is
    invalid)."""
    text, encoding, mime_type = part.get("text"), part.get("encoding"), part.get("mimeType")
    if not text:
        return Body()
    found = _CHARSET.search(mime_type) if isinstance(mime_type, str) else None
    charset = found.group(1) if found else "utf-8"
    spill = strings.spilled(text)
    if spill is None:
        return Body.of(_whole(str(text), encoding == "base64", charset), max_body)
    if encoding == "base64":
        return _base64(spilled_text(spill), max_body)
    try:
        return _encoded(spilled_text(spill), charset, max_body)
    except (LookupError, UnicodeEncodeError):
        return _encoded(spilled_text(spill), "utf-8", max_body)


def _whole(text: str, base64: bool, charset: str) -> bytes:
    """The bytes of a text held whole: the same as the pieces of a spilled one give."""
    if base64:
        return binascii.a2b_base64(_valid_base64(text.encode("ascii", "replace")))
    try:
        return text.encode(charset)
    except (LookupError, UnicodeEncodeError):
        return text.encode()  # an unknown charset, or one that cannot hold the text


def _valid_base64(data: bytes) -> bytes:
    if len(data) % 4:
        raise binascii.Error("Incorrect padding")
    if not _BASE64.fullmatch(data):
        raise binascii.Error("Non-base64 digit found")
    return data


def _encoded(pieces: Iterable[str], charset: str, max_body: int) -> Body:
    encoder = codecs.getincrementalencoder(charset)()
    body = BodyAccumulator(max_body)
    for piece in pieces:
        body.add(encoder.encode(piece))
    body.add(encoder.encode("", final=True))
    return body.body()


def _base64(pieces: Iterable[str], max_body: int) -> Body:
    body = BodyAccumulator(max_body)
    held = b""
    padded = False
    for piece in pieces:
        data = held + piece.encode("ascii", "replace")  # "?" is no base64 digit
        whole = len(data) - len(data) % 4
        held = data[whole:]
        if not whole:
            continue
        if padded:
            raise binascii.Error("Non-base64 digit found")
        body.add(binascii.a2b_base64(_valid_base64(data[:whole])))
        padded = data[whole - 1] == ord("=")
    _valid_base64(held)
    return body.body()
