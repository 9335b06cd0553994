"""The report's shell: read what the store holds, then assemble (pure) the report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from twinsight.analysis.collect import scenario_runs
from twinsight.config import Config
from twinsight.events import ReadinessVerdict
from twinsight.records import PRIMARY_TARGET
from twinsight.spec import Spec, spec_coverage
from twinsight.store import Derived
from twinsight.store.reportdata import ReportReader

from .assemble import ConfiguredRule, StoreFacts, assemble_report
from .document import ReportData

__all__ = ["configured_rules", "gather_report", "read_facts"]

CLUSTERS_SHOWN = 30
EXAMPLES_PER_CLUSTER = 3


def gather_report(
    path: Path | None,
    segments: Path | None,
    *,
    verdict: ReadinessVerdict,
    config: Config,
    spec: Spec | None,
    command: str,
) -> ReportData:
    """The report of `verdict` over the store at `path` / `segments` (analysed already)."""
    facts = read_facts(path, segments, candidate=verdict.candidate, spec=spec)
    return assemble_report(
        verdict,
        facts,
        rules=configured_rules(config, spec),
        targets={name: str(url) for name, url in config.targets.items()},
        legacy=PRIMARY_TARGET,
        command=command,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        examples_per_cluster=EXAMPLES_PER_CLUSTER,
    )


def read_facts(
    path: Path | None, segments: Path | None, *, candidate: str, spec: Spec | None
) -> StoreFacts:
    """Everything a report shows that the store holds, read in one pass."""
    # The derived file is read on its own before the store's views attach it.
    derived = Derived.of(path, segments)
    counts = derived.scenario_counts() if spec is not None else []
    fixes = derived.run_fixes()
    with ReportReader(path, segments) as reader:
        clusters = reader.clusters(limit=CLUSTERS_SHOWN)
        ids = [i for c in clusters for i in c.exchange_ids[:EXAMPLES_PER_CLUSTER]]
        examples = reader.examples(ids, candidate=candidate)
        return StoreFacts(
            info=reader.info(),
            clusters=clusters,
            clusters_total=reader.cluster_total(),
            examples={e.id: e for e in examples},
            suppressions=reader.suppressions(candidate=candidate),
            latencies=reader.latencies(legacy=PRIMARY_TARGET, candidate=candidate),
            timeline=reader.timeline(candidate=candidate),
            extent=reader.extent(candidate=candidate),
            sides=reader.sides(),
            scenarios=scenario_runs(spec, counts) if spec is not None else (),
            coverage=spec_coverage(spec) if spec is not None else None,
            fixes=fixes,
        )


def configured_rules(config: Config, spec: Spec | None) -> Sequence[ConfiguredRule]:
    """The config's normalization rules and the spec's accepted differences, in that order."""
    rules = [
        ConfiguredRule("normalize", r.where, r.compare, r.why, r.by or "", _day(r.at))
        for r in config.normalize
    ]
    if spec is not None:
        rules += [
            ConfiguredRule("accepted", a.where, "accepted", a.why, a.by or "", _day(a.at))
            for a in spec.accepted
        ]
    return rules


def _day(at: date | None) -> str:
    return at.isoformat() if at is not None else ""
