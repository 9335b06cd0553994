"""The unit of capture: an exchange, one request and each target's response.

These are what producers (proxy, sink, replay, importers) hand to the store.
Bodies are kept as received (still content-encoded, at most `max_body` bytes);
the writer decodes and redacts them on its own thread, off the capture path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

__all__ = [
    "LEARNED_FROM_ANSWER",
    "PRIMARY_TARGET",
    "REPLICA_TARGET",
    "SOURCES",
    "Body",
    "BodyAccumulator",
    "Correlation",
    "ErrorKind",
    "Exchange",
    "Headers",
    "Response",
    "Source",
    "finding_session",
    "is_finding_session",
]

PRIMARY_TARGET = "legacy"
"""The target clients are answered from; every other answer is compared with its."""
REPLICA_TARGET = "replica"
"""A second copy of the legacy service: what differs between the two is noise."""

_FINDING = ":finding:"


def finding_session(run: str, number: int) -> str:
    """The session `twinsight explore` sends its `number`th shrunk finding under, once more:
    `propose` takes such a session's steps as a scenario's preconditions."""
    return f"{run}{_FINDING}{number}"


def is_finding_session(session: str | None) -> bool:
    """Whether `session` holds an explore finding's steps (see `finding_session`)."""
    return session is not None and _FINDING in session


Headers = tuple[tuple[str, str], ...]
"""Header (name, value) pairs in the order received; repeated names stay repeated."""

Source = Literal["proxy", "sink", "import", "replay", "explore", "load"]
SOURCES: tuple[Source, ...] = ("proxy", "sink", "import", "replay", "explore", "load")

ErrorKind = Literal["timeout", "refused", "reset", "cancelled", "protocol", "unsent"]
"""Why a target gave no (complete) answer: `cancelled` means still in flight at shutdown,
`unsent` queued past the timeout without getting a connection (never sent)."""


@dataclass(frozen=True, slots=True)
class Body:
    """A message body as received: at most the capture limit of it, with the full size and hash."""

    data: bytes = b""
    size: int = 0
    sha256: str = hashlib.sha256(b"").hexdigest()
    truncated: bool = False

    @classmethod
    def of(cls, data: bytes, max_bytes: int) -> Body:
        """The body `data`, kept whole when it fits in `max_bytes`."""
        return cls(
            data=data[:max_bytes],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            truncated=len(data) > max_bytes,
        )


class BodyAccumulator:
    """Keeps the first `max_bytes` of a streamed body while hashing and counting all of it."""

    __slots__ = ("_chunks", "_hash", "_kept", "_max", "_size")

    def __init__(self, max_bytes: int) -> None:
        self._max, self._kept, self._size = max_bytes, 0, 0
        self._chunks: list[bytes] = []
        self._hash = hashlib.sha256()

    def add(self, chunk: bytes) -> None:
        """Account for the next chunk of the body."""
        self._hash.update(chunk)
        self._size += len(chunk)
        room = self._max - self._kept
        if room > 0:
            kept = chunk[:room]
            self._chunks.append(kept)
            self._kept += len(kept)

    def body(self) -> Body:
        """The body seen so far."""
        return Body(
            b"".join(self._chunks), self._size, self._hash.hexdigest(), self._size > self._max
        )


@dataclass(frozen=True, slots=True)
class Response:
    """One target's answer to the exchange's request, or why there was none."""

    target: str
    status: int | None = None
    headers: Headers = ()
    body: Body = Body()
    latency_ms: float | None = None
    error: ErrorKind | None = None
    base_url: str | None = None  # where the target was reached: scheme://host[:port][/prefix]
    # When the request left for the target (after any wait for ordering, an id or a
    # connection); None when never sent or not recorded. Latency is measured from here.
    sent_at: datetime | None = None

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), if any."""
        return _first(self.headers, name)


LEARNED_FROM_ANSWER = "answer"
"""`Correlation.location` of a pair learned from the answers to a create, not yet used."""


@dataclass(frozen=True, slots=True)
class Correlation:
    """A legacy identifier and the one `target` gave the same thing, used to rewrite a request."""

    target: str
    legacy_value: str
    target_value: str
    location: str  # where the rewrite happened: path, query.NAME, body.PATH; or `answer`


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and, per target, its response."""

    id: str
    source: Source
    method: str
    path: str
    query: str = ""
    scheme: str = "http"
    host: str = ""
    headers: Headers = ()
    body: Body = Body()
    responses: tuple[Response, ...] = ()
    session: str | None = None  # what keeps a session together; stored as a keyed hash
    ts: datetime = field(default_factory=lambda: datetime.now(UTC))
    correlations: tuple[Correlation, ...] = ()
    origin: str | None = None  # the exchange this one replays
    run: str | None = None  # the replay run that sent it
    # What the replay substituted or left out (a redacted credential sent as-is, one left
    # out, one from --header); None for what was not replayed.
    replay_degraded: tuple[str, ...] | None = None

    def header(self, name: str) -> str | None:
        """The first value of request header `name` (case-insensitive), if any."""
        return _first(self.headers, name)

    def response(self, target: str) -> Response | None:
        """The response of `target`, if it was asked."""
        return next((r for r in self.responses if r.target == target), None)


def _first(headers: Headers, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)
