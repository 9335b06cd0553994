"""Time-ordered unique ids (UUIDv7, RFC 9562) for exchanges."""

from __future__ import annotations

import os
import time
import uuid

__all__ = ["new_id"]


def new_id() -> str:
    """A UUIDv7 string: sorts by creation time to about a quarter microsecond."""
    nanos = time.time_ns()
    millis, sub = divmod(nanos, 1_000_000)
    # RFC 9562 method 3: the 12 bits after the milliseconds hold the sub-millisecond fraction.
    fraction = sub * 4096 // 1_000_000
    tail = int.from_bytes(os.urandom(8)) & ((1 << 62) - 1)
    value = (millis << 80) | (0x7 << 76) | (fraction << 64) | (0b10 << 62) | tail
    return str(uuid.UUID(int=value))
