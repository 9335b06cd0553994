"""The readiness rules that count: agreement, regressions, spec conflicts, unexplained
clusters, candidate errors, evidence minima and capture coverage. Pure: evidence in,
`RuleOutcome`s out (see `readiness.evaluate`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from twinsight.config import ReadinessSettings
from twinsight.events import Interval, RuleOutcome, RuleStatus
from twinsight.records import PRIMARY_TARGET
from twinsight.store import StoredEvidence

from .collect import ScenarioRun
from .stats import more_needed, rate_interval, settled

__all__ = [
    "AGREEING",
    "DISAGREEING",
    "NOT_COMPARABLE",
    "Evidence",
    "agreement",
    "conflicts",
    "coverage",
    "errors",
    "evidence_minima",
    "regressions",
    "unexplained",
]

AGREEING = ("match", "noise", "explained")
DISAGREEING = ("regression", "spec_conflict", "candidate_error", "unexplained")
NOT_COMPARABLE = "not_comparable"
"""Neither agreeing nor disagreeing: evidence missing. Left out of every rate and minimum,
counted against the share of stored exchanges compared."""


@dataclass(frozen=True)
class Evidence:
    """What the verdict weighs: the store's evidence, the spec's scenarios and constraints."""

    stored: StoredEvidence
    scenarios: Sequence[ScenarioRun] = ()
    constraints: Sequence[tuple[str, str, str, str]] = ()  # (group, name, requirement, load)
    # The normalize and accepted-difference rules that decided agreement (for the policy hash).
    comparison: Sequence[Mapping[str, object]] = ()
    # The constraints as the store's latest load run measured them (`twinsight load`).
    measured: Sequence[RuleOutcome] = ()
    by_endpoint: dict[str, dict[str, int]] = field(init=False)
    """Compared exchanges per endpoint and classification (`not_comparable` left out)."""
    not_comparable: dict[str, int] = field(init=False)
    """Exchanges per endpoint that could not be compared (see `comparable.not_comparable`)."""

    def __post_init__(self) -> None:
        counts: dict[str, dict[str, int]] = {}
        refused: dict[str, int] = {}
        for row in self.stored.counts:
            if row.classification == NOT_COMPARABLE:
                refused[row.endpoint] = refused.get(row.endpoint, 0) + row.exchanges
            else:
                counts.setdefault(row.endpoint, {})[row.classification] = row.exchanges
        object.__setattr__(self, "by_endpoint", counts)
        object.__setattr__(self, "not_comparable", refused)

    def total(self, classifications: Sequence[str] | None = None) -> int:
        """Exchanges classified as one of `classifications` (every one when None)."""
        return sum(_count(c, classifications) for c in self.by_endpoint.values())


def _count(counts: Mapping[str, int], classifications: Sequence[str] | None) -> int:
    if classifications is None:
        return sum(counts.values())
    return sum(counts.get(c, 0) for c in classifications)


def _rate_rule(
    rule: str, scope: str, events: int, n: int, threshold: float, policy: ReadinessSettings
) -> RuleOutcome:
    """A rate judged by its interval against `threshold`, with how many more would settle it."""
    interval = rate_interval(events, n, policy.confidence)
    if threshold <= 0:
        return _zero_tolerance(rule, scope, interval, policy.min_samples)
    status = settled(interval, threshold) if n else "inconclusive"
    more = (
        more_needed(events, n, threshold, policy.confidence) if status == "inconclusive" else None
    )
    return RuleOutcome(
        rule,
        scope,
        status,
        _rate_reason(interval, threshold, status, more),
        threshold=threshold,
        observed=interval.rate,
        unit="rate",
        interval=interval,
        more_needed=more,
    )


def _zero_tolerance(rule: str, scope: str, interval: Interval, minimum: int) -> RuleOutcome:
    """Threshold 0: no bound is ever at or under it, so any event fails, and none passes
    once `minimum` exchanges were seen (the evidence minimum)."""
    seen = f"{interval.events}/{interval.n}"
    status: RuleStatus = "fail" if interval.events else "pass"
    more = None
    if interval.events:
        reason = f"{seen}; none tolerated (threshold 0)"
    elif interval.n >= minimum:
        reason = f"{seen}; none in {interval.n} exchange(s), at least the {minimum} wanted"
    else:
        status, more = "inconclusive", minimum - interval.n
        reason = f"{seen}; none yet in {interval.n} of the {minimum} wanted: about {more} more"
    return RuleOutcome(rule, scope, status, reason, 0.0, interval.rate, "rate", interval, more)


def _rate_reason(interval: Interval, threshold: float, status: str, more: int | None) -> str:
    seen = f"{interval.events}/{interval.n}"
    bound = f"{interval.confidence:.0%} {interval.method} [{interval.low:.2%}, {interval.high:.2%}]"
    if status == "pass":
        return f"{seen}; upper bound {interval.high:.2%} <= {threshold:.2%} ({bound})"
    if status == "fail":
        return f"{seen}; lower bound {interval.low:.2%} > {threshold:.2%} ({bound})"
    if not interval.n:
        return "nothing compared yet"
    way = "fail" if interval.rate > threshold else "pass"
    tail = f"; about {more} more exchange(s) at this rate would make it {way}" if more else ""
    return f"{seen}; {threshold:.2%} lies inside {bound}{tail}"


def agreement(evidence: Evidence, policy: ReadinessSettings) -> list[RuleOutcome]:
    """The disagreement rate overall and per endpoint against `max_disagreement`."""
    threshold = policy.max_disagreement
    found = [
        _rate_rule(
            "agreement",
            "overall",
            evidence.total(DISAGREEING),
            evidence.total(),
            threshold,
            policy,
        )
    ]
    for endpoint, counts in sorted(evidence.by_endpoint.items()):
        events, n = _count(counts, DISAGREEING), _count(counts, None)
        found.append(_rate_rule("agreement", endpoint, events, n, threshold, policy))
    return found


def _listed(evidence: Evidence, classification: str, limit: int = 2) -> str:
    reasons = [r for r in evidence.stored.reasons if r.classification == classification]
    shown = [f"{r.endpoint}: {r.reason} (x{r.exchanges})" for r in reasons[:limit]]
    if len(reasons) > limit:
        shown.append(f"+{len(reasons) - limit} more")
    return "; ".join(shown)


def _checked(evidence: Evidence) -> bool:
    """Whether any scenario of the spec bound a checked line to stored traffic."""
    return any(run.bound_lines and run.exchanges for run in evidence.scenarios)


_UNCHECKED = "no scenario of a spec bound to the stored traffic: nothing was checked"


def regressions(evidence: Evidence, policy: ReadinessSettings) -> list[RuleOutcome]:
    """Exchanges where the candidate fails a scenario check the legacy passes."""
    found = evidence.total(("regression",))
    limit = policy.max_regressions
    status: RuleStatus = "fail" if found > limit else "pass"
    reason = (
        f"{found} regression(s): {_listed(evidence, 'regression')}"
        if found
        else "no scenario check the legacy passes fails on the candidate"
    )
    if status == "pass" and not _checked(evidence):
        status, reason = "not_measured", _UNCHECKED
    return [RuleOutcome("regressions", "overall", status, reason, limit, found, "count")]


def conflicts(evidence: Evidence, policy: ReadinessSettings) -> list[RuleOutcome]:
    """Scenario checks both targets fail: the spec or both services need a decision."""
    found = evidence.total(("spec_conflict",))
    reason = (
        f"{found} unresolved spec conflict(s): {_listed(evidence, 'spec_conflict')}"
        if found
        else "no scenario check fails on both targets"
    )
    status: RuleStatus = "fail" if found else "pass"
    if not found and not _checked(evidence):
        status, reason = "not_measured", _UNCHECKED
    return [RuleOutcome("spec_conflicts", "overall", status, reason, 0, found, "count")]


def unexplained(evidence: Evidence, policy: ReadinessSettings) -> list[RuleOutcome]:
    """Clusters of unexplained differences, on each endpoint they are on: above their share
    threshold there fail, below listed; unexplained exchanges of an endpoint no cluster
    lists are judged by their own share."""
    limit = policy.max_unexplained_share
    found = []
    clustered = set()
    for c in evidence.stored.clusters:
        if "unexplained" not in c.classifications:
            continue
        clustered.add(c.endpoint)
        status: RuleStatus = "fail" if c.share > limit else "pass"
        side = "above" if status == "fail" else "at or below"
        # A cause on several endpoints is judged on each by its share there.
        here = f" On {c.endpoint}: {c.exchanges} exchange(s), {c.share:.1%}" if c.spans > 1 else ""
        reason = f"{c.description}{here} ({side} {limit:.1%} of the endpoint)"
        scope = f"{c.endpoint} {c.location}"
        found.append(RuleOutcome("unexplained", scope, status, reason, limit, c.share, "share"))
    for endpoint, counts in sorted(evidence.by_endpoint.items()):
        if counts.get("unexplained") and endpoint not in clustered:
            found.append(_unclustered(endpoint, counts["unexplained"], _count(counts, None), limit))
    if not found and evidence.total(("unexplained",)) == 0:
        found.append(
            RuleOutcome("unexplained", "overall", "pass", "no unexplained difference", limit, 0.0)
        )
    return found


def _unclustered(endpoint: str, events: int, n: int, limit: float) -> RuleOutcome:
    """Unexplained exchanges in no cluster: their share bounds any cluster they could form,
    so at or below the limit they pass; above it they fail (no cluster says otherwise)."""
    share = events / n
    status: RuleStatus = "fail" if share > limit else "pass"
    side = "above" if status == "fail" else "at or below"
    reason = f"{events} unexplained exchange(s) in no cluster ({side} {limit:.1%} of the endpoint)"
    return RuleOutcome("unexplained", endpoint, status, reason, limit, share, "share")


def errors(evidence: Evidence, policy: ReadinessSettings) -> list[RuleOutcome]:
    """The rate of the candidate's own errors (where the legacy did not fail) against the
    slack; the legacy's error rate is shown, not granted again."""
    legacy = [a for a in evidence.stored.answers if a.target == PRIMARY_TARGET]
    total = sum(a.answered + a.unanswered for a in legacy)
    legacy_rate = sum(a.errors for a in legacy) / total if total else 0.0
    outcome = _rate_rule(
        "errors",
        "overall",
        evidence.total(("candidate_error",)),
        evidence.total(),
        policy.error_slack,
        policy,
    )
    reason = f"candidate errors {outcome.reason}; legacy's own error rate {legacy_rate:.2%}"
    return [_with_reason(outcome, reason)]


