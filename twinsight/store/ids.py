"""Time-ordered unique ids (UUIDv7, RFC 9562) for exchanges."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from datetime import datetime

__all__ = ["new_id", "session_label", "stable_id"]


def new_id() -> str:
    """A UUIDv7 string: sorts by creation time to about a quarter microsecond."""
    return _uuid7(time.time_ns(), os.urandom(8))


def stable_id(ts: datetime, key: str) -> str:
    """The UUIDv7 of something recorded at `ts` and named by `key` (the same input, the same
    id), so importing or replaying a file twice recognises what it has seen."""
    nanos = int(ts.timestamp() * 1_000_000) * 1000
    return _uuid7(max(nanos, 0), hashlib.sha256(key.encode()).digest()[:8])


def session_label(session: str) -> str:
    """A short name for a session in messages: an unkeyed hash, since a session key can
    be a header's value (a credential); the same for the same session everywhere."""
    return "s-" + hashlib.blake2b(session.encode(), digest_size=4).hexdigest()


def _uuid7(nanos: int, random: bytes) -> str:
    millis, sub = divmod(nanos, 1_000_000)
    # RFC 9562 method 3: the 12 bits after the milliseconds hold the sub-millisecond fraction.
    fraction = sub * 4096 // 1_000_000
    tail = int.from_bytes(random) & ((1 << 62) - 1)
    value = (
        ((millis & ((1 << 48) - 1)) << 80) | (0x7 << 76) | (fraction << 64) | (0b10 << 62) | tail
    )
    return str(uuid.UUID(int=value))
