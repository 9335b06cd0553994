"""`twinsight propose`'s analysis side: analyse what is new, read each cluster's examples,
propose, and write the proposals as a spec file people review."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from twinsight.analysis.progress import announce
from twinsight.analysis.readiness_service import chosen_candidate
from twinsight.analysis.service import analyze_store, endpoints_of
from twinsight.config import Config
from twinsight.spec import Spec, dump_spec
from twinsight.spec.edit import comment_lines
from twinsight.store import Store

from . import Proposal, Skipped, propose
from .gather import cases_of

__all__ = ["ProposalRun", "proposal_file", "store_proposals"]


@dataclass
class ProposalRun:
    """What `propose` found: a proposal per cluster, and the clusters it skipped."""

    candidate: str
    proposals: list[Proposal] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    clusters: int = 0  # clusters of real differences looked at
    noise: int = 0  # clusters of inferred noise, never proposed


def store_proposals(
    path: Path | None,
    segments: Path | None,
    *,
    config: Config,
    spec: Spec | None,
    candidate: str | None = None,
) -> ProposalRun:
    """Proposals for the clusters of the store at `path` / `segments` (analysed first: cheap
    when nothing is new)."""
    analysis = analyze_store(path, segments, config=config, spec=spec)
    announce("examples")
    with Store.open(path, segments) as store:
        name = chosen_candidate(store.candidates(), candidate)
        name_of = endpoints_of(store, spec).of
        cases = cases_of(analysis.clusters, store, name, name_of)
    proposals, skipped = propose(cases, spec)
    noise = sum(1 for c in analysis.clusters if c.noise)
    return ProposalRun(name, proposals, skipped, len(cases), noise)


def proposal_file(run: ProposalRun, feature: str) -> str:
    """The proposals as a spec file (`twinsight spec check` loads it), evidence above each."""
    header = "\n".join(
        [
            f"Proposed scenarios for {feature}: {len(run.proposals)} from "
            f"{run.clusters} cluster(s) of real differences (candidate {run.candidate!r}).",
            "Each pins the legacy's observed behaviour; review, edit, and merge the ones you",
            "want into your spec (or `twinsight accept CLUSTER --as scenario`).",
            *(f"skipped {s.fingerprint}: {s.reason}" for s in run.skipped),
        ]
    )
    spec = Spec(feature=feature, scenarios=tuple(p.scenario for p in run.proposals))
    # Evidence quotes recorded text (a request body, a value): a CR or U+2028 there would
    # end the comment line and leave the rest to be read as YAML.
    notes = [[line for e in p.evidence for line in comment_lines(e)] for p in run.proposals]
    return dump_spec(spec, header="\n".join(comment_lines(header)), notes=notes)
