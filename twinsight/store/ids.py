"""Time-ordered unique ids (UUIDv7, RFC 9562) for exchanges."""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from datetime import datetime

__all__ = ["new_id", "session_label", "stable_id"]

_TAIL = (1 << 62) - 1
_START = 1 << 61
"""A tick's first tail is drawn below this: at least 2^61 ids fit in one tick after it."""


class _Sequence:
    """Where new ids come from in this process: a time tick and a 62-bit tail per id.

    The tail is drawn from a generator seeded once from os.urandom (a syscall per id
    gave the GIL away on the proxy's loop, to the writer thread) and counts up while the
    clock stays in one tick (RFC 9562 method 2): a process never makes the same id twice
    and its ids only ever go up. After a fork the child seeds afresh and draws a new
    tail, or it would count on from its parent's and make the same ids in the same tick.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seed()

    def _seed(self) -> None:
        self._random = random.Random(os.urandom(32))
        self._tick = -1  # the next id draws its tail
        self._tail = 0

    def reseed(self) -> None:
        """Seed afresh (a forked child must not count on from its parent's tail)."""
        self._lock = threading.Lock()  # a parent's thread may have held it at the fork
        self._seed()

    def next(self, nanos: int) -> tuple[int, int]:
        """(tick, tail) of a new id made at `nanos`: above every earlier one of this process."""
        millis, sub = divmod(nanos, 1_000_000)
        # RFC 9562 method 3: 12 bits after the milliseconds hold the sub-millisecond fraction.
        tick = (millis << 12) | (sub * 4096 // 1_000_000)
        with self._lock:
            if tick > self._tick:
                self._tick, self._tail = tick, self._random.getrandbits(61)
            elif self._tail < _TAIL:
                self._tail += 1  # the same tick, or the clock went back: count on
            else:
                self._tick, self._tail = self._tick + 1, self._random.getrandbits(61)
            return self._tick, self._tail


_SEQUENCE = _Sequence()
os.register_at_fork(after_in_child=_SEQUENCE.reseed)
_now = time.time_ns


def new_id() -> str:
    """A UUIDv7 string: sorts by creation time to about a quarter microsecond, and within
    one process strictly by creation."""
    tick, tail = _SEQUENCE.next(_now())
    return _format(tick, tail)


def stable_id(ts: datetime, key: str) -> str:
    """The UUIDv7 of something recorded at `ts` and named by `key` (the same input, the same
    id), so importing or replaying a file twice recognises what it has seen."""
    nanos = int(ts.timestamp() * 1_000_000) * 1000
    millis, sub = divmod(max(nanos, 0), 1_000_000)
    tail = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8]) & _TAIL
    return _format((millis << 12) | (sub * 4096 // 1_000_000), tail)


def session_label(session: str) -> str:
    """A short name for a session in messages: an unkeyed hash, since a session key can
    be a header's value (a credential); the same for the same session everywhere."""
    return "s-" + hashlib.blake2b(session.encode(), digest_size=4).hexdigest()


def _format(tick: int, tail: int) -> str:
    """The UUID text of 48 bits of milliseconds and 12 of fraction (`tick`), version 7,
    variant 10, and 62 bits of `tail`."""
    millis, fraction = tick >> 12, tick & 0xFFF
    value = ((millis & ((1 << 48) - 1)) << 80) | (0x7 << 76) | (fraction << 64) | (0b10 << 62)
    text = f"{value | tail:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
