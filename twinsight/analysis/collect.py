"""Gathering judgements into the analysis tables: one row per classification, check and
difference, handed to the store as typed rows, with the counts and clusters to print."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from twinsight.records import PRIMARY_TARGET, is_finding_session
from twinsight.spec import Spec, spec_coverage
from twinsight.store import (
    CHECKS,
    CLASSIFICATIONS,
    CLUSTER_HISTORY,
    CLUSTER_STATE,
    CLUSTERS,
    DIFFERENCES,
    CheckRow,
    ClassificationRow,
    ClusterRow,
    ClusterStateRow,
    Columns,
    DifferenceRow,
    EarlierCounts,
    HistoryRow,
    ScenarioCount,
)

from .classify import CLASSIFICATIONS as VERDICTS
from .cluster_state import Samples, clustering_rows, restored
from .clusters import INFERRED, Cluster, Clustering, Observation
from .features import request_features
from .noise import Volatile, volatile_locations
from .pipeline import JudgedExchange

__all__ = [
    "CLUSTERED",
    "SAMPLED_KINDS",
    "Analysis",
    "Collector",
    "ScenarioRun",
    "scenario_runs",
]

CLUSTERED = frozenset({"unexplained", "regression"})
"""The verdicts whose real differences are clustered and explained."""
SAMPLED_KINDS = frozenset({"changed"})
"""The kinds of real difference sampled for volatile proposals."""


@dataclass
class Analysis:
    """What one run decided: the derived tables, and the counts and clusters to print."""

    # The rows this run derived. A `Collector` that spills (as `analyze_store`'s does) keeps
    # them only while the run lasts: afterwards read them in the store (`rows` stays).
    classifications: Columns = field(default_factory=lambda: Columns(CLASSIFICATIONS))
    differences: Columns = field(default_factory=lambda: Columns(DIFFERENCES))
    checks: Columns = field(default_factory=lambda: Columns(CHECKS))
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
    """Pairs this run did not compare, by reason (an unsent mirror, no legacy answer, no
    candidate answer)."""
    degraded: Counter[str] = field(default_factory=Counter)
    """Replayed exchanges whose request the replay changed, by kind of note (a credential
    left out, a redacted value sent as-is ...): an exchange counts once per kind."""
    degraded_exchanges: int = 0
    """Replayed exchanges with at least one such note."""
    unmirrored: int = 0
    """Writes the capture served but never mirrored, so never compared."""
    unreplayed: int = 0
    """Exchanges no candidate answered (recorded or imported) that no replay repeats."""
    replayed_recordings: int = 0
    """Recordings no candidate answered whose replay in the store was compared instead."""
    fixed: list[HistoryRow] = field(default_factory=list)
    """Clusters of the previous run this one no longer finds, as that run recorded them."""
    recorded: bool = True
    """Whether this run judged anew and so is a run of `cluster_history`; a re-read is not,
    and its statuses and `fixed` are those of the last run it read again."""

    def tables(self, analysed_at: datetime) -> list[Columns]:
        """`classifications`, `differences`, `checks`, `clusters`, and when this run is
        `recorded`, the clusters' rows of `cluster_history` for it (at `analysed_at`)."""
        clusters, history = Columns(CLUSTERS), Columns(CLUSTER_HISTORY)
        for found in self.clusters:
            clusters.add(_cluster_row(found))
            history.add(_history_row(found, analysed_at))
        tables = [self.classifications, self.differences, self.checks, clusters]
        return [*tables, history] if self.recorded else tables


def _cluster_row(c: Cluster) -> ClusterRow:
    examples = [{"legacy": d.legacy, "candidate": d.candidate} for d in c.examples]
    shown = orjson.dumps(examples, default=str).decode()
    endpoints = c.endpoints
    return ClusterRow(
        *(c.endpoint, c.location, c.kind, c.pattern, c.count, c.share, c.description),
        *(c.hypotheses, c.followers, shown, c.sample_ids()),
        endpoints=[e for e, _, _ in endpoints],
        endpoint_exchanges=[n for _, n, _ in endpoints],
        endpoint_shares=[share for _, _, share in endpoints],
        of_endpoints=c.of_endpoints,
        noise=c.noise or None,
        fingerprint=c.fingerprint,
        status=c.status or None,
    )


def _history_row(c: Cluster, analysed_at: datetime) -> HistoryRow:
    return HistoryRow(
        *(c.fingerprint, analysed_at, c.count, c.location, c.kind, c.pattern, c.description),
        noise=c.noise or None,
        endpoints=[e for e, _, _ in c.endpoints],
    )


