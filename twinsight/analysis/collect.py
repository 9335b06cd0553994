"""Gathering judgements into the analysis tables: one row per classification, check and
difference, collected as Arrow columns, with the counts and clusters to print."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from twinsight.store import EarlierCounts

from .classify import CLASSIFICATIONS
from .clusters import Cluster, Observation, cluster
from .diff import Difference
from .features import request_features
from .judge import Judgement
from .load import Stored
from .noise import Volatile, volatile_locations

__all__ = [
    "CHECKED",
    "CLASSIFIED",
    "CLUSTERED",
    "DIFFERENT",
    "Analysis",
    "Collector",
    "Columns",
    "ScenarioRun",
]


CLASSIFIED = pa.schema(
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
CHECKED = pa.schema(
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
DIFFERENT = pa.schema(
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

    classifications: Columns = field(default_factory=lambda: Columns(CLASSIFIED))
    differences: Columns = field(default_factory=lambda: Columns(DIFFERENT))
    checks: Columns = field(default_factory=lambda: Columns(CHECKED))
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
            "clusters": pa.Table.from_pylist(rows, schema=CLUSTERED),
        }


CLUSTERED = pa.schema(
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


class Collector:
    """Gathers judgements, one at a time, into an `Analysis`."""

    def __init__(self, *, volatile_samples: int = 200, spill: Path | None = None) -> None:
        """`spill`: a folder where the differences and checks go as they grow."""
        self.analysis = Analysis()
        if spill is not None:
            self.analysis.differences = Columns(DIFFERENT, spill=spill / "differences.parquet")
            self.analysis.checks = Columns(CHECKED, spill=spill / "checks.parquet")
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
        self._add_checks(stored, endpoint, name, judgement)
        self._add_differences(stored, endpoint, name, judgement, features)

    def _add_checks(self, stored: Stored, endpoint: str, name: str, judgement: Judgement) -> None:
        for line in judgement.lines:
            for target, result in (("legacy", line.legacy), (name, line.candidate)):
                self.analysis.checks.add(
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

    def _add_differences(
        self,
        stored: Stored,
        endpoint: str,
        name: str,
        judgement: Judgement,
        features: frozenset[str],
    ) -> None:
        classification = judgement.verdict.classification
        for judged in judgement.differences:
            d = judged.difference
            self.analysis.differences.add(
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
            if classification in ("unexplained", "regression"):
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


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, default=str).decode()


def _loads(value: str | None) -> Any:
    return None if value is None else orjson.loads(value)
