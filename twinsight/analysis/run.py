"""`twinsight analyze`: every stored exchange judged for every candidate, into tables.

The thin shell around the pure pipeline: read exchanges, judge each, collect
columns, hand Arrow tables to the store. Counting and grouping afterwards is SQL.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from twinsight import __version__
from twinsight.config import Config
from twinsight.spec import Spec, spec_coverage
from twinsight.store import (
    AnalysisState,
    EarlierCounts,
    analysis_state,
    derived_location,
    earlier_counts,
    earlier_differences,
    earlier_verdicts,
    open_store,
    request_lines,
    scenario_counts,
    targets,
    unanswered,
    write_derived,
)

from .classify import CLASSIFICATIONS
from .clusters import Cluster, Observation, cluster
from .diff import Difference
from .endpoints import Endpoints
from .features import request_features
from .judge import Judge, Judgement
from .load import Stored, read_exchanges, rules_from
from .noise import NoiseThresholds, Volatile, real_locations, volatile_locations
from .origins import origins_of

__all__ = [
    "NOT_CANDIDATES",
    "Analysis",
    "Collector",
    "Columns",
    "ScenarioRun",
    "analyse",
    "analyse_store",
    "json_line",
]

NOT_CANDIDATES = frozenset({"legacy", "replica"})
DERIVED_FORMAT = 3
"""The layout of the derived tables: a change judges every exchange again (and rewrites them)."""


_CLASSIFIED = pa.schema(
    [
        ("exchange_id", pa.string()),
        ("candidate", pa.string()),
        ("endpoint", pa.string()),
        ("classification", pa.string()),
        ("reason", pa.string()),
        ("analysed_at", pa.timestamp("us", tz="UTC")),
        ("features", pa.list_(pa.string())),
    ]
)
_CHECKED = pa.schema(
    [
        ("exchange_id", pa.string()),
        ("candidate", pa.string()),
        ("endpoint", pa.string()),
        ("scenario", pa.string()),
        ("line", pa.string()),
        ("target", pa.string()),
        ("passed", pa.bool_()),
        ("reason", pa.string()),
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


class Columns:
    """Rows gathered column by column, turned into compact Arrow batches as they grow.

    With `spill`, sealed batches go to that Parquet file instead of memory: the
    differences of a million exchanges need not all be held at once.
    """

    def __init__(self, schema: pa.Schema, *, batch: int = 50_000, spill: Path | None = None):
        self.schema, self.batch, self.spill = schema, batch, spill
        self.pending: dict[str, list[Any]] = {name: [] for name in schema.names}
        self.batches: list[pa.RecordBatch] = []
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def add(self, row: Sequence[Any]) -> None:
        """Append one row, values in schema order."""
        for values, value in zip(self.pending.values(), row, strict=True):
            values.append(value)
        self.rows += 1
        if self.rows % self.batch == 0:
            self._seal()

    def _seal(self) -> None:
        if self.pending[self.schema.names[0]]:
            sealed = pa.record_batch(self.pending, schema=self.schema)
            self.pending = {name: [] for name in self.schema.names}
            if self.spill is None:
                self.batches.append(sealed)
            else:
                if self._writer is None:
                    self._writer = pq.ParquetWriter(self.spill, self.schema)
                self._writer.write_batch(sealed)

    def table(self) -> pa.Table:
        """Everything added, as one table (read back from the spill file if there is one)."""
        source = self.source()
        return pq.read_table(source) if isinstance(source, Path) else source

    def source(self) -> pa.Table | Path:
        """Everything added: the table, or the finished spill file."""
        self._seal()
        if self.spill is None:
            return pa.Table.from_batches(self.batches, schema=self.schema)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.spill, self.schema)
        self._writer.close()
        return self.spill

    def column(self, name: str) -> list[Any]:
        """One column as Python values (for small results)."""
        values: list[Any] = self.table().column(name).to_pylist()
        return values


@dataclass
class Analysis:
    """What one run decided: the derived tables, and the counts and clusters to print."""

    classifications: Columns = field(default_factory=lambda: Columns(_CLASSIFIED))
    differences: Columns = field(default_factory=lambda: Columns(_DIFFERENT))
    checks: Columns = field(default_factory=lambda: Columns(_CHECKED))
    coverage: list[ScenarioRun] = field(default_factory=list)
    """Per scenario of the spec, over every exchange analysed so far."""
    counts: Counter[str] = field(default_factory=Counter)
    volatile: list[Volatile] = field(default_factory=list)
    """Without a replica: locations whose values look per-exchange, proposed as noise."""
    clusters: list[Cluster] = field(default_factory=list)
    analysed: int = 0
    """Classifications made by this run (the rest were an earlier run's, kept)."""
    unanswered: int = 0
    """Exchanges in the store no target answered: not compared, not classified."""
    left_out: Counter[str] = field(default_factory=Counter)
    """Pairs this run did not compare, by reason (an unsent mirror, no legacy answer)."""

    def tables(self) -> dict[str, pa.Table | Path]:
        """`classifications`, `differences`, `checks` and `clusters`: Arrow tables, or Parquet
        files for those spilled to disk."""
        rows = [_cluster_row(c) for c in self.clusters]
        return {
            "classifications": self.classifications.source(),
            "differences": self.differences.source(),
            "checks": self.checks.source(),
            "clusters": pa.Table.from_pylist(rows, schema=_CLUSTERED),
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


NOT_SENT = {
    "unsent": "never sent to the candidate (no free connection within the mirror timeout)",
    "cancelled": "still in flight when the capture stopped",
}
"""Candidate errors of the capture side, not the candidate's: such pairs are not compared."""


def analyse(
    exchanges: Iterable[Stored],
    judge: Judge,
    endpoints: Endpoints,
    left_out: Counter[str] | None = None,
) -> Iterator[tuple[Stored, str, str, Judgement]]:
    """Each (exchange, endpoint, candidate, judgement), one per candidate asked; `left_out`
    counts, by reason, the pairs that cannot be compared."""
    left_out = Counter() if left_out is None else left_out
    for stored in exchanges:
        legacy = stored.answers.get("legacy")
        if legacy is None:
            left_out["no legacy answer stored"] += 1
            continue
        if legacy.error == "cancelled":
            # The client left (or the capture stopped) before the legacy's answer was whole.
            left_out["the legacy's answer was cut short by the client or the shutdown"] += 1
            continue
        endpoint = endpoints.of(stored.request.method, stored.request.path)
        replica = stored.answers.get("replica")
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
                yield stored, endpoint, name, judgement


class Collector:
    """Gathers judgements, one at a time, into an `Analysis`."""

    def __init__(self, *, volatile_samples: int = 200, spill: Path | None = None) -> None:
        """`spill`: a folder where the differences and checks go as they grow."""
        self.analysis = Analysis()
        if spill is not None:
            self.analysis.differences = Columns(_DIFFERENT, spill=spill / "differences.parquet")
            self.analysis.checks = Columns(_CHECKED, spill=spill / "checks.parquet")
        self.now = datetime.now(UTC)
        self.observations: list[Observation] = []
        self.endpoints: Counter[str] = Counter()
        self.features: dict[str, Counter[str]] = {}  # endpoint -> request feature -> count
        self.changes: dict[tuple[str, str], list[Difference]] = {}
        self.volatile_samples = volatile_samples

    def add(self, stored: Stored, endpoint: str, name: str, judgement: Judgement) -> None:
        """Record one exchange's judgement for one candidate."""
        verdict, analysis, request = judgement.verdict, self.analysis, stored.request
        features = request_features(request.path, dict(request.query), request.body)
        self.endpoints[endpoint] += 1
        self.features.setdefault(endpoint, Counter()).update(features)
        analysis.counts[verdict.classification] += 1
        analysis.classifications.add(
            (
                stored.id,
                name,
                endpoint,
                verdict.classification,
                verdict.reason,
                self.now,
                sorted(features),
            )
        )
        for line in judgement.lines:
            for target, result in (("legacy", line.legacy), (name, line.candidate)):
                analysis.checks.add(
                    (
                        stored.id,
                        name,
                        endpoint,
                        line.scenario,
                        line.line,
                        target,
                        result.passed,
                        result.reason or None,
                    )
                )
        for judged in judgement.differences:
            d = judged.difference
            analysis.differences.add(
                (
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
            )
            if not judged.real:
                continue
            if verdict.classification in ("unexplained", "regression"):
                self.observations.append(Observation(stored.id, endpoint, d, features))
            if d.kind == "changed":
                self._sample_change(endpoint, d)

    def _sample_change(self, endpoint: str, d: Difference) -> None:
        samples = self.changes.setdefault((endpoint, d.group), [])
        if len(samples) < self.volatile_samples:
            samples.append(d)

    def seed(self, differences: Iterable[tuple[Any, ...]], counts: EarlierCounts) -> None:
        """Start from what earlier runs recorded (`twinsight.store.earlier_differences` rows and
        `earlier_counts`), so counts, clusters and proposals cover every exchange."""
        self.endpoints.update(counts.by_endpoint)
        self.analysis.counts.update(counts.by_classification)
        for (endpoint, feature), count in counts.features.items():
            self.features.setdefault(endpoint, Counter())[feature] += count
        for row in differences:
            id_, endpoint, location, kind, legacy, candidate, classification, features = row
            d = Difference(location, kind, _loads(legacy), _loads(candidate))
            if classification in ("unexplained", "regression"):
                found = frozenset(features or ())
                self.observations.append(Observation(id_, endpoint, d, found))
            if kind == "changed":
                self._sample_change(endpoint, d)

    def finish(self, *, propose_volatile: bool) -> Analysis:
        """Counts completed, clusters formed, volatile locations proposed if asked."""
        analysis = self.analysis
        for classification in CLASSIFICATIONS:
            analysis.counts.setdefault(classification, 0)
        analysis.clusters = cluster(
            self.observations, self.endpoints, endpoint_features=self.features
        )
        if propose_volatile:
            analysis.volatile = volatile_locations(
                (endpoint, d) for (endpoint, _), items in self.changes.items() for d in items
            )
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
    differences = [
        {
            "location": j.difference.location,
            "kind": j.difference.kind,
            "legacy": j.difference.legacy,
            "candidate": j.difference.candidate,
            "noise": j.noise,
            "accepted": j.accepted,
        }
        for j in judgement.differences
    ]
    request = stored.request
    verdict = judgement.verdict
    return _line(
        (stored.id, request.method, request.path, stored.query, endpoint, candidate),
        (verdict.classification, verdict.reason),
        differences,
    )


def earlier_json_line(row: Sequence[Any]) -> bytes:
    """`json_line` for a verdict an earlier run stored (a `earlier_verdicts` row)."""
    *request, classification, reason, differences = row
    found = [
        {**d, "legacy": _loads(d["legacy"]), "candidate": _loads(d["candidate"])}
        for d in differences or ()
    ]
    return _line(request, (classification, reason), found)


def _line(request: Sequence[Any], verdict: Sequence[Any], differences: list[Any]) -> bytes:
    id_, method, path, query, endpoint, candidate = request
    document = {
        "id": id_,
        "method": method,
        "path": path,
        "query": query,
        "endpoint": endpoint,
        "candidate": candidate,
        "classification": verdict[0],
        "reason": verdict[1],
        # By location, so a line reads the same whether judged now or read back.
        "differences": sorted(differences, key=lambda d: (d["location"], d["kind"])),
    }
    return orjson.dumps(document, default=str) + b"\n"


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, default=str).decode()


def _loads(value: str | None) -> Any:
    return None if value is None else orjson.loads(value)


def analysis_fingerprint(
    config: Config, spec: Spec | None, noisy: frozenset[tuple[str, str]]
) -> str:
    """What a run's verdicts depend on besides the exchanges: equal fingerprints, equal
    verdicts for the same exchange (the twinsight version included)."""
    inputs = {
        "twinsight": __version__,
        "tables": DERIVED_FORMAT,
        "spec": spec.model_dump(mode="json") if spec else None,
        "normalize": [rule.model_dump(mode="json") for rule in config.normalize],
        "targets": {name: str(url) for name, url in config.targets.items()},
        "noisy": sorted(noisy),
    }
    return hashlib.sha256(orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def analyse_store(
    path: Path | None,
    segments: Path | None,
    *,
    config: Config,
    spec: Spec | None,
    json_out: BinaryIO | None = None,
    full: bool = False,
) -> Analysis:
    """Judge the exchanges of a store, write the derived tables, return what was decided.

    Incremental: when the last run was computed with the same spec, rules, targets and
    replica noise, only exchanges it has not classified are judged and added (`full`
    judges everything again). Counts and clusters always cover every exchange.
    """
    judge = Judge(
        spec=spec,
        rules=rules_from(config.normalize, spec),
        origins={name: origins_of(str(url)) for name, url in config.targets.items()},
    )
    derived = derived_location(path, segments)
    earlier = None if full else analysis_state(derived)
    with tempfile.TemporaryDirectory(prefix="twinsight-analyze-") as scratch:
        collector = Collector(spill=Path(scratch))
        connection = open_store(path, segments)
        try:
            fingerprint, incremental, noisy = _judge_store(
                connection, judge, config, earlier, collector, json_out
            )
            left_out = unanswered(connection)
        finally:
            connection.close()
        if incremental:
            collector.seed(earlier_differences(derived), earlier_counts(derived))
        analysis = collector.finish(propose_volatile=not noisy)
        analysis.analysed = analysis.classifications.rows  # earlier rows stay in the store
        analysis.unanswered = left_out
        appended = frozenset({"classifications", "differences", "checks"})
        write_derived(
            derived,
            analysis.tables(),
            append=appended if incremental else frozenset(),
            state=AnalysisState(fingerprint, collector.now, sum(analysis.counts.values())),
        )
    if spec is not None:
        analysis.coverage = scenario_runs(spec, scenario_counts(derived))
    return analysis


def _judge_store(
    connection: Any,
    judge: Judge,
    config: Config,
    earlier: AnalysisState | None,
    collector: Collector,
    json_out: BinaryIO | None,
) -> tuple[str, bool, frozenset[tuple[str, str]]]:
    """Judge the store open on `connection` into `collector`; (fingerprint, whether only new
    exchanges were judged, the replica's noisy locations)."""
    spec = judge.spec
    endpoints = Endpoints(
        [
            (s.when.request.method, s.when.request.template)
            for s in (spec.scenarios if spec else ())
            if s.when.request is not None
        ]
    )
    endpoints.learn(request_lines(connection))
    noisy: frozenset[tuple[str, str]] = frozenset()
    if "replica" in targets(connection):
        first = analyse(read_exchanges(connection), judge, endpoints)
        noisy = statistical_noise(first, NoiseThresholds())
    fingerprint = analysis_fingerprint(config, spec, noisy)
    incremental = earlier is not None and earlier.fingerprint == fingerprint
    if json_out is not None and incremental:
        for row in earlier_verdicts(connection):
            json_out.write(earlier_json_line(row))
    exchanges = read_exchanges(connection, only_new=incremental)
    left_out = collector.analysis.left_out
    for result in analyse(exchanges, replace(judge, noisy=noisy), endpoints, left_out):
        collector.add(*result)
        if json_out is not None:
            json_out.write(json_line(*result))
    return fingerprint, incremental, noisy


@dataclass(frozen=True)
class ScenarioRun:
    """How traffic exercised one scenario: exchanges, and per target how many passed."""

    name: str
    exchanges: int
    passed: dict[str, int]  # target -> exchanges whose every checked line passed
    bound_lines: int
    unbound_lines: int

    def line(self) -> str:
        """One line for the terminal."""
        checks = f"{self.bound_lines} line(s) checked, {self.unbound_lines} not machine-checked"
        if not self.exchanges:
            return f"{self.name}: not exercised ({checks})"
        rates = ", ".join(
            f"{target} {count}/{self.exchanges}"
            for target, count in sorted(self.passed.items(), key=lambda i: i[0] != "legacy")
        )
        return f"{self.name}: {self.exchanges} exchange(s), passed {rates} ({checks})"


def scenario_runs(spec: Spec, counts: Sequence[tuple[str, str, int, int]]) -> list[ScenarioRun]:
    """Every scenario of `spec` with the `scenario_counts` rows that name it, in spec order."""
    exchanges: Counter[str] = Counter()
    passed: dict[str, dict[str, int]] = {}
    for scenario, target, total, ok in counts:
        if target == "legacy":
            exchanges[scenario] = total
        passed.setdefault(scenario, {})[target] = ok
    return [
        ScenarioRun(
            c.name,
            exchanges[c.name],
            passed.get(c.name, {}),
            len(c.bound_lines),
            len(c.unbound_lines),
        )
        for c in spec_coverage(spec).scenarios
    ]