class Collector:
    """Gathers judgements, one at a time, into an `Analysis`."""

    def __init__(self, *, volatile_samples: int = 200, spill: Path | None = None) -> None:
        """`spill`: a folder where the classifications, differences and checks go as they
        grow (a million exchanges' rows are not held at once)."""
        self.analysis = Analysis()
        if spill is not None:
            for name, table in (
                ("classifications", CLASSIFICATIONS),
                ("differences", DIFFERENCES),
                ("checks", CHECKS),
            ):
                setattr(self.analysis, name, Columns(table, spill=spill / f"{name}.parquet"))
        self.now = datetime.now(UTC)
        self.clustering = Clustering()
        """Real differences and inferred noise, grouped by cause as they come."""
        self.endpoints: Counter[str] = Counter()
        self.features: dict[str, Counter[str]] = {}  # endpoint -> request feature -> count
        self.changes: Samples = {}
        self.volatile_samples = volatile_samples

    def add(self, result: JudgedExchange) -> None:
        """Record one exchange's judgement for one candidate."""
        stored, endpoint, _, judgement = result
        verdict, analysis, request = judgement.verdict, self.analysis, stored.request
        features = request_features(request.path, dict(request.query), request.body)
        self.endpoints[endpoint] += 1
        self.features.setdefault(endpoint, Counter()).update(features)
        analysis.counts[verdict.classification] += 1
        analysis.classifications.add(
            ClassificationRow(
                *_key(result),
                verdict.classification,
                verdict.reason,
                analysed_at=self.now,
                features=sorted(features),
            )
        )
        self._add_checks(result)
        self._add_differences(result, features)

    def _add_checks(self, result: JudgedExchange) -> None:
        for line in result.judgement.lines:
            for target, outcome in (
                (PRIMARY_TARGET, line.legacy),
                (result.candidate, line.candidate),
            ):
                self.analysis.checks.add(
                    CheckRow(
                        *_key(result),
                        scenario=line.scenario,
                        line=line.line,
                        target=target,
                        passed=outcome.passed,
                        reason=outcome.reason or None,
                    )
                )

    def _add_differences(self, result: JudgedExchange, features: frozenset[str]) -> None:
        stored, endpoint, _, judgement = result
        finding = is_finding_session(stored.session)
        for judged in judgement.differences:
            d = judged.difference
            self.analysis.differences.add(
                DifferenceRow(
                    *_key(result),
                    location=d.location,
                    location_group=d.group,
                    kind=d.kind,
                    legacy_value=_json(d.legacy),
                    candidate_value=_json(d.candidate),
                    noise=judged.noise,
                    accepted=judged.accepted,
                )
            )
            if judged.real:
                observed = Observation(stored.id, endpoint, d, features, finding=finding)
                self._remember(observed, judgement.verdict.classification)
            elif judged.noise and judged.noise.startswith(INFERRED):
                # Inferred noise is clustered apart, so it shows.
                noise = judged.noise
                self.clustering.add(Observation(stored.id, endpoint, d, features, noise, finding))

    def _remember(self, observed: Observation, classification: str) -> None:
        """Keep a real difference for clustering and for volatile proposals."""
        d = observed.difference
        if classification in CLUSTERED:
            self.clustering.add(observed)
        if d.kind in SAMPLED_KINDS:
            samples = self.changes.setdefault((observed.endpoint, d.group), [])
            if len(samples) < self.volatile_samples:
                samples.append(d)

    def seed(self, state: Iterable[ClusterStateRow], counts: EarlierCounts) -> None:
        """Start from what earlier runs recorded (the clustering the last one kept), so
        counts, clusters and proposals cover every exchange, this run's after theirs."""
        self.endpoints.update(counts.by_endpoint)
        self.analysis.counts.update(counts.by_classification)
        for (endpoint, feature), count in counts.features.items():
            self.features.setdefault(endpoint, Counter())[feature] += count
        earlier, samples = restored(state, self.clustering.examples)
        earlier.merge(self.clustering)
        self.clustering = earlier
        for key, found in self.changes.items():
            kept = samples.setdefault(key, [])
            kept.extend(found[: self.volatile_samples - len(kept)])
        self.changes = samples

    def state(self) -> Columns:
        """The clustering and samples to keep for the next run (`cluster_state`)."""
        rows = Columns(CLUSTER_STATE)
        for row in clustering_rows(self.clustering, self.changes):
            rows.add(row)
        return rows

    def finish(self, *, propose_volatile: bool) -> Analysis:
        """Counts completed, clusters formed, volatile locations proposed if asked."""
        analysis = self.analysis
        for classification in VERDICTS:
            analysis.counts.setdefault(classification, 0)
        analysis.clusters = self.clustering.finish(self.endpoints, endpoint_features=self.features)
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


def _key(result: JudgedExchange) -> tuple[str, str, str]:
    """What every analysis row starts with: (exchange id, candidate, endpoint)."""
    return result.stored.id, result.candidate, result.endpoint


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, default=str).decode()


def scenario_runs(spec: Spec, counts: Sequence[ScenarioCount]) -> list[ScenarioRun]:
    """Every scenario of `spec` with the counts that name it, in spec order."""
    exchanges: Counter[str] = Counter()
    passed: dict[str, dict[str, int]] = {}
    for count in counts:
        if count.target == PRIMARY_TARGET:
            exchanges[count.scenario] = count.exchanges
        passed.setdefault(count.scenario, {})[count.target] = count.passed
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
