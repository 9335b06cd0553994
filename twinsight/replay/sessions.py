"""Which session a recorded request belongs to, and which worker process replays it."""

from __future__ import annotations

import hashlib

from multidict import CIMultiDict

from twinsight.errors import UserError
from twinsight.records import Exchange
from twinsight.store.ids import session_label
from twinsight.traffic import session_key

__all__ = ["check_sessions_by", "partition_of", "session_label", "session_of"]


def check_sessions_by(spec: str) -> str:
    """`spec` if it is `header:NAME` or `cookie:NAME`; a one-line error otherwise."""
    kind, _, name = spec.partition(":")
    if kind not in ("header", "cookie") or not name:
        raise UserError(f"--sessions-by {spec!r}: expected header:NAME or cookie:NAME")
    return spec


def session_of(exchange: Exchange, sessions_by: str | None) -> str | None:
    """The recorded session, or the one `sessions_by` names (None: the request is alone)."""
    if sessions_by is None:
        return exchange.session
    key = session_key(sessions_by, CIMultiDict(exchange.headers), None)
    return None if key.startswith("client:") else key


def partition_of(exchange: Exchange, session: str | None, partitions: int) -> int:
    """Which of `partitions` workers replays `exchange`: a whole session goes to one."""
    if partitions <= 1:
        return 0
    key = session if session is not None else exchange.id
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest()) % partitions
