"""What `twinsight accept` writes for a cluster: where it is, and how its rule compares.

Pure: from the clusters table's rows (and the readiness evidence's per-endpoint shares) to
the `where` texts of `accepted` entries and `[[normalize]]` rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from twinsight.store import ClusterRow
from twinsight.store.evidence import ClusterShare

from .clusters import SEVERAL
from .rules import Compare
from .shapes import shape_of

__all__ = ["noise_compare", "unexplained", "wheres"]


def wheres(cluster: ClusterRow) -> list[str]:
    """One `METHOD /path location` per endpoint the cluster is on, in its order."""
    endpoints = cluster.endpoints or ([cluster.endpoint] if cluster.endpoint != SEVERAL else [])
    found: list[str] = []
    for endpoint in endpoints:
        # A SOAP endpoint adds its operation (`POST /ws CreateOrder`): a rule names the path.
        scope = " ".join(endpoint.split()[:2])
        where = f"{scope} {cluster.location}".strip()
        if where not in found:
            found.append(where)
    return found or [cluster.location]


def noise_compare(cluster: ClusterRow) -> Compare:
    """How a `[[normalize]]` rule for this cluster compares.

    `unordered` for items in another order; `shape` where values only change (same kind
    of value on both sides in every example: ids stay ids, times stay times), so a later
    change of type still counts; `ignore` for everything else, the status included (every
    status has the same shape, and a shape rule there would hide any other code too).
    """
    if cluster.kind == "order":
        return "unordered"
    if cluster.location == "status" or cluster.kind != "changed":
        return "ignore"
    pairs = _examples(cluster.examples)
    alike = all(shape_of(p.get("legacy")) == shape_of(p.get("candidate")) for p in pairs)
    return "shape" if pairs and alike else "ignore"


def unexplained(clusters: Iterable[ClusterRow], shares: Sequence[ClusterShare]) -> list[str]:
    """The fingerprints of the clusters of real differences some of whose exchanges are
    still classified `unexplained` (per `shares`, the readiness evidence of each cluster on
    each endpoint), in the clusters' order."""
    open_causes = {
        (s.location, s.kind, s.description) for s in shares if "unexplained" in s.classifications
    }
    return [
        c.fingerprint
        for c in clusters
        if c.fingerprint and c.noise is None and (c.location, c.kind, c.description) in open_causes
    ]


def _examples(text: str) -> list[dict[str, object]]:
    try:
        found = json.loads(text or "[]")
    except ValueError:
        return []
    return [p for p in found if isinstance(p, dict)] if isinstance(found, list) else []
