"""Clusters: differences grouped by cause, described in words, with likely causes.

A cause's fingerprint is (location group, kind, value pattern), whatever the endpoint:
a header dropped on every endpoint is one cluster ("on 30 of 30 endpoints"), which keeps
its exchanges per endpoint. Locations that always differ in the same exchanges are
linked: the most frequent is the root, the others its followers, so one cause shows as
one cluster. Inferred noise (a reason starting `inferred:`) is clustered apart, so a
reviewer sees what was assumed, and ranked below every real difference. Detectors are
small pure functions from a cluster's examples to a hypothesis; adding one is adding a
function to `DETECTORS`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .diff import Difference
from .features import FEATURES
from .fingerprint import CauseKey, fingerprints
from .inference_values import time_of
from .shapes import json_type, starts_as_timestamp

__all__ = [
    "DETECTORS",
    "INFERRED",
    "SEVERAL",
    "Cluster",
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


@dataclass
class Cluster:
    """Differences with one cause, on one or more endpoints, and what they probably mean."""

    endpoint: str  # the one endpoint, or SEVERAL
    location: str
    kind: str
    pattern: str
    exchange_ids: list[str] = field(default_factory=list)
    examples: list[Difference] = field(default_factory=list)
    share: float = 0.0  # of the exchanges of the endpoints it is on
    followers: list[str] = field(default_factory=list)
    description: str = ""
    hypotheses: list[str] = field(default_factory=list)
    features: Counter[str] = field(default_factory=Counter)  # clustered requests per feature
    endpoint_features: Counter[str] = field(default_factory=Counter)  # all of its endpoints'
    endpoint_total: int = 0  # exchanges of the endpoints it is on
    by_endpoint: dict[str, list[str]] = field(default_factory=dict)  # endpoint -> exchange ids
    endpoint_totals: dict[str, int] = field(default_factory=dict)  # of the endpoints it is on
    of_endpoints: int = 0  # endpoints analysed
    noise: str = ""  # the inferred-noise reason; empty for a real difference
    fingerprint: str = ""  # its cause's name, the same in every run (`fingerprint.py`)
    status: str = ""  # against earlier runs: new, persisting or regressed (`history.py`)

    @property
    def cause(self) -> CauseKey:
        """What the fingerprint names: (location group, kind, pattern, inferred noise)."""
        return CauseKey(self.location, self.kind, self.pattern, bool(self.noise))

    @property
    def count(self) -> int:
        """Exchanges in the cluster."""
        return len(self.exchange_ids)

    @property
    def endpoints(self) -> list[tuple[str, int, float]]:
        """(endpoint, exchanges, share of the endpoint), most affected first."""
        found = [
            (e, len(ids), len(ids) / max(self.endpoint_totals.get(e, len(ids)), 1))
            for e, ids in self.by_endpoint.items()
        ]
        return sorted(found, key=lambda t: (-t[1], t[0]))

    def sample_ids(self, per_endpoint: int = 5, least: int = 20) -> list[str]:
        """A few exchange ids of every endpoint (at least `least` in all, when there are)."""
        each = max(per_endpoint, -(-least // max(len(self.by_endpoint), 1)))
        return [i for e, _, _ in self.endpoints for i in self.by_endpoint[e][:each]]


def ranking(c: Cluster) -> tuple[bool, bool, int, str, str]:
    """Real differences first, low severity next, inferred noise last; larger first."""
    return bool(c.noise), c.kind in LOW_SEVERITY, -c.count, c.endpoint, c.location


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
    groups: dict[tuple[str, str, str, bool], Cluster] = {}
    for o in observations:
        d = o.difference
        key = (d.group, d.kind, value_pattern(d), bool(o.noise))
        found = groups.setdefault(key, Cluster(o.endpoint, *key[:3], noise=o.noise))
        ids = found.by_endpoint.setdefault(o.endpoint, [])
        if not ids or ids[-1] != o.exchange_id:
            ids.append(o.exchange_id)
            found.exchange_ids.append(o.exchange_id)
            found.features.update(o.features)
        found.examples.append(d)
    clusters = _link(list(groups.values()))
    analysed = len({*endpoint_totals, *(e for c in clusters for e in c.by_endpoint)})
    for c in clusters:
        c.of_endpoints = analysed
        _complete(c, endpoint_totals, endpoint_features or {}, examples)
    ties = [" ".join(sorted(c.by_endpoint)) for c in clusters]
    for c, name in zip(clusters, fingerprints([c.cause for c in clusters], ties), strict=True):
        c.fingerprint = name
    return sorted(clusters, key=ranking)


def _complete(
    c: Cluster,
    totals: Mapping[str, int],
    features: Mapping[str, Counter[str]],
    examples: int,
) -> None:
    """Totals, shares, hypotheses and the description, once every observation is in."""
    c.endpoint = next(iter(c.by_endpoint)) if len(c.by_endpoint) == 1 else SEVERAL
    c.endpoint_totals = {e: totals.get(e, len(ids)) for e, ids in c.by_endpoint.items()}
    c.endpoint_total = sum(c.endpoint_totals.values())
    c.endpoint_features = sum((features.get(e, Counter()) for e in c.by_endpoint), Counter())
    c.share = c.count / max(c.endpoint_total, 1)
    c.examples = sorted(c.examples, key=lambda d: len(repr((d.legacy, d.candidate))))
    c.hypotheses = [h for detect in DETECTORS if (h := detect(c))]
    c.description = _describe(c)
    c.examples = c.examples[:examples]


def _link(clusters: list[Cluster]) -> list[Cluster]:
    """Clusters of exactly the same exchanges (and both real, or both noise): keep the
    first as root."""
    by_exchanges: dict[tuple[bool, frozenset[str]], list[Cluster]] = defaultdict(list)
    for c in clusters:
        by_exchanges[(bool(c.noise), frozenset(c.exchange_ids))].append(c)
    roots = []
    for members in by_exchanges.values():
        root, *rest = sorted(members, key=_root_first)
        root.followers = [f"{c.location} ({c.kind})" for c in rest]
        roots.append(root)
    return roots


def _root_first(c: Cluster) -> tuple[int, int, str]:
    # A status change usually causes the body and header changes that come with it.
    rank = 0 if c.location == "status" else 2 if c.location.startswith("headers.") else 1
    return rank, c.location.count("."), c.location


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


def _pairs(c: Cluster) -> Sequence[tuple[Any, Any]]:
    return [(d.legacy, d.candidate) for d in c.examples]


def field_missing(c: Cluster) -> str | None:
    if c.kind == "missing" and all(a is not None for a, _ in _pairs(c)):
        return "the candidate does not produce this field"
    return None


def null_versus_absent(c: Cluster) -> str | None:
    if c.kind in ("missing", "extra") and all(v is None for v in _values(c)):
        return "null on one side, absent on the other"
    return None


def _values(c: Cluster) -> list[Any]:
    return [a if c.kind == "missing" else b for a, b in _pairs(c)]


def type_changed(c: Cluster) -> str | None:
    if c.kind != "type":
        return None
    if all(str(a) == str(b) for a, b in _pairs(c)):
        return "same value, other type (e.g. a number sent as a string)"
    return f"type changed: {c.pattern}"


def timestamp_format(c: Cluster) -> str | None:
    pairs = _pairs(c)
    if (
        c.kind == "changed"
        and pairs
        and all(
            starts_as_timestamp(a) and starts_as_timestamp(b) and a[:16] == b[:16] for a, b in pairs
        )
    ):
        return "timestamp precision or format differs (same minute)"
    return None


def case_or_whitespace(c: Cluster) -> str | None:
    pairs = _pairs(c)
    if pairs and all(
        isinstance(a, str)
        and isinstance(b, str)
        and a != b
        and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
        for a, b in pairs
    ):
        return "only case or whitespace differs"
    return None


def order_only(c: Cluster) -> str | None:
    return (
        "array order only: compare it unordered if order does not matter"
        if c.kind == "order"
        else None
    )


def numeric_offset(c: Cluster) -> str | None:
    pairs = _pairs(c)
    numbers = all(
        isinstance(v, int | float) and not isinstance(v, bool) for pair in pairs for v in pair
    )
    if c.kind == "changed" and len(pairs) > 1 and numbers:
        offsets = {round(b - a, 9) for a, b in pairs}
        if len(offsets) == 1:
            offset = offsets.pop()
            moment = time_of(pairs[0][0])
            if moment is not None and moment.format.startswith("epoch"):
                # Millisecond stamps 7 apart are two clocks, not arithmetic.
                unit = moment.format.split()[1]
                return f"epoch times {offset:+g} {unit} apart: each side stamps its own clock"
            return f"constant numeric offset of {offset:+g}"
    return None


def status_family(c: Cluster) -> str | None:
    if c.location != "status":
        return None
    pairs = [(a, b) for a, b in _pairs(c) if isinstance(a, int) and isinstance(b, int)]
    if pairs and all(a // 100 == b // 100 for a, b in pairs):
        return f"same status family, other code ({c.pattern})"
    return f"status family changes ({c.pattern})" if pairs else None


def error_text(c: Cluster) -> str | None:
    name = c.location.rsplit(".", 1)[-1]
    if (
        c.kind == "changed"
        and name in ("error", "message", "detail", "title")
        and all(isinstance(a, str) and isinstance(b, str) for a, b in _pairs(c))
    ):
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
