"""The evidence figures of a report's banner, and the thresholds its charts draw."""

from __future__ import annotations

from twinsight.events import Interval, ReadinessVerdict
from twinsight.store import StoreInfo

from .document import Figure

__all__ = [
    "AGREEMENT",
    "bounds",
    "evidence_figures",
    "interval_text",
    "measure",
    "milliseconds",
    "percent",
    "thresholds_of",
]

AGREEMENT = "agreement"
"""The rule whose interval is the disagreement rate of a scope."""


def percent(value: float | None, digits: int = 1) -> str:
    """`0.1234` as `12.3 %`; a dash for nothing."""
    return "-" if value is None else f"{value * 100:.{digits}f} %"


def milliseconds(value: float | None) -> str:
    """`12.345` as `12.3`; a dash for nothing."""
    return "-" if value is None else f"{value:.1f}"


def measure(value: float | None, unit: str) -> str:
    """A rule's threshold or observation in its unit: rates as percentages."""
    if value is None:
        return "-"
    if unit in ("rate", "share"):
        return percent(value, 2)
    if unit == "ratio":  # a latency change: +0.2 is 20 % slower
        return f"{value * 100:+.0f} %"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:g}" + (f" {unit}" if unit and unit != "count" else "")


def bounds(interval: Interval | None, digits: int = 2) -> str:
    """An interval's ends: `[0.20 %, 2.40 %]`."""
    if interval is None:
        return "-"
    return f"[{percent(interval.low, digits)}, {percent(interval.high, digits)}]"


def interval_text(interval: Interval | None) -> str:
    """`2 / 300 = 0.7 % [0.2 %, 2.4 %] (wilson, 95 %)`."""
    if interval is None:
        return "-"
    return (
        f"{interval.events} / {interval.n} = {percent(interval.rate)} "
        f"{bounds(interval, 1)} "
        f"({interval.method}, {interval.confidence * 100:g} %)"
    )


def thresholds_of(verdict: ReadinessVerdict) -> dict[str, float]:
    """Scope -> the highest disagreement rate the agreement rule allows there."""
    found = {}
    for rule in verdict.rules:
        if rule.rule == AGREEMENT and rule.threshold is not None:
            found[rule.scope] = _as_disagreement(rule.threshold)
    return found


def _as_disagreement(threshold: float) -> float:
    # A policy may state agreement (0.999) or disagreement (0.001): charts plot disagreement.
    return 1 - threshold if threshold > 0.5 else threshold


def evidence_figures(
    verdict: ReadinessVerdict, info: StoreInfo, clusters: tuple[int, int]
) -> tuple[Figure, ...]:
    """What the verdict stands on, in a handful of numbers."""
    counts: dict[str, int] = {}
    for endpoint in verdict.endpoints:
        for name, n in endpoint.counts.items():
            counts[name] = counts.get(name, 0) + n
    overall = next((r for r in verdict.rules if r.rule == AGREEMENT and r.scope == "overall"), None)
    disagreement = overall.interval if overall else None
    served, mirrored = verdict.coverage.get("served"), verdict.coverage.get("mirrored")
    captured = percent(mirrored / served) if served and mirrored is not None else "-"
    not_compared = sum(verdict.not_compared.values()) + info.unanswered
    return (
        Figure("exchanges judged", f"{verdict.exchanges:,}", f"{len(verdict.endpoints)} endpoints"),
        Figure(
            "disagreement",
            percent(disagreement.rate if disagreement else None, 2),
            f"upper bound {percent(disagreement.high, 2)}" if disagreement else "not measured",
        ),
        Figure(
            "regressions", str(counts.get("regression", 0)), "scenario checks the candidate fails"
        ),
        Figure("unexplained", str(counts.get("unexplained", 0)), f"{clusters[0]} clusters"),
        Figure("candidate errors", str(counts.get("candidate_error", 0))),
        Figure("mirrored", captured, "of served traffic" if served else "no live capture counters"),
        Figure("not compared", f"{not_compared:,}", "see 'Not covered'"),
    )
