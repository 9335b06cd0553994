"""Clusters: real differences grouped by signature, described in words, with likely causes.

A signature is (endpoint, location group, kind, value pattern). Locations of one
endpoint that always differ in the same exchanges are linked: the most frequent
is the root, the others its followers, so one cause shows as one cluster.
Detectors are small pure functions from a cluster's examples to a hypothesis;
adding one is adding a function to `DETECTORS`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .diff import Difference
from .features import FEATURES
from .shapes import json_type, starts_as_timestamp

__all__ = ["DETECTORS", "Cluster", "Observation", "cluster", "value_pattern"]


@dataclass(frozen=True)
class Observation:
    """One real difference of one exchange."""

    exchange_id: str
    endpoint: str
    difference: Difference
    features: frozenset[str] = frozenset()  # of the request: `features.request_features`


@dataclass
class Cluster:
    """Differences with one signature, and what they probably mean."""

    endpoint: str
    location: str
    kind: str
    pattern: str
    exchange_ids: list[str] = field(default_factory=list)
    examples: list[Difference] = field(default_factory=list)
    share: float = 0.0
    followers: list[str] = field(default_factory=list)
    description: str = ""
    hypotheses: list[str] = field(default_factory=list)
    features: Counter[str] = field(default_factory=Counter)  # clustered requests per feature
    endpoint_features: Counter[str] = field(default_factory=Counter)  # all of the endpoint's
    endpoint_total: int = 0

    @property
    def count(self) -> int:
        """Exchanges in the cluster."""
        return len(self.exchange_ids)


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
    """Group observations by signature; link followers to roots; describe; rank by count.

    `endpoint_features`: per endpoint, how many requests show each input feature."""
    groups: dict[tuple[str, str, str, str], Cluster] = {}
    for o in observations:
        d = o.difference
        key = (o.endpoint, d.group, d.kind, value_pattern(d))
        found = groups.setdefault(key, Cluster(*key))
        if not found.exchange_ids or found.exchange_ids[-1] != o.exchange_id:
            found.exchange_ids.append(o.exchange_id)
            found.features.update(o.features)
        found.examples.append(d)
    clusters = _link(list(groups.values()))
    for c in clusters:
        c.endpoint_total = endpoint_totals.get(c.endpoint, c.count)
        c.endpoint_features = (endpoint_features or {}).get(c.endpoint, Counter())
        c.share = c.count / max(c.endpoint_total, 1)
        c.examples = sorted(c.examples, key=lambda d: len(repr((d.legacy, d.candidate))))
        c.hypotheses = [h for detect in DETECTORS if (h := detect(c))]
        c.description = _describe(c)
        c.examples = c.examples[:examples]
    return sorted(clusters, key=lambda c: (-c.count, c.endpoint, c.location))


def _link(clusters: list[Cluster]) -> list[Cluster]:
    """Clusters of one endpoint with exactly the same exchanges: keep the first as root."""
    by_exchanges: dict[tuple[str, frozenset[str]], list[Cluster]] = defaultdict(list)
    for c in clusters:
        by_exchanges[(c.endpoint, frozenset(c.exchange_ids))].append(c)
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
    return f"On {c.endpoint}, {what} in {c.count} exchange(s) ({c.share:.0%}){also}."


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
            return f"constant numeric offset of {offsets.pop():+g}"
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
