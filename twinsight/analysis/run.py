"""`twinsight analyze`: every stored exchange judged for every candidate, into tables.

The thin shell around the pure pipeline: read exchanges, judge each, collect
columns, hand Arrow tables to the store. Counting and grouping afterwards is SQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pyarrow as pa

from twinsight.config import Config
from twinsight.spec import Spec
from twinsight.store import derived_location, open_store, write_derived

from .classify import CLASSIFICATIONS
from .clusters import Cluster, Observation, cluster
from .endpoints import Endpoints
from .judge import Judge, Judgement
from .load import Stored, read_exchanges, rules_from
from .noise import NoiseThresholds, Volatile, real_locations, volatile_locations
from .origins import origins_of

__all__ = [
    "NOT_CANDIDATES",
    "Analysis",
    "analyse",
    "analyse_store",
    "collect",
    "json_line",
]

NOT_CANDIDATES = frozenset({"legacy", "replica"})


_CLASSIFIED = pa.schema(
    [
        ("exchange_id", pa.string()),
        ("candidate", pa.string()),
        ("endpoint", pa.string()),
        ("classification", pa.string()),
        ("reason", pa.string()),
        ("analysed_at", pa.timestamp("us", tz="UTC")),
    ]
)
_DIFFERENT = pa.schema(
    [
        ("exchange_id", pa.string()),
        ("candidate", pa.string()),
        ("endpoint", pa.string()),
        ("location", pa.string()),
        ("location_group", pa.string()),
        ("kind", pa.string()),
        ("legacy_value", pa.string()),
        ("candidate_value", pa.string()),
        ("noise", pa.string()),
        ("accepted", pa.string()),
    ]
)


@dataclass
class Analysis:
    """What one run decided: rows for the derived tables and the counts to print."""

    classifications: dict[str, list[Any]] = field(default_factory=lambda: _columns(_CLASSIFIED))
    differences: dict[str, list[Any]] = field(default_factory=lambda: _columns(_DIFFERENT))
    counts: Counter[str] = field(default_factory=Counter)
    volatile: list[Volatile] = field(default_factory=list)
    """Without a replica: locations whose values look per-exchange, proposed as noise."""
    clusters: list[Cluster] = field(default_factory=list)

    def tables(self) -> dict[str, pa.Table]:
        """`classifications`, `differences` and `clusters` as Arrow tables."""
        return {
            "classifications": pa.table(self.classifications, schema=_CLASSIFIED),
            "differences": pa.table(self.differences, schema=_DIFFERENT),
            "clusters": pa.Table.from_pylist(
                [_cluster_row(c) for c in self.clusters], schema=_CLUSTERED
            ),
        }


_CLUSTERED = pa.schema(
    [
        ("endpoint", pa.string()),
        ("location", pa.string()),
        ("kind", pa.string()),
        ("pattern", pa.string()),
        ("exchanges", pa.int64()),
        ("share", pa.float64()),
        ("description", pa.string()),
        ("hypotheses", pa.list_(pa.string())),
        ("followers", pa.list_(pa.string())),
        ("examples", pa.string()),
        ("exchange_ids", pa.list_(pa.string())),
    ]
)


def _cluster_row(c: Cluster) -> dict[str, Any]:
    examples = [{"legacy": d.legacy, "candidate": d.candidate} for d in c.examples]
    return {
        "endpoint": c.endpoint,
        "location": c.location,
        "kind": c.kind,
        "pattern": c.pattern,
        "exchanges": c.count,
        "share": c.share,
        "description": c.description,
        "hypotheses": c.hypotheses,
        "followers": c.followers,
        "examples": orjson.dumps(examples, default=str).decode(),
        "exchange_ids": c.exchange_ids[:20],
    }


def _columns(schema: pa.Schema) -> dict[str, list[Any]]:
    return {name: [] for name in schema.names}


def analyse(
    exchanges: Iterable[Stored], judge: Judge, endpoints: Endpoints
) -> Iterator[tuple[Stored, str, str, Judgement]]:
    """Each (exchange, endpoint, candidate, judgement), one per candidate that answered."""
    for stored in exchanges:
        legacy = stored.answers.get("legacy")
        if legacy is None:
            continue
        endpoint = endpoints.of(stored.request.method, stored.request.path)
        replica = stored.answers.get("replica")
        for name, answer in stored.answers.items():
            if name not in NOT_CANDIDATES:
                judgement = judge.judge(
                    stored.request,
                    legacy,
                    answer,
                    replica,
                    candidate_name=name,
                    endpoint=endpoint,
                )
                yield stored, endpoint, name, judgement


def collect(results: Iterable[tuple[Stored, str, str, Judgement]]) -> Analysis:
    """Gather judgements into table columns and counts."""
    analysis, now = Analysis(), datetime.now(UTC)
    observations: list[Observation] = []
    endpoints: Counter[str] = Counter()
    for stored, endpoint, name, judgement in results:
        verdict = judgement.verdict
        endpoints[endpoint] += 1
        for column, value in zip(
            _CLASSIFIED.names,
            (stored.id, name, endpoint, verdict.classification, verdict.reason, now),
            strict=True,
        ):
            analysis.classifications[column].append(value)
        analysis.counts[verdict.classification] += 1
        for judged in judgement.differences:
            d = judged.difference
            row = (
                stored.id,
                name,
                endpoint,
                d.location,
                d.group,
                d.kind,
                _json(d.legacy),
                _json(d.candidate),
                judged.noise,
                judged.accepted,
            )
            for column, cell in zip(_DIFFERENT.names, row, strict=True):
                analysis.differences[column].append(cell)
            if judged.real and verdict.classification in ("unexplained", "regression"):
                observations.append(Observation(stored.id, endpoint, d))
    for classification in CLASSIFICATIONS:
        analysis.counts.setdefault(classification, 0)
    analysis.clusters = cluster(observations, endpoints)
    return analysis


def statistical_noise(
    results: Iterable[tuple[Stored, str, str, Judgement]], thresholds: NoiseThresholds
) -> frozenset[tuple[str, str]]:
    """Locations the replica differs at about as often as the candidate (Diffy's test)."""
    raw: Counter[tuple[str, str]] = Counter()
    noise: Counter[tuple[str, str]] = Counter()
    totals: Counter[str] = Counter()
    for stored, endpoint, _, judgement in results:
        if "replica" not in stored.answers:
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


def json_line(stored: Stored, endpoint: str, candidate: str, judgement: Judgement) -> bytes:
    """One exchange's verdict for machines: a JSON object on one line."""
    return (
        orjson.dumps(
            {
                "id": stored.id,
                "method": stored.request.method,
                "path": stored.request.path,
                "query": stored.query,
                "endpoint": endpoint,
                "candidate": candidate,
                "classification": judgement.verdict.classification,
                "reason": judgement.verdict.reason,
                "differences": [
                    {
                        "location": j.difference.location,
                        "kind": j.difference.kind,
                        "legacy": j.difference.legacy,
                        "candidate": j.difference.candidate,
                        "noise": j.noise,
                        "accepted": j.accepted,
                    }
                    for j in judgement.differences
                ],
            },
            default=str,
        )
        + b"\n"
    )


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, default=str).decode()


