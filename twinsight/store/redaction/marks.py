"""What is stored instead of a secret: a keyed marker, or nothing for a body that may hide one."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import Any

import orjson

__all__ = ["KEY_ENV", "MARKER", "WITHHELD", "Marker", "Withhold", "hideable", "is_marker"]

KEY_ENV = "TWINSIGHT_REDACTION_KEY"
WITHHELD = b""
"""What is stored for a body that may hold a secret redaction cannot locate: nothing."""
MARKER = re.compile(r"<redacted:[0-9a-f]{16}>")


class Withhold(Exception):
    """A secret may be in this body and cannot be located."""


class Marker:
    """Keyed markers: equal secrets, equal markers, within one key."""

    def __init__(self, key: bytes | None = None) -> None:
        env_key = os.environ.get(KEY_ENV, "")
        self._key = key or (env_key.encode() if env_key else os.urandom(32))

    def fingerprint(self, value: bytes) -> str:
        """A keyed hash of `value` (16 hex digits): equal values, equal fingerprints."""
        return hmac.new(self._key, value, hashlib.sha256).hexdigest()[:16]

    def mark(self, secret: str) -> str:
        """The stored stand-in for `secret`."""
        return f"<redacted:{self.fingerprint(secret.encode('utf-8', 'surrogatepass'))}>"

    def mark_bytes(self, secret: bytes) -> bytes:
        """The stored stand-in for `secret`, as bytes."""
        return f"<redacted:{self.fingerprint(secret)}>".encode()

    def mark_json(self, value: Any) -> str:
        """The stand-in for a JSON value: hashed as JSON text, so 1234 and "1234" differ."""
        return self.mark(orjson.dumps(value).decode())

    def hide(self, value: str) -> str:
        """`value` replaced by its marker, unless it is a marker already."""
        return value if MARKER.fullmatch(value) else self.mark(value)


def hideable(value: Any) -> bool:
    """Null, booleans, "" and markers hold no secret and show whether one was sent: kept."""
    if value is None or isinstance(value, bool) or value == "":
        return False
    return not (isinstance(value, str) and MARKER.fullmatch(value))


def is_marker(value: bytes) -> bool:
    """Whether `value` is a marker already."""
    return len(value) == 27 and MARKER.fullmatch(value.decode("latin-1")) is not None
