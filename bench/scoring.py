"""What a labelled run scored: recall, false alarms, clusters per cause, mislabelled requests.

Shared by `accuracy.py`'s cases: a `Judged` per request (its label and twinsight's
verdict), added up into a `Score` per (case, analysis) row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

AGREE = frozenset({"match", "noise", "agreeing"})
"""Labels (and verdicts) of requests on which the two versions agree in meaning."""
COARSE = frozenset({"agreeing", "divergent"})
"""Labels that say only whether a request should be flagged, not as what (real service)."""


@dataclass(frozen=True)
class Judged:
    """One step of a session: its label and twinsight's verdict."""

    number: int  # from 1, as DIVERGENCES.md counts steps
    request: str
    expected: str
    causes: frozenset[str]  # the real causes it exercises; none when the versions agree
    got: str
    reason: str


@dataclass
class Score:
    """What one configuration scored over one or more runs of a labelled session."""

    divergent: int = 0
    caught: int = 0
    agreeing: int = 0
    alarms: int = 0
    clusters: int = 0
    causes: int = 0
    wrong: Counter[tuple[int, str, str, str]] = field(default_factory=Counter)
    """(step, request, expected, got) -> runs in which that step ended so."""
    reasons: dict[tuple[int, str, str, str], str] = field(default_factory=dict)
    """The reason given the first time (values differ from run to run)."""

    @property
    def recall(self) -> float:
        """Divergent requests flagged, of all divergent requests."""
        return self.caught / self.divergent if self.divergent else 1.0

    @property
    def false_alarms(self) -> float:
        """Agreeing requests flagged, of all agreeing requests."""
        return self.alarms / self.agreeing if self.agreeing else 0.0

    @property
    def clusters_per_cause(self) -> float:
        """Real clusters per planted divergence exercised."""
        return self.clusters / self.causes if self.causes else 0.0


def _wrong(one: Judged) -> bool:
    if one.expected in COARSE:
        return (one.got in AGREE) != (one.expected in AGREE)
    return one.got != one.expected


def score(judged: Sequence[Judged], real_clusters: int, into: Score | None = None) -> Score:
    """Add one run's verdicts and its count of real clusters to `into` (a new Score)."""
    total = into if into is not None else Score()
    for one in judged:
        flagged = one.got not in AGREE
        if one.expected in AGREE:
            total.agreeing += 1
            total.alarms += flagged
        else:
            total.divergent += 1
            total.caught += flagged
        if _wrong(one):
            key = (one.number, one.request, one.expected, one.got)
            total.wrong[key] += 1
            total.reasons.setdefault(key, one.reason)
    total.causes += len(set().union(*(one.causes for one in judged)))
    total.clusters += real_clusters
    return total


def table(scores: dict[tuple[str, str], Score], rounds: int) -> list[str]:
    """The figures as a markdown table."""
    lines = [
        f"| case | analysis | recall | false alarms | clusters / cause | mislabelled "
        f"(of {rounds} run(s)) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for (case, setup), s in scores.items():
        lines.append(
            f"| {case} | {setup} | {s.recall:.2f} ({s.caught}/{s.divergent}) "
            f"| {s.false_alarms:.1%} ({s.alarms}/{s.agreeing}) "
            f"| {s.clusters_per_cause:.2f} ({s.clusters}/{s.causes}) "
            f"| {sum(s.wrong.values())} |"
        )
    return lines


def mislabelled(scores: dict[tuple[str, str], Score]) -> Iterable[str]:
    """Per row, every step that did not end in its label: what a developer fixes next."""
    for (case, setup), s in scores.items():
        if not s.wrong:
            continue
        yield f"\n#### {case}, {setup}: steps not classified as labelled\n"
        yield "| step | request | expected | got | reason | runs |"
        yield "|---:|---|---|---|---|---:|"
        for (number, request, expected, got), runs in sorted(s.wrong.items()):
            shown = s.reasons[(number, request, expected, got)].replace("|", "\\|")[:160]
            yield f"| {number} | `{request}` | {expected} | {got} | {shown} | {runs} |"
