"""The shell around proposals: a cluster's exchanges, and what their sessions did before,
read from the store as `Case`s."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from twinsight.analysis.cluster_members import FIRST_KEPT
from twinsight.analysis.clusters import Cluster
from twinsight.analysis.load import Stored, stored_of
from twinsight.records import PRIMARY_TARGET, is_finding_session
from twinsight.store import Store, StoredExchange

from .evidence import Before, Case, Raw, Seen
from .inputs import path_params

__all__ = ["EXAMPLES", "cases_of"]

EXAMPLES = FIRST_KEPT
"""Exchanges of a cluster a proposal is built and checked on (the earliest ones: as many
as a cluster keeps)."""
BEFORE = 200
"""Earlier exchanges of the first example's session looked through for preconditions."""

NameOf = Callable[[str, str], str]
"""(method, path) -> the endpoint (`METHOD /template`) analysis names it."""


def cases_of(
    clusters: Iterable[Cluster], store: Store, candidate: str, name_of: NameOf
) -> list[Case]:
    """Each cluster of real differences as a `Case`, its examples read from `store`."""
    real = [c for c in clusters if not c.noise and c.count]
    # Exchanges of explore's findings (sent once more on sessions of their own) among them.
    wanted = {i for c in real for i in (*c.members.first, c.members.last, *c.findings) if i}
    stored = {row.id: _read(row) for row in store.exchanges(ids=wanted)}
    cases = []
    for c in real:
        # A shrunk explore finding is the smallest story of the cluster: it goes first, and
        # its session's steps become the scenario's preconditions.
        first = c.members.first[:EXAMPLES]
        chosen = dict.fromkeys([*sorted(c.findings), *first])
        examples = [
            seen for i in list(chosen)[:EXAMPLES] if (seen := _seen(stored.get(i), candidate))
        ]
        endpoints = tuple(e for e, _, _ in c.endpoints)
        cases.append(
            Case(
                fingerprint=c.fingerprint,
                endpoints=endpoints,
                location=c.location,
                kind=c.kind,
                pattern=c.pattern,
                count=c.count,
                share=c.share,
                description=c.description,
                hypotheses=tuple(c.hypotheses),
                followers=tuple(map(_follower, c.followers)),
                features=_defining(c),
                examples=tuple(examples),
                before=_before(store, examples[0], endpoints, name_of) if examples else (),
                first_seen=_started(stored.get(c.members.first[0])),
                last_seen=_started(stored.get(c.members.last or c.members.first[0])),
            )
        )
    return cases


def _read(row: StoredExchange) -> tuple[Stored, Raw]:
    return stored_of(row), Raw(row.query or "", row.headers or (), row.body or b"", row.truncated)


def _follower(text: str) -> tuple[str, str]:
    """`body.count (changed)`, as clusters list followers, as (location, kind)."""
    location, _, kind = text.rpartition(" (")
    return (location, kind.removesuffix(")")) if location else (text, "")


def _started(read: tuple[Stored, Raw] | None) -> datetime | None:
    return read[0].started_at if read else None


def _seen(read: tuple[Stored, Raw] | None, candidate: str) -> Seen | None:
    if read is None:
        return None
    stored, raw = read
    if PRIMARY_TARGET not in stored.answers or candidate not in stored.answers:
        return None
    legacy, other = stored.answers[PRIMARY_TARGET], stored.answers[candidate]
    return Seen(stored.id, stored.request, legacy, other, stored.session, stored.started_at, raw)


def _defining(c: Cluster) -> frozenset[str]:
    """Request features every clustered exchange shows, and not every one of its endpoints."""
    return frozenset(
        f for f, n in c.features.items() if n == c.count and c.endpoint_features[f] > n
    )


def _before(
    store: Store, example: Seen, endpoints: Sequence[str], name_of: NameOf
) -> tuple[Before, ...]:
    """Earlier requests of the example's session on the resource its path names."""
    values = _resource_ids(example, endpoints)
    whole = is_finding_session(example.session)
    if example.session is None or not (values or whole):
        return ()
    earlier: deque[Stored] = deque(maxlen=BEFORE)
    for row in store.exchanges(sessions=[example.session]):
        if row.id >= example.id:
            break
        earlier.append(stored_of(row))
    found = []
    for stored in earlier:
        legacy = stored.answers.get(PRIMARY_TARGET)
        status = legacy.status if legacy else None
        endpoint = name_of(stored.request.method, stored.request.path)
        segments = set(stored.request.path.split("/"))
        if legacy is not None and _created(legacy.document, legacy.header("location"), values):
            found.append(Before(stored.request.method, endpoint, status, created=True))
        elif whole or segments & values:
            found.append(Before(stored.request.method, endpoint, status))
    return tuple(found)


def _resource_ids(example: Seen, endpoints: Sequence[str]) -> set[str]:
    for endpoint in endpoints:
        method, _, template = endpoint.partition(" ")
        if method == example.request.method and template:
            params = path_params(template, example.request.path)
            if params:
                return set(params.values())
    return set()


def _created(document: object, location: str | None, values: set[str]) -> bool:
    if location and location.rstrip("/").rsplit("/", 1)[-1] in values:
        return True
    return isinstance(document, dict) and str(document.get("id")) in values
