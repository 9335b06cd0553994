"""Clusters: differences grouped by cause, described in words, with likely causes.

A cause's fingerprint is (location group, kind, value pattern), whatever the endpoint:
a header dropped on every endpoint is one cluster ("on 30 of 30 endpoints"), which keeps
its exchanges per endpoint. Locations that always differ in the same exchanges are
linked: the most frequent is the root, the others its followers, so one cause shows as
one cluster. Inferred noise (a reason starting `inferred:`) is clustered apart, so a
reviewer sees what was assumed, and ranked below every real difference. Detectors are
small pure functions from what is true of a cluster's pairs (`PairFacts`, folded as they
come: a cluster holds a few of its exchange ids and a digest of all, `Members`, not every
pair) to a hypothesis; adding one is adding a function to `DETECTORS`, and a fact to
`PairFacts` when it asks a new one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .cluster_facts import Examples, PairFacts
from .cluster_members import FIRST_KEPT, Members, id_digest
from .diff import Difference
from .features import FEATURES
from .fingerprint import CauseKey, fingerprints
from .inference_values import time_of
from .shapes import json_type

__all__ = [
    "DETECTORS",
    "INFERRED",
    "SEVERAL",
    "Cluster",
    "Clustering",
    "Observation",
    "cluster",
    "ranking",
    "value_pattern",
]

INFERRED = "inferred:"
"""How the reason of inferred noise starts: such differences are clustered, apart."""
SEVERAL = "*"
"""A cluster's `endpoint` when it spans several endpoints (its `endpoints` list them)."""
LOW_SEVERITY = frozenset({"order"})
"""Kinds ranked below the other real differences: the same items, in another order."""


@dataclass(frozen=True)
class Observation:
    """One difference of one exchange: real, or inferred noise (`noise` says why)."""

    exchange_id: str
    endpoint: str
    difference: Difference
    features: frozenset[str] = frozenset()  # of the request: `features.request_features`
    noise: str = ""
    finding: bool = False  # the exchange is one of explore's findings, sent again


