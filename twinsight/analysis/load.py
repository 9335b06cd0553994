"""Reading exchanges for analysis: each request with its targets' answers as `Message`s."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from twinsight.config import NormalizeRule
from twinsight.spec import Spec
from twinsight.spec.inputs import RequestView
from twinsight.store import Store, StoredAnswer, StoredExchange
from twinsight.store.partitions import exchange_count

from .comparable import Replayed
from .diff import Message
from .progress import tracked
from .rules import Rule

__all__ = ["Stored", "read_exchanges", "replays_of", "rules_from", "stored_of"]


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
    replayed: Replayed | None = None
    """For a replay some target refused: the recording's status and the replay's notes."""


def read_exchanges(
    store: Store,
    *,
    only_new: bool = False,
    unread: bool = False,
    replayed: Mapping[str, Replayed] | None = None,
    targets: Collection[str] | None = None,
    progress: str = "",
) -> Iterator[Stored]:
    """Every answered exchange of `store`; `only_new`: those no earlier analysis classified;
    `unread`: those the evidence it kept does not cover; `replayed`: what the store knows
    of refused replays, by id (see `replays_of`);
    `targets`: only those targets' answers; `progress`: the pass told as they are read
    (`progress.tracked`)."""
    known = replayed or {}
    rows: Iterable[StoredExchange] = store.exchanges(
        only_new=only_new, unread=unread, targets=targets
    )
    if progress:
        rows = tracked(
            progress, rows, partial(exchange_count, store, only_new=only_new, unread=unread)
        )
    for row in rows:
        found = stored_of(row)
        yield replace(found, replayed=known[found.id]) if found.id in known else found


def replays_of(rows: Mapping[str, tuple[int | None, tuple[str, ...]]]) -> dict[str, Replayed]:
    """Refused replays as analysis reads them, from the store's (recorded status, notes) by
    exchange id (`Store.comparability`)."""
    return {id_: Replayed(status, notes) for id_, (status, notes) in rows.items()}


def stored_of(row: StoredExchange) -> Stored:
    """A stored row as analysis reads it."""
    query = row.query or ""
    # Scenario bindings name methods in upper case; the stored method keeps its case.
    method = row.method.upper()
    request = RequestView.of(method, row.path, query, row.headers or (), row.body or b"")
    received = row.ts.timestamp() if row.ts is not None else None
    answers = {a.target: _message(a, received) for a in row.answers}
    return Stored(row.id, request, query, answers, row.source, row.session, row.ts)


def _message(answer: StoredAnswer, received: float | None = None) -> Message:
    """`answer` as compared; its window opens when its request left for the target, if
    recorded (a mirror may wait for ordering, an id or a connection), else at `received`."""
    sent_at = answer.sent_at if answer.sent_at is not None else received
    return Message(
        status=answer.status,
        headers=answer.headers or (),
        body=answer.body or b"",
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
