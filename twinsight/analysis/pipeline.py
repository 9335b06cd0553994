"""Judging a stream of stored exchanges: every candidate against the legacy, and what is
found over all exchanges beforehand: the replica's statistical noise, where the legacy
serves sets in random order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from twinsight.events import ExchangeJudged
from twinsight.records import PRIMARY_TARGET, REPLICA_TARGET

from .diff import NOT_JSON
from .endpoints import Endpoints
from .judge import Judge, Judgement
from .load import Stored
from .noise import NoiseThresholds, real_locations
from .order import UnstableOrder, request_identity, unstable_order

__all__ = [
    "NOT_CANDIDATES",
    "NOT_SENT",
    "JudgedExchange",
    "judge_stream",
    "judged_event",
    "legacy_order",
    "statistical_noise",
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
        endpoint = endpoints.of(stored.request.method, stored.request.path)
        replica = stored.answers.get(REPLICA_TARGET)
        for name, answer in stored.answers.items():
            if answer.error in NOT_SENT:
                left_out[NOT_SENT[answer.error]] += 1
            elif name not in NOT_CANDIDATES:
                judgement = judge.judge(
                    stored.request,
                    legacy,
                    answer,
                    replica,
                    candidate_name=name,
                    endpoint=endpoint,
                )
                yield JudgedExchange(stored, endpoint, name, judgement)


def statistical_noise(
    results: Iterable[JudgedExchange], thresholds: NoiseThresholds
) -> frozenset[tuple[str, str]]:
    """Locations the replica differs at about as often as the candidate (Diffy's test)."""
    raw: Counter[tuple[str, str]] = Counter()
    noise: Counter[tuple[str, str]] = Counter()
    totals: Counter[str] = Counter()
    for stored, endpoint, _, judgement in results:
        if REPLICA_TARGET not in stored.answers:
            continue
        totals[endpoint] += 1
        noise.update((endpoint, group) for group in judgement.replica_groups)
        raw.update(
            {(endpoint, j.difference.group) for j in judgement.differences if j.accepted is None}
        )
    if not totals:
        return frozenset()
    observed = {k for k in raw if k[0] in totals}
    return frozenset(observed - real_locations(raw, noise, totals, thresholds))


def legacy_order(exchanges: Iterable[Stored], endpoints: Endpoints) -> UnstableOrder:
    """Where the legacy answered a request and its repeat with one set in several orders."""

    def answers() -> Iterator[tuple[str, bytes, Any]]:
        for stored in exchanges:
            legacy = stored.answers.get(PRIMARY_TARGET)
            # Without an array in the bytes there is nothing to parse for.
            if legacy is None or legacy.error is not None or b"[" not in legacy.body:
                continue
            document, request = legacy.document, stored.request
            if document is not NOT_JSON:
                method, path = request.method, request.path
                identity = request_identity(method, path, stored.query, request.body)
                yield endpoints.of(method, path), identity, document

    return unstable_order(answers())


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
