"""What the stages tell the outside world, as typed plain data.

Producers (capture, replay) and the judge (analysis) emit these; `twinsight.report`
renders them (terminal, JSON lines, and the reports and readiness verdict built on
the same events). A leaf like `records`: producers emit events without importing
the layer that renders them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CaptureSummary", "Event", "ExchangeJudged", "ReplaySummary"]


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


Event = CaptureSummary | ReplaySummary | ExchangeJudged
