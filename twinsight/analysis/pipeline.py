"""Judging a stream of stored exchanges: every candidate against the legacy, and what is
found over all exchanges beforehand: the replica's statistical noise, where the legacy
serves sets in random order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from twinsight.events import ExchangeJudged
from twinsight.records import PRIMARY_TARGET, REPLICA_TARGET

from .bodies.fieldstrings import field_lists
from .bodies.locations import unindexed
from .bodies.xmlorder import xml_lists
from .diff import NOT_JSON, Message
from .endpoints import Endpoints
from .inference import TokenEvidence
from .judge import Judge, Judgement, ReplicaView
from .kept_fact import Fact
from .load import Stored
from .noise import NoiseThresholds, real_locations
from .order import OrderEvidence, UnstableOrder, request_identity

__all__ = [
    "NOT_CANDIDATES",
    "NOT_SENT",
    "JudgedExchange",
    "LegacyEvidence",
    "LegacyTally",
    "ReplicaNoise",
    "ReplicaTally",
    "judge_stream",
    "judged_event",
    "replica_stream",
]

NOT_CANDIDATES = frozenset({PRIMARY_TARGET, REPLICA_TARGET})

NOT_SENT = {
    "unsent": "never sent to the candidate (no free connection within the mirror timeout)",
    "cancelled": "still in flight when the capture stopped",
}
"""Candidate errors of the capture side, not the candidate's: such pairs are not compared."""


class JudgedExchange(NamedTuple):
    """One exchange judged for one candidate."""

    stored: Stored
    endpoint: str
    candidate: str
    judgement: Judgement


def judge_stream(
    exchanges: Iterable[Stored],
    judge: Judge,
    endpoints: Endpoints,
    left_out: Counter[str] | None = None,
) -> Iterator[JudgedExchange]:
    """Each exchange judged for each candidate that answered it; `left_out` counts, by
    reason, the pairs that cannot be compared."""
    for pair in _pairs(exchanges, endpoints, left_out):
        judgement = judge.judge(
            pair.stored.request,
            pair.legacy,
            pair.candidate,
            pair.replica,
            candidate_name=pair.name,
            endpoint=pair.endpoint,
            replayed=pair.stored.replayed,
        )
        yield JudgedExchange(pair.stored, pair.endpoint, pair.name, judgement)


def replica_stream(
    exchanges: Iterable[Stored], judge: Judge, endpoints: Endpoints
) -> Iterator[tuple[str, ReplicaView]]:
    """(endpoint, what the replica's statistics count) for each pair `judge_stream` judges
    that a replica answered too."""
    for pair in _pairs(exchanges, endpoints):
        if pair.replica is not None:
            view = judge.replica_view(
                pair.stored.request,
                pair.legacy,
                pair.candidate,
                pair.replica,
                candidate_name=pair.name,
                replayed=pair.stored.replayed,
            )
            yield pair.endpoint, view


class _Pair(NamedTuple):
    stored: Stored
    endpoint: str
    name: str
    legacy: Message
    candidate: Message
    replica: Message | None


def _pairs(
    exchanges: Iterable[Stored], endpoints: Endpoints, left_out: Counter[str] | None = None
) -> Iterator[_Pair]:
    """Each exchange with each candidate that answered it, the pairs that cannot be
    compared counted in `left_out` by reason."""
    left_out = Counter() if left_out is None else left_out
    for stored in exchanges:
        legacy = stored.answers.get(PRIMARY_TARGET)
        if legacy is None:
            left_out["no legacy answer stored"] += 1
            continue
        if legacy.error == "cancelled":
            # The client left (or the capture stopped) before the legacy's answer was whole.
            left_out["the legacy's answer was cut short by the client or the shutdown"] += 1
            continue
        endpoint = endpoints.of_request(stored.request)
        replica = stored.answers.get(REPLICA_TARGET)
        for name, answer in stored.answers.items():
            if answer.error in NOT_SENT:
                left_out[NOT_SENT[answer.error]] += 1
            elif name not in NOT_CANDIDATES:
                yield _Pair(stored, endpoint, name, legacy, answer, replica)


class ReplicaNoise(NamedTuple):
    """What the replica's answers, over all exchanges, show."""

    noisy: frozenset[tuple[str, str]]
    """(endpoint, location group) the replica differs at about as often as the candidate."""
    volatile: frozenset[tuple[str, str]]
    """(endpoint, location group) where the replica changed a value or an order in at least
    one exchange it answered like the legacy (not an error, another status, a field left
    out)."""


