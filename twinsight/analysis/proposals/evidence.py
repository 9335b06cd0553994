"""What a proposal is made from: a cluster, a few of its exchanges, and what came before.

Plain data, filled by the shell (`gather`) from a store and an analysis, read by the
pure builder (`build`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from twinsight.analysis.diff import Message
from twinsight.spec.inputs import RequestView

__all__ = ["Before", "Case", "Raw", "Seen"]


@dataclass(frozen=True)
class Seen:
    """One exchange of a cluster: the request and both targets' answers."""

    id: str
    request: RequestView
    legacy: Message
    candidate: Message
    session: str | None = None
    started_at: datetime | None = None
    raw: Raw | None = None  # the request as sent, to send again


@dataclass(frozen=True)
class Raw:
    """A request as it was sent: the query and body unparsed, every header."""

    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool = False  # the store kept only the start of the body


@dataclass(frozen=True)
class Before:
    """An earlier request of the same session on the same resource (a precondition)."""

    method: str
    endpoint: str  # `METHOD /template`
    status: int | None
    features: frozenset[str] = frozenset()
    created: bool = False  # the request whose answer made the resource


@dataclass(frozen=True)
class Case:
    """One cluster as a proposal reads it."""

    fingerprint: str
    endpoints: tuple[str, ...]  # `METHOD /template`, most affected first
    location: str  # indexes folded to `[*]`
    kind: str
    pattern: str
    count: int
    share: float
    description: str = ""
    hypotheses: tuple[str, ...] = ()
    followers: tuple[tuple[str, str], ...] = ()  # (location, kind) always differing with it
    features: frozenset[str] = frozenset()  # every clustered request shows them, not all others
    examples: tuple[Seen, ...] = ()
    before: tuple[Before, ...] = ()  # for the first example
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    classifications: frozenset[str] = field(default_factory=frozenset)
