"""The clustering an analysis ends with, kept in the store so the next run starts from it.

An incremental run (and every `report`, `ready` or `propose`, which analyse first) used to
read every earlier real difference back to cluster it again (~1 s a million exchanges with
5 % differing, with every clustered id held in memory). A cluster's state is small
whatever it holds (`Members`, `PairFacts`, `Examples`), so the run keeps it
(`cluster_state`) and the next starts from it, with the samples of changed values volatile
proposals read. Two things depend on the order exchanges came in, so on which run judged
them when traffic older than the last run is imported after it: which of several equally
short examples a cluster shows, and which changes are sampled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, cast

import orjson

from twinsight.store import ClusterStateRow

from .cluster_facts import Examples, PairFacts
from .cluster_members import Members
from .clusters import Cluster, Clustering
from .diff import Difference
from .jsondiff import Kind

__all__ = ["Samples", "clustering_rows", "restored"]

Samples = dict[tuple[str, str], list[Difference]]
"""(endpoint, location group) -> the first real changes there, for volatile proposals."""
_CLUSTER, _SAMPLES = "cluster", "samples"


def clustering_rows(clustering: Clustering, samples: Samples) -> Iterator[ClusterStateRow]:
    """What `restored` takes back: a row per cluster, a row per location sampled."""
    for key, c in clustering.groups.items():
        added, kept = clustering.shown[key].kept()
        state = {
            "cluster": [c.endpoint, c.location, c.kind, c.pattern, c.noise],
            "members": c.members.state(),
            "by_endpoint": {e: m.state() for e, m in c.by_endpoint.items()},
            "findings": c.findings,
            "features": dict(c.features),
            "facts": {**vars(c.facts), "offset": _exact(c.facts.offset)},
            "shown": [added, [[size, n, _difference(d)] for size, n, d in kept]],
        }
        yield ClusterStateRow(_CLUSTER, _json(state))
    for (endpoint, group), found in samples.items():
        state = {"endpoint": endpoint, "group": group, "changes": list(map(_difference, found))}
        yield ClusterStateRow(_SAMPLES, _json(state))


def restored(rows: Iterable[ClusterStateRow], examples: int) -> tuple[Clustering, Samples]:
    """The clustering and samples `clustering_rows` kept (`examples`: shown per cluster)."""
    clustering, samples = Clustering(examples), Samples()
    for row in rows:
        state = orjson.loads(row.state)
        if row.kind == _SAMPLES:
            changes = [_of_difference(d) for d in state["changes"]]
            samples[(state["endpoint"], state["group"])] = changes
        elif row.kind == _CLUSTER:
            c = _cluster(state)
            key = (c.location, c.kind, c.pattern, bool(c.noise))
            clustering.groups[key] = c
            added, kept = state["shown"]
            shown = [(size, n, _of_difference(d)) for size, n, d in kept]
            clustering.shown[key] = Examples.of_kept(max(examples, 1), added, shown)
    return clustering, samples


def _cluster(state: dict[str, Any]) -> Cluster:
    endpoint, location, kind, pattern, noise = state["cluster"]
    return Cluster(
        endpoint,
        location,
        kind,
        pattern,
        members=Members.of_state(state["members"]),
        by_endpoint={e: Members.of_state(m) for e, m in state["by_endpoint"].items()},
        findings=list(state["findings"]),
        features=Counter(state["features"]),
        facts=PairFacts(**{**state["facts"], "offset": _number(state["facts"]["offset"])}),
        noise=noise,
    )


def _difference(d: Difference) -> list[Any]:
    return [d.location, d.kind, d.legacy, d.candidate, d.summary]


def _of_difference(found: list[Any]) -> Difference:
    location, kind, legacy, candidate, summary = found
    return Difference(location, cast(Kind, kind), legacy, candidate, summary)


def _exact(offset: float | None) -> str | None:
    # As text: an offset of two 64-bit values may need 65 bits, or be an infinite float,
    # and JSON holds neither (null would read as "no offset yet").
    return None if offset is None else repr(offset)


def _number(kept: str | float | None) -> float | None:
    if not isinstance(kept, str):
        return kept  # None, or kept as a number by an earlier run
    return int(kept) if kept.lstrip("-").isdigit() else float(kept)


def _json(state: dict[str, Any]) -> str:
    # As the differences table writes values: what is not JSON is kept as its text.
    return orjson.dumps(state, default=str).decode()
