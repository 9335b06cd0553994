"""`twinsight accept --as scenario`: merge the clusters' proposed scenarios into the spec."""

from __future__ import annotations

import datetime
from pathlib import Path

from twinsight.analysis.proposals.service import store_proposals
from twinsight.cli.console import err
from twinsight.cli.edits import Edit
from twinsight.config import Config
from twinsight.errors import UserError
from twinsight.spec import Spec
from twinsight.spec.dump import to_yaml_data
from twinsight.spec.edit import Item, add_items
from twinsight.store import ClusterRow

__all__ = ["scenario_edit"]


def scenario_edit(
    file: Path,
    spec: Spec,
    chosen: list[ClusterRow],
    settings: Config,
    store: Path | None,
    segments: Path | None,
    why: str,
    by: str,
    at: datetime.date,
) -> Edit:
    """The spec with each chosen cluster's proposal appended to its scenarios, the
    evidence and who/why/when as a comment above it; clusters without one are named."""
    noise = [c for c in chosen if c.noise]
    if noise:
        raise UserError(
            f"cluster {noise[0].fingerprint} is inferred noise ({noise[0].noise}): there is "
            "no behaviour to pin; accept it --as noise or --as accepted"
        )
    run = store_proposals(store, segments, config=settings, spec=spec)
    offered = {p.fingerprint: p for p in run.proposals}
    reasons = {s.fingerprint: s.reason for s in run.skipped}
    items, added = [], []
    for cluster in chosen:
        proposal = offered.get(cluster.fingerprint or "")
        if proposal is None:
            reason = reasons.get(cluster.fingerprint or "", "no scenario could be proposed")
            err.print(f"skipped {cluster.fingerprint}: {reason}", markup=False)
            continue
        said = f"{cluster.fingerprint}, merged {at.isoformat()} by {by}: {why}"
        items.append(Item(to_yaml_data(proposal.scenario), (said, *proposal.evidence), True))
        added.append(f"{cluster.fingerprint}: scenario {proposal.scenario.name!r}")
    if not items and chosen:
        raise UserError("no scenario to merge: every cluster named was skipped (see above)")
    text = file.read_text(encoding="utf-8")
    return Edit(file, text, add_items(text, "scenarios", items), "spec", added)
