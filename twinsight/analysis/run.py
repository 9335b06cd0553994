"""`twinsight analyze`: every stored exchange judged for every candidate, into tables.

The thin shell around the pure pipeline: read exchanges, judge each, collect
columns, hand Arrow tables to the store. Counting and grouping afterwards is SQL.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from twinsight import __version__
from twinsight.config import Config
from twinsight.spec import Spec, spec_coverage
from twinsight.store import (
    AnalysisState,
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

from .collect import Analysis, Collector, Columns, ScenarioRun, _loads
from .endpoints import Endpoints
from .judge import Judge, Judgement
from .load import Stored, read_exchanges, rules_from
from .noise import NoiseThresholds, real_locations
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
