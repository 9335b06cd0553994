"""`twinsight ready`'s shell: analyze what is new, read the evidence, evaluate the rules.

The rules themselves are pure (`readiness.evaluate`); this module only reads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from twinsight.config import Config
from twinsight.errors import UserError
from twinsight.events import ReadinessVerdict, RuleOutcome
from twinsight.spec import Spec
from twinsight.store import Store
from twinsight.store.loads import load_run, load_runs

from .constraints import as_outcomes, measure_constraints, unmatched
from .load_choice import choose_run, renamed
from .origins import target_origins
from .readiness import Evidence, evaluate
from .service import analyze_store

__all__ = ["assess_store", "chosen_candidate", "load_constraints", "read_evidence"]


def assess_store(
    path: Path | None,
    segments: Path | None,
    *,
    config: Config,
    spec: Spec | None,
    candidate: str | None = None,
) -> ReadinessVerdict:
    """The readiness verdict on the store at `path` / `segments` for `candidate` (the only
    one, when not named). Runs the incremental analysis first: cheap when nothing is new."""
    analysis = analyze_store(path, segments, config=config, spec=spec)
    evidence = read_evidence(path, segments, spec=spec, candidate=candidate)
    comparison = [rule.model_dump(mode="json") for rule in config.normalize]
    comparison += [{"accepted": a.where, "why": a.why} for a in (spec.accepted if spec else ())]
    measured = load_constraints(path, segments, evidence, config)
    evidence = Evidence(
        evidence.stored, analysis.coverage, evidence.constraints, comparison, measured
    )
    return evaluate(evidence, config.readiness)


def load_constraints(
    path: Path | None, segments: Path | None, evidence: Evidence, config: Config
) -> list[RuleOutcome]:
    """The spec's constraints as the latest load run against the judged targets measured
    them, that run named in each; with no such run, the constraints only load measures
    are not measurable (stored traffic measures the latency bounds)."""
    if not evidence.constraints:
        return []
    candidate = evidence.stored.candidate
    with Store.open(path, segments) as store:
        origins = target_origins(config, store.base_urls())
    choice = choose_run(
        load_runs(path, segments),
        origins,
        candidate,
        newest_traffic=_moment(evidence.stored.window[1]),
        now=datetime.now(UTC),
    )
    if choice.run is None:
        return unmatched(evidence.constraints, choice.note)
    rows = renamed(load_run(path, segments, choice.run.run), choice.names)
    results = measure_constraints(evidence.constraints, rows, config.readiness.confidence)
    return as_outcomes(results, candidate, choice.note)


def _moment(text: str | None) -> datetime | None:
    """A stored timestamp's text as an aware datetime (None when there is none)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_evidence(
    path: Path | None,
    segments: Path | None,
    *,
    spec: Spec | None,
    candidate: str | None = None,
) -> Evidence:
    """What a store (already analysed) says about `candidate`, with the spec's constraints."""
    with Store.open(path, segments) as store:
        name = chosen_candidate(store.candidates(), candidate)
        stored = store.evidence(name, [p for p in (path, segments) if p is not None])
    constraints = [
        (group, c.name, c.requirement, c.measurement or "")
        for group, items in (spec.constraints.items() if spec else ())
        for c in items
    ]
    return Evidence(stored, (), constraints)


def chosen_candidate(found: list[str], wanted: str | None) -> str:
    """The candidate judged: `wanted` if the store knows it, else the only one there is."""
    if wanted is not None:
        if found and wanted not in found:
            raise UserError(f"no candidate {wanted!r} in the store (found: {', '.join(found)})")
        return wanted
    if len(found) > 1:
        raise UserError(f"the store has several candidates ({', '.join(found)}): name one")
    if not found:
        raise UserError("the store has no candidate's answers to judge")
    return found[0]