def _with_reason(outcome: RuleOutcome, reason: str) -> RuleOutcome:
    return RuleOutcome(**{**outcome.__dict__, "reason": reason})


def evidence_minima(evidence: Evidence, policy: ReadinessSettings) -> list[RuleOutcome]:
    """Enough compared exchanges per endpoint (one whose exchanges could not be compared
    included, with none) and per scenario the spec binds to traffic."""
    found = []
    if not evidence.by_endpoint:
        why = "no exchange compared yet" if evidence.not_comparable else "no exchange analysed yet"
        found.append(RuleOutcome("evidence", "overall", "inconclusive", why, 1, 0))
    for endpoint in sorted({*evidence.by_endpoint, *evidence.not_comparable}):
        n = _count(evidence.by_endpoint.get(endpoint, {}), None)
        found.append(_minimum(endpoint, n, policy.min_samples))
    for run in evidence.scenarios:
        if run.bound_lines and policy.min_scenario_samples:
            scope = f"scenario: {run.name}"
            found.append(_minimum(scope, run.exchanges, policy.min_scenario_samples))
    return found


def _minimum(scope: str, n: int, minimum: int) -> RuleOutcome:
    if n >= minimum:
        return RuleOutcome("evidence", scope, "pass", f"{n} exchange(s)", minimum, n, "count")
    more = minimum - n
    reason = f"{n} exchange(s) of {minimum} wanted: about {more} more"
    return RuleOutcome("evidence", scope, "inconclusive", reason, minimum, n, "count", None, more)