def analyse_store(
    path: Path | None,
    segments: Path | None,
    *,
    config: Config,
    spec: Spec | None,
    json_out: BinaryIO | None = None,
) -> Analysis:
    """Judge every exchange of a store, write the derived tables, return what was decided."""
    judge = Judge(
        spec=spec,
        rules=rules_from(config.normalize, spec),
        origins={name: origins_of(str(url)) for name, url in config.targets.items()},
    )
    templates = [
        (s.when.request.method, s.when.request.template)
        for s in (spec.scenarios if spec else ())
        if s.when.request is not None
    ]
    endpoints = Endpoints(templates)
    connection = open_store(path, segments)
    try:
        exchanges = list(read_exchanges(connection))
    finally:
        connection.close()
    endpoints.learn((s.request.method, s.request.path) for s in exchanges)
    results = list(analyse(exchanges, judge, endpoints))
    noisy = statistical_noise(results, NoiseThresholds())
    if noisy:
        results = list(analyse(exchanges, replace(judge, noisy=noisy), endpoints))
    if json_out is not None:
        for result in results:
            json_out.write(json_line(*result))
    analysis = collect(results)
    if not noisy:
        analysis.volatile = volatile_locations(
            (endpoint, j.difference)
            for _, endpoint, _, judgement in results
            for j in judgement.differences
            if j.real
        )
    write_derived(derived_location(path, segments), analysis.tables())
    return analysis