@dataclass
class Cluster:
    """Differences with one cause, on one or more endpoints, and what they probably mean."""

    endpoint: str  # the one endpoint, or SEVERAL
    location: str
    kind: str
    pattern: str
    members: Members = field(default_factory=Members)  # its exchanges
    examples: list[Difference] = field(default_factory=list)
    share: float = 0.0  # of the exchanges of the endpoints it is on
    followers: list[str] = field(default_factory=list)
    description: str = ""
    hypotheses: list[str] = field(default_factory=list)
    features: Counter[str] = field(default_factory=Counter)  # clustered requests per feature
    endpoint_features: Counter[str] = field(default_factory=Counter)  # all of its endpoints'
    endpoint_total: int = 0  # exchanges of the endpoints it is on
    by_endpoint: dict[str, Members] = field(default_factory=dict)  # endpoint -> its exchanges
    findings: list[str] = field(default_factory=list)  # its exchanges among explore's findings
    endpoint_totals: dict[str, int] = field(default_factory=dict)  # of the endpoints it is on
    of_endpoints: int = 0  # endpoints analysed
    noise: str = ""  # the inferred-noise reason; empty for a real difference
    fingerprint: str = ""  # its cause's name, the same in every run (`fingerprint.py`)
    status: str = ""  # against earlier runs: new, persisting or regressed (`history.py`)
    facts: PairFacts = field(default_factory=PairFacts)  # of every pair, for the detectors

    @property
    def cause(self) -> CauseKey:
        """What the fingerprint names: (location group, kind, pattern, inferred noise)."""
        return CauseKey(self.location, self.kind, self.pattern, bool(self.noise))

    @property
    def count(self) -> int:
        """Exchanges in the cluster."""
        return self.members.count

    @property
    def endpoints(self) -> list[tuple[str, int, float]]:
        """(endpoint, exchanges, share of the endpoint), most affected first."""
        found = [
            (e, m.count, m.count / max(self.endpoint_totals.get(e, m.count), 1))
            for e, m in self.by_endpoint.items()
        ]
        return sorted(found, key=lambda t: (-t[1], t[0]))

    def sample_ids(self, per_endpoint: int = 5, least: int = FIRST_KEPT) -> list[str]:
        """A few exchange ids of every endpoint (at least `least` in all, when there are)."""
        each = max(per_endpoint, -(-least // max(len(self.by_endpoint), 1)))
        return [i for e, _, _ in self.endpoints for i in self.by_endpoint[e].first[:each]]


def ranking(c: Cluster) -> tuple[bool, bool, int, str, str, str, str]:
    """Real differences first, low severity next, inferred noise last; larger first (ties
    by name: the order does not depend on which exchange came first)."""
    return (
        bool(c.noise),
        c.kind in LOW_SEVERITY,
        -c.count,
        c.endpoint,
        c.location,
        c.kind,
        c.pattern,
    )


def value_pattern(d: Difference) -> str:
    """What kind of change: `404 -> 204`, `number -> string`, `present -> absent`, ..."""
    if d.location == "status":
        return f"{d.legacy} -> {d.candidate}"
    if d.kind == "missing":
        return "present -> absent"
    if d.kind == "extra":
        return "absent -> present"
    if d.kind == "type":
        return f"{json_type(d.legacy)} -> {json_type(d.candidate)}"
    if d.kind == "order":
        return "same items, other order"
    return f"{json_type(d.legacy)} changed"


def cluster(
    observations: Iterable[Observation],
    endpoint_totals: Mapping[str, int],
    *,
    endpoint_features: Mapping[str, Counter[str]] | None = None,
    examples: int = 3,
) -> list[Cluster]:
    """Group observations by cause; link followers to roots; describe; rank (`ranking`).

    `endpoint_features`: per endpoint, how many requests show each input feature."""
    clustering = Clustering(examples)
    for o in observations:
        clustering.add(o)
    return clustering.finish(endpoint_totals, endpoint_features=endpoint_features)


Key = tuple[str, str, str, bool]


class Clustering:
    """Observations grouped by cause as they come (`add`), parts of one stream gathered
    apart added up in stream order (`merge`), the clusters made at the end (`finish`)."""

    def __init__(self, examples: int = 3) -> None:
        self.examples = examples
        self.groups: dict[Key, Cluster] = {}
        self.shown: dict[Key, Examples] = {}
        # The exchange each cluster gained last: an exchange's differences come together,
        # and it counts once (a later part or run holds other exchanges only).
        self._recent: dict[Key, str] = {}

    def add(self, o: Observation) -> None:
        """One difference of one exchange, after those of earlier exchanges."""
        d = o.difference
        key = (d.group, d.kind, value_pattern(d), bool(o.noise))
        found = self.groups.get(key)
        if found is None:
            found = self.groups[key] = Cluster(o.endpoint, *key[:3], noise=o.noise)
            # One at least: `numeric_offset` reads the shortest, whatever is shown.
            self.shown[key] = Examples(max(self.examples, 1))
        if self._recent.get(key) != o.exchange_id:
            self._recent[key] = o.exchange_id
            digest = id_digest(o.exchange_id)
            found.by_endpoint.setdefault(o.endpoint, Members()).add(o.exchange_id, digest)
            found.members.add(o.exchange_id, digest)
            found.features.update(o.features)
            if o.finding:
                found.findings.append(o.exchange_id)
        found.facts.add(d.kind, d.legacy, d.candidate)
        self.shown[key].add(d)

    def merge(self, later: Clustering) -> None:
        """Add what `later` grouped from the stream after this one's part (a part holds
        whole exchanges: no exchange is in two)."""
        for key, theirs in later.groups.items():
            ours = self.groups.get(key)
            if ours is None:
                self.groups[key], self.shown[key] = theirs, later.shown[key]
                continue
            ours.members.merge(theirs.members)
            for endpoint, members in theirs.by_endpoint.items():
                ours.by_endpoint.setdefault(endpoint, Members()).merge(members)
            ours.findings += theirs.findings
            ours.features.update(theirs.features)
            ours.facts.merge(theirs.facts)
            self.shown[key].merge(later.shown[key])

    def finish(
        self,
        endpoint_totals: Mapping[str, int],
        *,
        endpoint_features: Mapping[str, Counter[str]] | None = None,
    ) -> list[Cluster]:
        """The clusters: followers linked to roots, described, ranked (`ranking`)."""
        for key, c in self.groups.items():
            c.examples = self.shown[key].shortest()
        clusters = _link(list(self.groups.values()))
        analysed = len({*endpoint_totals, *(e for c in clusters for e in c.by_endpoint)})
        for c in clusters:
            c.of_endpoints = analysed
            _complete(c, endpoint_totals, endpoint_features or {})
            c.examples = c.examples[: self.examples]
        ties = [" ".join(sorted(c.by_endpoint)) for c in clusters]
        for c, name in zip(clusters, fingerprints([c.cause for c in clusters], ties), strict=True):
            c.fingerprint = name
        return sorted(clusters, key=ranking)


def _complete(c: Cluster, totals: Mapping[str, int], features: Mapping[str, Counter[str]]) -> None:
    """Totals, shares, hypotheses and the description, once every observation is in."""
    c.endpoint = next(iter(c.by_endpoint)) if len(c.by_endpoint) == 1 else SEVERAL
    c.endpoint_totals = {e: totals.get(e, m.count) for e, m in c.by_endpoint.items()}
    c.endpoint_total = sum(c.endpoint_totals.values())
    c.endpoint_features = sum((features.get(e, Counter()) for e in c.by_endpoint), Counter())
    c.share = c.count / max(c.endpoint_total, 1)
    c.hypotheses = [h for detect in DETECTORS if (h := detect(c))]
    c.description = _describe(c)


def _link(clusters: list[Cluster]) -> list[Cluster]:
    """Clusters of exactly the same exchanges (and both real, or both noise): keep the
    first as root. The same exchanges: as many, and the same digest of their ids."""
    by_exchanges: dict[tuple[bool, int, int], list[Cluster]] = defaultdict(list)
    for c in clusters:
        by_exchanges[(bool(c.noise), c.count, c.members.digest)].append(c)
    roots = []
    for members in by_exchanges.values():
        root, *rest = sorted(members, key=_root_first)
        root.followers = [f"{c.location} ({c.kind})" for c in rest]
        roots.append(root)
    return roots


def _root_first(c: Cluster) -> tuple[int, int, str, str, str]:
    # A status change usually causes the body and header changes that come with it.
    rank = 0 if c.location == "status" else 2 if c.location.startswith("headers.") else 1
    return rank, c.location.count("."), c.location, c.kind, c.pattern


def _describe(c: Cluster) -> str:
    where = "the status" if c.location == "status" else c.location
    what = {
        "missing": f"the candidate leaves out {where}",
        "extra": f"the candidate adds {where}",
        "type": f"{where} changes type ({c.pattern})",
        "order": f"{where} lists the same items in another order",
    }.get(c.kind, f"{where} differs ({c.pattern})")
    also = f", with {len(c.followers)} location(s) differing alongside" if c.followers else ""
    on = (
        c.endpoint
        if c.endpoint != SEVERAL
        else f"{len(c.by_endpoint)} of {c.of_endpoints} endpoints"
    )
    said = f"On {on}, {what} in {c.count} exchange(s) ({c.share:.0%}){also}."
    return f"{said} Taken as noise ({c.noise})." if c.noise else said


# ---------------------------------------------------------------- detectors

Detector = Callable[[Cluster], str | None]


def field_missing(c: Cluster) -> str | None:
    if c.kind == "missing" and c.facts.legacy_present:
        return "the candidate does not produce this field"
    return None


def null_versus_absent(c: Cluster) -> str | None:
    if c.kind in ("missing", "extra") and c.facts.shown_null:
        return "null on one side, absent on the other"
    return None


def type_changed(c: Cluster) -> str | None:
    if c.kind != "type":
        return None
    if c.facts.same_text:
        return "same value, other type (e.g. a number sent as a string)"
    return f"type changed: {c.pattern}"


def timestamp_format(c: Cluster) -> str | None:
    if c.kind == "changed" and c.facts.count and c.facts.same_minute:
        return "timestamp precision or format differs (same minute)"
    return None


def case_or_whitespace(c: Cluster) -> str | None:
    if c.facts.count and c.facts.case_or_space:
        return "only case or whitespace differs"
    return None


def order_only(c: Cluster) -> str | None:
    return (
        "array order only: compare it unordered if order does not matter"
        if c.kind == "order"
        else None
    )


def numeric_offset(c: Cluster) -> str | None:
    facts = c.facts
    if c.kind == "changed" and facts.count > 1 and facts.one_offset and facts.offset is not None:
        offset = facts.offset
        moment = time_of(c.examples[0].legacy) if c.examples else None
        if moment is not None and moment.format.startswith("epoch"):
            # Millisecond stamps 7 apart are two clocks, not arithmetic.
            unit = moment.format.split()[1]
            return f"epoch times {offset:+g} {unit} apart: each side stamps its own clock"
        return f"constant numeric offset of {offset:+g}"
    return None


def status_family(c: Cluster) -> str | None:
    if c.location != "status" or not c.facts.statuses:
        return None
    if c.facts.same_family:
        return f"same status family, other code ({c.pattern})"
    return f"status family changes ({c.pattern})"


def error_text(c: Cluster) -> str | None:
    name = c.location.rsplit(".", 1)[-1]
    if c.kind == "changed" and name in ("error", "message", "detail", "title") and c.facts.texts:
        return "error or message wording differs"
    return None


def input_features(c: Cluster) -> str | None:
    """Every request of the cluster has the feature; most of the endpoint's others do not."""
    others = c.endpoint_total - c.count
    for name, words in FEATURES.items():
        elsewhere = c.endpoint_features[name] - c.features[name]
        if c.features[name] == c.count > 0 and others > 0 and elsewhere / others < 0.5:
            return (
                f"differs only for requests with {words}: all {c.count} here, "
                f"{elsewhere} of the endpoint's {others} other(s)"
            )
    return None


DETECTORS: list[Detector] = [
    field_missing,
    null_versus_absent,
    type_changed,
    timestamp_format,
    case_or_whitespace,
    order_only,
    numeric_offset,
    status_family,
    error_text,
    input_features,
]
