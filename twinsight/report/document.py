"""The report as plain data: everything the HTML, Markdown and JSON renderings show.

Built by `assemble.assemble_report` from the readiness verdict and what the store holds;
every renderer reads only this, so the three say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from twinsight.events import EndpointEvidence, ReadinessVerdict, RuleOutcome

__all__ = [
    "Answer",
    "ClusterView",
    "Example",
    "Figure",
    "FixedCluster",
    "FixedSince",
    "LatencyView",
    "LedgerRow",
    "OneSided",
    "ReportData",
    "ScenarioView",
    "TimelineBar",
    "Uncovered",
]


@dataclass(frozen=True)
class Figure:
    """One evidence figure of the banner: a number, what it counts, and a note."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Answer:
    """One target's answer to an example, ready to show: lines flagged where they differ."""

    target: str
    status: str  # the status code, or the error that stood for it
    latency_ms: float | None
    headers: tuple[tuple[str, str, bool], ...]  # name, value, differs
    body: tuple[tuple[str, bool], ...]  # line, differs
    note: str = ""  # truncated, binary, empty ...
    curl: str = ""  # the request as a curl command aimed at this target


@dataclass(frozen=True)
class Example:
    """One exchange of a cluster, shown side by side."""

    id: str
    request: str  # METHOD path?query
    ts: str
    differences: tuple[tuple[str, str], ...]  # (location, kind)
    answers: tuple[Answer, ...]  # the legacy first, then the candidate


@dataclass(frozen=True)
class ClusterView:
    """One cluster: its sentence, likely causes, size, and a few examples."""

    rank: int
    endpoint: str
    location: str
    kind: str
    pattern: str
    exchanges: int
    share: float  # of the exchanges of the endpoint(s) it is on
    description: str
    hypotheses: tuple[str, ...]
    followers: tuple[str, ...]
    examples: tuple[Example, ...] = ()
    endpoints: tuple[tuple[str, int, float], ...] = ()  # (endpoint, exchanges, share), several
    of_endpoints: int = 0  # endpoints analysed
    fingerprint: str = ""  # the cause's name, the same in every run; empty before they had one
    status: str = ""  # new, persisting or regressed, against the runs before

    @property
    def where(self) -> str:
        """The endpoint, or "N of M endpoints" for a cause on several."""
        if len(self.endpoints) <= 1:
            return self.endpoint
        return f"{len(self.endpoints)} of {self.of_endpoints} endpoints"


@dataclass(frozen=True)
class FixedCluster:
    """A cluster of the previous run the last run no longer found, as that run saw it."""

    fingerprint: str
    endpoints: tuple[str, ...]  # most affected first; empty when that run did not record them
    location: str
    kind: str
    description: str
    exchanges: int  # in the run it was last seen in
    seen_at: str  # ISO time of that run
    noise: bool = False  # inferred noise, not a real difference

    @property
    def where(self) -> str:
        """The endpoint(s), or a plain word when that run did not record them."""
        return ", ".join(self.endpoints) or "not recorded"


@dataclass(frozen=True)
class FixedSince:
    """What the last run fixed against the run before it (`previous`: "" when none ran)."""

    last: str = ""  # ISO time of the last recorded run ("": never analysed)
    previous: str = ""
    clusters: tuple[FixedCluster, ...] = ()

    @property
    def summary(self) -> str:
        """One sentence: how many were fixed and since when, or why nothing can be."""
        if not self.previous:
            return "First run: nothing to compare with."
        if not self.clusters:
            return f"Nothing fixed since the previous run ({self.previous})."
        return f"{len(self.clusters)} cluster(s) fixed since the previous run ({self.previous})."


@dataclass(frozen=True)
class ScenarioView:
    """How traffic exercised one scenario of the spec."""

    name: str
    exchanges: int
    passed: dict[str, int]  # target -> exchanges whose every checked line passed
    checked_lines: int
    unchecked: tuple[str, ...]  # lines no machine checks

    def pass_rate(self, target: str) -> float | None:
        """The share of exercising exchanges that passed on `target` (None: not exercised)."""
        return self.passed.get(target, 0) / self.exchanges if self.exchanges else None


@dataclass(frozen=True)
class LedgerRow:
    """A rule that keeps differences from counting, and how many it kept."""

    origin: str  # normalize (config), accepted (spec), replica or inferred (measured noise)
    where: str
    compare: str
    why: str
    differences: int
    exchanges: int
    by: str = ""  # who added the rule, when recorded
    at: str = ""  # when: an ISO date


@dataclass(frozen=True)
class LatencyView:
    """One endpoint's latency distribution on each target, as quantiles 0 % .. 100 %."""

    endpoint: str
    samples: dict[str, int]
    quantiles: dict[str, tuple[float, ...]]

    def percentile(self, target: str, p: int) -> float | None:
        """The `p`th percentile on `target` in milliseconds, if measured."""
        points = self.quantiles.get(target)
        if not points:
            return None
        return points[round(p * (len(points) - 1) / 100)]


@dataclass(frozen=True)
class TimelineBar:
    """Exchanges of one classification within one span of capture time."""

    start: str  # ISO time the span starts
    classification: str
    exchanges: int


@dataclass(frozen=True)
class OneSided:
    """An endpoint only one target really served (the other never answered, or 404/405)."""

    endpoint: str
    served_by: tuple[str, ...]
    not_by: tuple[str, ...]
    exchanges: int


@dataclass(frozen=True)
class Uncovered:
    """What the run did not compare, and why."""

    one_sided: tuple[OneSided, ...] = ()
    writes_not_mirrored: int = 0
    not_compared: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)  # dropped.REASON -> count
    lost: int = 0
    unclean_writers: int = 0
    capturing: bool = False  # a capture was writing: `lost` includes what it had not flushed
    served: int | None = None  # capture counters: None when traffic did not come live
    mirrored: int | None = None

    @property
    def mirrored_share(self) -> float | None:
        """The share of served traffic that was mirrored (None without capture counters)."""
        if not self.served or self.mirrored is None:
            return None
        return self.mirrored / self.served


@dataclass(frozen=True)
class ReportData:
    """A whole report."""

    title: str
    generated_at: str
    command: str
    verdict: ReadinessVerdict
    targets: dict[str, str]  # name -> URL (or "" when the config does not name it)
    legacy: str
    figures: tuple[Figure, ...]
    rules: tuple[RuleOutcome, ...]  # failing first
    endpoints: tuple[EndpointEvidence, ...]  # failing first
    clusters: tuple[ClusterView, ...]
    clusters_total: tuple[int, int]  # (clusters, exchanges in them) over every cluster
    scenarios: tuple[ScenarioView, ...]
    ledger: tuple[LedgerRow, ...]
    latency: tuple[LatencyView, ...]
    timeline: tuple[TimelineBar, ...]
    uncovered: Uncovered
    thresholds: dict[str, float] = field(default_factory=dict)  # endpoint -> disagreement max
    namespaces: tuple[tuple[str, str], ...] = ()  # (short name, URI) in XML locations shown
    ledger_more: tuple[int, int] = (0, 0)  # (rules, differences they hid) not in `ledger`
    fixed: FixedSince = field(default_factory=FixedSince)
