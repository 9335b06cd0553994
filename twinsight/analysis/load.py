"""Reading exchanges for analysis: each request with its targets' answers as `Message`s."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from twinsight.config import NormalizeRule
from twinsight.spec import Spec
from twinsight.spec.inputs import RequestView
from twinsight.store import Store, StoredAnswer, StoredExchange

from .diff import Message
from .rules import Rule

__all__ = ["Stored", "read_exchanges", "rules_from", "stored_of"]


@dataclass(frozen=True)
class Stored:
    """One stored exchange as analysis reads it."""

    id: str
    request: RequestView
    query: str
    answers: dict[str, Message]
    source: str | None = None
    session: str | None = None
    started_at: datetime | None = None


def read_exchanges(store: Store, *, only_new: bool = False) -> Iterator[Stored]:
    """Every answered exchange of `store`; `only_new`: those no earlier analysis classified."""
    for row in store.exchanges(only_new=only_new):
        yield stored_of(row)


def stored_of(row: StoredExchange) -> Stored:
    """A stored row as analysis reads it."""
    query = row.query or ""
    pairs = tuple((h["name"], h["value"]) for h in row.headers or ())
    # Scenario bindings name methods in upper case; the stored method keeps its case.
    method = row.method.upper()
    request = RequestView.of(method, row.path, query, pairs, bytes(row.body or b""))
    received = row.ts.timestamp() if row.ts is not None else None
    answers = {a.target: _message(a, received) for a in row.answers}
    return Stored(row.id, request, query, answers, row.source, row.session, row.ts)


def _message(answer: StoredAnswer, received: float | None = None) -> Message:
    """`answer` as compared; its window opens when its request left for the target, if
    recorded (a mirror may wait for ordering, an id or a connection), else at `received`."""
    sent_at = answer.sent_at.timestamp() if answer.sent_at is not None else received
    return Message(
        status=answer.status,
        headers=tuple((h["name"], h["value"]) for h in answer.headers or ()),
        body=bytes(answer.body or b""),
        truncated=bool(answer.truncated),
        sha256=answer.sha256 or "",
        size=int(answer.size or 0),
        error=answer.error,
        latency_ms=answer.latency_ms,
        sent_at=sent_at,
    )


def rules_from(normalize: Sequence[NormalizeRule], spec: Spec | None) -> list[Rule]:
    """The config's normalization rules (noise) and the spec's accepted ones (explained)."""
    rules = [
        Rule.parse(r.where, compare=r.compare, tolerance=r.tolerance, pattern=r.pattern, why=r.why)
        for r in normalize
    ]
    if spec is not None:
        rules += [Rule.parse(a.where, origin="accepted", why=a.why) for a in spec.accepted]
    return rules
