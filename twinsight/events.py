"""What the stages tell the outside world, as typed plain data.

Producers (capture, replay) and the judge (analysis) emit these; `twinsight.report`
renders them (terminal, JSON lines, and the reports and readiness verdict built on
the same events). A leaf like `records`: producers emit events without importing
the layer that renders them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "CaptureSummary",
    "EndpointEvidence",
    "Event",
    "ExchangeJudged",
    "Interval",
    "ReadinessVerdict",
    "ReplaySummary",
    "RuleOutcome",
    "RuleStatus",
    "VerdictStatus",
]


@dataclass(frozen=True)
class CaptureSummary:
    """What one capture run (proxy or sink) did, counted at shutdown."""

    mode: str
    counts: dict[str, int]
    cancelled: int  # mirrors still in flight at shutdown


@dataclass
class ReplaySummary:
    """What a replay run did: sent, answered, left out; filled in while it runs."""

    run: str
    pacing: str = ""
    sent: int = 0
    # already_replayed (in this run), filtered_out (by --filter), body_cut (at capture:
    # cannot be resent whole)
    left_out: Counter[str] = field(default_factory=Counter)
    redacted_headers: int = 0  # requests sent without a redacted header nobody overrode
    # Requests stored with a replay_degraded note, and the notes by kind (token left out)
    degraded: int = 0
    degraded_notes: Counter[str] = field(default_factory=Counter)
    order: str = "sessions"  # causal, recorded or sessions (`twinsight replay --order`)
    waited: int = 0  # requests that waited for a create of another session (causal order)
    # Why sessions were serialised, one line per (session, creator's session), the first
    # few; more_waits counts the pairs left out
    waits: list[str] = field(default_factory=list)
    more_waits: int = 0
    order_note: str = ""  # why the order asked for was not the one used
    rewritten: int = 0  # requests whose ids were rewritten for some target
    sessions: int = 0
    answered: Counter[str] = field(default_factory=Counter)
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)  # (target, kind)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)  # (target, status)
    duration_s: float = 0.0
    stopped: bool = False

    @property
    def rate(self) -> float:
        """Requests replayed per second of the run."""
        return self.sent / self.duration_s if self.duration_s > 0 else 0.0


@dataclass(frozen=True)
class ExchangeJudged:
    """One exchange's verdict for one candidate, with the differences behind it."""

    id: str
    method: str
    path: str
    query: str | None
    endpoint: str
    candidate: str
    classification: str
    reason: str
    # each: location, kind, legacy, candidate (decoded values), noise, accepted
    differences: tuple[dict[str, Any], ...] = ()
    source: str | None = None  # where the exchange came from: proxy, import, replay ...
    session: str | None = None
    started_at: datetime | None = None  # when the request was received


RuleStatus = Literal["pass", "fail", "inconclusive", "not_measured"]
VerdictStatus = Literal["READY", "NOT READY", "INCONCLUSIVE"]


@dataclass(frozen=True)
class Interval:
    """A rate with its confidence interval: `events` out of `n`, bounded by [low, high]."""

    events: int
    n: int
    low: float
    high: float
    confidence: float
    method: str  # "wilson", or "rule of three" when no event was seen

    @property
    def rate(self) -> float:
        """The observed rate (0 when nothing was observed)."""
        return self.events / self.n if self.n else 0.0


@dataclass(frozen=True)
class RuleOutcome:
    """One readiness rule on one scope: what it wants, what was seen, and what that means."""

    rule: str  # agreement, regressions, spec_conflicts, unexplained, errors, evidence, ...
    scope: str  # "overall", an endpoint ("GET /tasks/{id}"), a scenario, or a constraint
    status: RuleStatus
    reason: str  # one line a person reads: why this status
    threshold: float | None = None  # in the rule's unit
    observed: float | None = None
    unit: str = ""  # "rate", "count", "ms", "share"
    interval: Interval | None = None
    more_needed: int | None = None  # about how many more exchanges would settle it


@dataclass(frozen=True)
class EndpointEvidence:
    """What one endpoint's exchanges say: counts by classification, agreement, latency."""

    endpoint: str
    exchanges: int
    counts: dict[str, int]  # classification -> exchanges
    disagreement: Interval
    latency_ms: dict[str, dict[str, float]]  # target -> {"p50", "p95", "p99"}
    latency_status: str  # "same", "higher", "lower", "not measured"
    status: RuleStatus


@dataclass(frozen=True)
class ReadinessVerdict:
    """The cutover verdict: every rule's outcome, the evidence behind them, what was left out."""

    status: VerdictStatus
    reason: str  # one line: the deciding rule(s)
    rules: tuple[RuleOutcome, ...]
    endpoints: tuple[EndpointEvidence, ...]
    policy: dict[str, Any]  # the readiness settings used
    policy_hash: str
    candidate: str
    exchanges: int  # judged for this candidate
    window: tuple[str | None, str | None]  # first and last exchange time
    coverage: dict[str, int]  # capture counters: served, sampled, mirrored, stored, dropped
    not_compared: dict[str, int]  # why exchanges were not compared -> how many


Event = CaptureSummary | ReplaySummary | ExchangeJudged | ReadinessVerdict
