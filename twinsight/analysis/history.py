"""Run over run: which causes are new, still there, back again, or gone.

Each analysis run records the fingerprints of its clusters (`cluster_history`). Against
the previous run and every run before it, a cluster of this run is `new` (never seen),
`persisting` (in the previous run) or `regressed` (seen before, absent from the previous
run, back now); a fingerprint of the previous run missing from this one is `fixed`.

Only a run that judged anew is a run of history (`judged_anew`): one whose settings
fingerprint differs from the last recorded run's, or that classified exchanges that run
had not. `report`, `ready` and `propose` analyse what is new before they read; when nothing
is, theirs is a re-read that records nothing and shows the last run as it was (its
statuses and what it fixed), so the next real run is still compared with the last real one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from twinsight.store import AnalysisRun, ClusterPast, HistoryRow

from .clusters import Cluster

__all__ = [
    "FIXED",
    "NEW",
    "PERSISTING",
    "REGRESSED",
    "RunStatus",
    "judged_anew",
    "mark",
    "statuses",
]

NEW, PERSISTING, REGRESSED, FIXED = "new", "persisting", "regressed", "fixed"


@dataclass(frozen=True)
class RunStatus:
    """The status of each fingerprint of this run, and those of the previous run gone."""

    of: dict[str, str]  # fingerprint of this run -> NEW, PERSISTING or REGRESSED
    fixed: list[str]  # of the previous run, not of this one; sorted


def statuses(
    current: Collection[str], previous: Collection[str], earlier: Collection[str]
) -> RunStatus:
    """Each of `current` against `previous` (the last run's fingerprints) and `earlier`
    (those of every run before it)."""
    last, before = set(previous), set(earlier)
    of = {
        name: PERSISTING if name in last else REGRESSED if name in before else NEW
        for name in current
    }
    return RunStatus(of, sorted(last - set(current)))


def mark(clusters: Sequence[Cluster], past: ClusterPast) -> list[HistoryRow]:
    """Set each cluster's `status` against `past`; the previous run's rows now fixed, in
    fingerprint order."""
    found = statuses([c.fingerprint for c in clusters], past.previous, past.earlier)
    for c in clusters:
        c.status = found.of[c.fingerprint]
    return [past.previous[name] for name in found.fixed]


def judged_anew(last: AnalysisRun | None, run: AnalysisRun) -> bool:
    """Whether `run` is a new run of history against `last`, the last run that recorded its
    clusters (None: none did): its settings fingerprint differs, or it classified another
    number of exchanges (the store only grows, so more: some were new). Equal in both, the
    verdicts and so the clusters are the last run's again: a re-read."""
    if last is None:
        return True
    return (last.fingerprint, last.exchanges) != (run.fingerprint, run.exchanges)
