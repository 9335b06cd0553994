"""The readiness rules on time: latency parity per endpoint (Mann-Whitney U, as Kayenta
judges canaries) and the spec's latency constraints measured from stored traffic."""

from __future__ import annotations

from collections.abc import Sequence

from twinsight.config import ReadinessSettings
from twinsight.events import RuleOutcome, RuleStatus
from twinsight.records import PRIMARY_TARGET
from twinsight.spec.constraints import LatencyCheck, Unmeasurable, measurable_check

from .readiness_rules import Evidence
from .stats import (
    against_bound,
    latency_parity,
    percentile_bounds,
    percentile_samples_needed,
    percentiles,
)

__all__ = ["constraints", "latencies", "latency", "measurable"]


def latencies(evidence: Evidence) -> dict[str, dict[str, list[float]]]:
    """endpoint -> target -> latencies (ms) of its answered exchanges."""
    found: dict[str, dict[str, list[float]]] = {}
    for sample in evidence.stored.answers:
        found.setdefault(sample.endpoint, {})[sample.target] = sample.latencies_ms
    return found


def latency(evidence: Evidence, policy: ReadinessSettings) -> list[RuleOutcome]:
    """Per endpoint: the candidate's latencies against the legacy's, with the allowed rise."""
    found = []
    candidate = evidence.stored.candidate
    for endpoint, samples in sorted(latencies(evidence).items()):
        legacy, theirs = samples.get(PRIMARY_TARGET, []), samples.get(candidate, [])
        found.append(_parity(endpoint, legacy, theirs, policy))
    return found


def _parity(
    endpoint: str, legacy: list[float], candidate: list[float], policy: ReadinessSettings
) -> RuleOutcome:
    parity = latency_parity(
        legacy,
        candidate,
        allowed_increase=policy.latency_increase,
        confidence=policy.confidence,
        min_samples=policy.min_latency_samples,
    )
    ours, theirs = percentiles(legacy), percentiles(candidate)
    shown = _shown(ours, theirs)
    limit = policy.latency_increase
    if parity.verdict == "not measured":
        more = policy.min_latency_samples - min(len(legacy), len(candidate))
        reason = f"{min(len(legacy), len(candidate))} answer(s) per target; about {more} more"
        return RuleOutcome("latency", endpoint, "inconclusive", f"{reason}; {shown}", limit,
                           None, "ratio", None, more)  # fmt: skip
    ratio = theirs["p50"] / ours["p50"] - 1 if ours.get("p50") else None
    if parity.verdict == "higher":
        reason = f"candidate slower beyond +{limit:.0%} (Mann-Whitney p={parity.p_higher:.2g})"
        return RuleOutcome("latency", endpoint, "fail", f"{reason}; {shown}", limit, ratio, "ratio")
    word = "faster" if parity.verdict == "lower" else "within the allowed increase"
    return RuleOutcome("latency", endpoint, "pass", f"{word}; {shown}", limit, ratio, "ratio")


def _shown(legacy: dict[str, float], candidate: dict[str, float]) -> str:
    def line(values: dict[str, float]) -> str:
        return "/".join(f"{values[p]:.1f}" for p in ("p50", "p95", "p99")) if values else "-"

    return f"p50/p95/p99 ms legacy {line(legacy)}, candidate {line(candidate)}"


def measurable(requirement: str) -> LatencyCheck | None:
    """The one latency bound a requirement states ("p95 latency < 100ms for all read
    operations"), read as `twinsight load` reads it; None when its wording names none, or
    more than one bound (each would need judging)."""
    found = measurable_check(requirement)
    return found if isinstance(found, LatencyCheck) else None


def constraints(evidence: Evidence, policy: ReadinessSettings) -> list[RuleOutcome]:
    """Each spec constraint: measured from the candidate's latencies where its wording
    allows, else listed as not measured; a load run's measures (`evidence.measured`)
    replace these."""
    # A load run's measures replace these, constraint by constraint.
    measured = {outcome.scope: outcome for outcome in evidence.measured}
    return [
        measured.get(f"{group}: {name}")
        or _constraint(group, name, requirement, load, evidence, policy)
        for group, name, requirement, load in evidence.constraints
    ]


def _constraint(
    group: str,
    name: str,
    requirement: str,
    load: str,
    evidence: Evidence,
    policy: ReadinessSettings,
) -> RuleOutcome:
    scope = f"{group}: {name}"
    found = measurable_check(requirement)
    if not isinstance(found, LatencyCheck):
        why = found.reason if isinstance(found, Unmeasurable) else "twinsight load measures it"
        reason = f"{requirement!r}: not measurable from stored traffic ({why})"
        return RuleOutcome("constraint", scope, "not_measured", reason)
    wanted = found
    samples = _pooled(evidence, wanted.methods)
    enough = max(
        policy.min_latency_samples, percentile_samples_needed(wanted.point, policy.confidence)
    )
    if len(samples) < enough:
        more = enough - len(samples)
        reason = f"{requirement!r}: {len(samples)} answer(s) to measure; about {more} more"
        return RuleOutcome("constraint", scope, "inconclusive", reason, wanted.bound_ms,
                           None, "ms", None, more)  # fmt: skip
    point = f"p{wanted.point:g}"
    observed = percentiles(samples, (wanted.point,))[point]
    low, high = percentile_bounds(samples, wanted.point, policy.confidence)
    status = _against(low, high, wanted)
    shown = "-" if low is None else f"{low:.1f}"
    shown = f"[{shown}, {'-' if high is None else f'{high:.1f}'}]"
    reason = (
        f"{requirement!r}: candidate {point} {observed:.1f} ms, {policy.confidence:.0%} "
        f"one-sided bounds {shown} ms over {len(samples)} answer(s)"
    )
    if load:
        reason += f", at the stored load (the spec says: {load})"
    return RuleOutcome("constraint", scope, status, reason, wanted.bound_ms, observed, "ms")


def _against(low: float | None, high: float | None, wanted: LatencyCheck) -> RuleStatus:
    """pass: the percentile's upper bound meets the bound; fail: its lower bound misses it."""
    side = against_bound(low, high, wanted.bound_ms, wanted.inclusive)
    return "pass" if side == "within" else "fail" if side == "beyond" else "inconclusive"


def _pooled(evidence: Evidence, methods: Sequence[str] | None) -> list[float]:
    """The candidate's latencies over the endpoints of `methods` (every endpoint if None)."""
    candidate = evidence.stored.candidate
    return [
        value
        for sample in evidence.stored.answers
        if sample.target == candidate
        and (methods is None or sample.endpoint.split(" ", 1)[0] in methods)
        for value in sample.latencies_ms
    ]