@dataclass
class ReplicaTally:
    """What the replica's answers show over the stream (Diffy's test: `noise_of`), counted
    so parts of the stream counted in other processes add up (`merge`) to the whole."""

    raw: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(endpoint, group) -> exchanges where the candidate differs there, unaccepted."""
    noise: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(endpoint, group) -> exchanges where the replica differs there."""
    volatile: set[tuple[str, str]] = field(default_factory=set)
    totals: Counter[str] = field(default_factory=Counter)
    """endpoint -> exchanges a replica answered."""

    def add(self, views: Iterable[tuple[str, ReplicaView]]) -> None:
        """Count (endpoint, view) pairs as `replica_stream` makes them."""
        for endpoint, view in views:
            self.totals[endpoint] += 1
            self.noise.update((endpoint, group) for group in view.replica_groups)
            self.volatile.update((endpoint, group) for group in view.replica_changed)
            self.raw.update((endpoint, group) for group in view.unaccepted)

    def merge(self, other: ReplicaTally) -> None:
        """Add what `other` counted."""
        self.raw.update(other.raw)
        self.noise.update(other.noise)
        self.volatile |= other.volatile
        self.totals.update(other.totals)

    def facts(self) -> Iterator[Fact]:
        """What was counted, to keep for the next analysis (`restore` takes each back)."""
        for kind, counts in (("replica raw", self.raw), ("replica noise", self.noise)):
            for (endpoint, group), count in counts.items():
                yield (kind, endpoint, group, None, None, count)
        for endpoint, group in sorted(self.volatile):
            yield ("replica volatile", endpoint, group, None, None, None)
        for endpoint, count in self.totals.items():
            yield ("replica total", endpoint, None, None, None, count)

    def restore(self, fact: Fact) -> bool:
        """Take back one fact `facts` kept; False if it is not one of this tally's."""
        kind, endpoint, group, _, _, count = fact
        if endpoint is None or (group is None) != (kind == "replica total"):
            return False
        if kind == "replica volatile" and group is not None:
            self.volatile.add((endpoint, group))
            return True
        if count is None:
            return False
        if kind == "replica total":
            self.totals[endpoint] += count
        elif kind in ("replica raw", "replica noise") and group is not None:
            counts = self.raw if kind == "replica raw" else self.noise
            counts[(endpoint, group)] += count
        else:
            return False
        return True

    def noise_of(self, thresholds: NoiseThresholds) -> ReplicaNoise:
        """What the counts show."""
        if not self.totals:
            return ReplicaNoise(frozenset(), frozenset())
        observed = {k for k in self.raw if k[0] in self.totals}
        real = real_locations(self.raw, self.noise, self.totals, thresholds)
        return ReplicaNoise(frozenset(observed - real), frozenset(self.volatile))


class LegacyEvidence(NamedTuple):
    """What the legacy's own answers, over all exchanges, show for inferred noise."""

    unstable: UnstableOrder
    """Where it answered a request and its repeat with one set in several orders."""
    repeated: dict[str, frozenset[str]]
    """endpoint -> location groups where it served one opaque token in two exchanges."""
    lists: frozenset[str] = frozenset()
    """Paths of elements or fields it served repeated in an XML, form or line-format answer
    (indexes left out)."""


@dataclass
class LegacyTally:
    """The legacy's answers read one by one for inferred noise (`evidence`), so parts of the
    stream read in other processes add up (`merge`, in stream order) to what one pass reads."""

    order: OrderEvidence = field(default_factory=OrderEvidence)
    tokens: TokenEvidence = field(default_factory=TokenEvidence)
    lists: set[str] = field(default_factory=set)

    def add(self, exchanges: Iterable[Stored], endpoints: Endpoints) -> None:
        """Read the legacy's answers of `exchanges`."""
        order, tokens, lists = self.order, self.tokens, self.lists
        for stored in exchanges:
            legacy = stored.answers.get(PRIMARY_TARGET)
            if legacy is None or legacy.error is not None:
                continue
            request = stored.request
            endpoint = endpoints.of_request(request)
            tokens.observe(endpoint, legacy)
            # Without an array in the bytes there is nothing to look at for order.
            if b"[" in legacy.body and legacy.document is not NOT_JSON:
                identity = request_identity(
                    request.method, request.path, stored.query, request.body
                )
                order.observe(endpoint, identity, legacy.document)
            elif b"<" in legacy.body[:1024] and legacy.document is NOT_JSON:
                identity = request_identity(
                    request.method, request.path, stored.query, request.body
                )
                found = list(xml_lists(legacy.body, legacy.header("content-type")))
                order.observe_lists(endpoint, identity, found)
                lists.update(unindexed(group) for group, _ in found)
            elif legacy.document is NOT_JSON and legacy.body:
                lists.update(field_lists(legacy.body, legacy.header("content-type")))

    def merge(self, later: LegacyTally) -> None:
        """Add what `later` read from the stream after this one's part."""
        self.order.merge(later.order)
        self.tokens.merge(later.tokens)
        self.lists |= later.lists

    def facts(self) -> Iterator[Fact]:
        """What was read, to keep for the next analysis (`restore` takes each back)."""
        yield from self.order.facts()
        yield from self.tokens.facts()
        for found in sorted(self.lists):
            yield ("list", None, found, None, None, None)

    def restore(self, fact: Fact) -> bool:
        """Take back one fact `facts` kept; False if it is not one of this tally's."""
        if fact[0] == "list":
            if fact[2] is None:
                return False
            self.lists.add(fact[2])
            return True
        return self.order.restore(fact) or self.tokens.restore(fact)

    def evidence(self) -> LegacyEvidence:
        """What was read, as the judge takes it."""
        return LegacyEvidence(
            self.order.unstable(), dict(self.tokens.repeated()), frozenset(self.lists)
        )


def judged_event(result: JudgedExchange) -> ExchangeJudged:
    """What the outside world is told of one judged exchange."""
    stored, judgement = result.stored, result.judgement
    differences = tuple(
        {
            "location": j.difference.location,
            "kind": j.difference.kind,
            "legacy": j.difference.legacy,
            "candidate": j.difference.candidate,
            "noise": j.noise,
            "accepted": j.accepted,
        }
        for j in judgement.differences
    )
    return ExchangeJudged(
        id=stored.id,
        method=stored.request.method,
        path=stored.request.path,
        query=stored.query,
        endpoint=result.endpoint,
        candidate=result.candidate,
        classification=judgement.verdict.classification,
        reason=judgement.verdict.reason,
        differences=differences,
        source=stored.source,
        session=stored.session,
        started_at=stored.started_at,
    )