def coverage(evidence: Evidence, policy: ReadinessSettings) -> list[RuleOutcome]:
    """The share of stored exchanges compared, and of served traffic the capture mirrored."""
    return [_captured(evidence, policy), _compared(evidence, policy)]


def _compared(evidence: Evidence, policy: ReadinessSettings) -> RuleOutcome:
    """Compared exchanges over every stored one: never sent, unanswered, cut short or not
    comparable count against it (the capture's `mirrored` counter is taken before a mirror
    can end unsent)."""
    compared = evidence.total()
    left_out = dict(evidence.stored.not_compared)
    refused = sum(evidence.not_comparable.values())
    if refused:
        left_out[NOT_COMPARABLE] = refused
    skipped = sum(left_out.values())
    if not compared + skipped:
        reason = "no exchange stored yet"
        return RuleOutcome("coverage", "compared", "inconclusive", reason, policy.min_coverage)
    share = compared / (compared + skipped)
    status: RuleStatus = "pass" if share >= policy.min_coverage else "inconclusive"
    why = ", ".join(f"{k} {v}" for k, v in sorted(left_out.items()) if v)
    reason = f"{compared} of {compared + skipped} stored exchange(s) compared ({share:.1%})" + (
        f"; {skipped} not compared: {why}" if skipped else ""
    )
    return RuleOutcome("coverage", "compared", status, reason, policy.min_coverage, share, "share")


def _captured(evidence: Evidence, policy: ReadinessSettings) -> RuleOutcome:
    """The share of served traffic the capture mirrored, from its completeness counters."""
    counters = evidence.stored.counters
    served = counters.get("served", 0)
    if not served:
        reason = "no capture counters: replayed or imported traffic has no served total"
        return RuleOutcome("coverage", "capture", "not_measured", reason, policy.min_coverage)
    mirrored = counters.get("mirrored", counters.get("stored", 0))
    share = mirrored / served
    status: RuleStatus = "pass" if share >= policy.min_coverage else "inconclusive"
    skipped = {k: v for k, v in counters.items() if k.startswith("dropped.") and v}
    why = ", ".join(f"{k.removeprefix('dropped.')} {v}" for k, v in sorted(skipped.items()))
    reason = f"{mirrored} of {served} served request(s) mirrored ({share:.1%})" + (
        f"; dropped: {why}" if why else ""
    )
    return RuleOutcome("coverage", "capture", status, reason, policy.min_coverage, share, "share")
