"""The cutover verdict: every readiness rule over the evidence, and what they add up to.

Pure: `evaluate(evidence, policy)` reads plain data and returns a `ReadinessVerdict`.
NOT READY when a rule fails; INCONCLUSIVE when none fails but one wants more evidence
(each says about how much more); READY when every rule passes. A rule that cannot be
measured is listed as `not_measured`, never counted as passed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

import orjson

from twinsight.config import ReadinessSettings
from twinsight.events import EndpointEvidence, ReadinessVerdict, RuleOutcome, VerdictStatus

from .readiness_latency import constraints, latencies, latency
from .readiness_rules import (
    DISAGREEING,
    NOT_COMPARABLE,
    Evidence,
    agreement,
    conflicts,
    coverage,
    errors,
    evidence_minima,
    regressions,
    unexplained,
)
from .stats import percentiles, rate_interval

__all__ = ["RULES", "Evidence", "evaluate", "policy_hash", "verdict_status"]

Rule = Callable[[Evidence, ReadinessSettings], list[RuleOutcome]]
RULES: tuple[Rule, ...] = (
    regressions,
    conflicts,
    unexplained,
    errors,
    agreement,
    evidence_minima,
    coverage,
    latency,
    constraints,
)
"""Every rule, in the order the verdict lists them (the deciding ones first)."""

_SEVERITY = {"fail": 0, "inconclusive": 1, "not_measured": 2, "pass": 3}
_SHOWN_REASONS = 3


def policy_hash(policy: ReadinessSettings, comparison: Sequence[Mapping[str, object]] = ()) -> str:
    """A short, stable hash of the policy's settings and the normalize / accepted rules that
    decided agreement (`comparison`): the same hash, the same rules."""
    document = {"readiness": policy.model_dump(mode="json"), "comparison": list(comparison)}
    text = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(text).hexdigest()[:12]


def evaluate(evidence: Evidence, policy: ReadinessSettings) -> ReadinessVerdict:
    """Every rule of `policy` over `evidence`, and the verdict they add up to."""
    outcomes = tuple(outcome for rule in RULES for outcome in rule(evidence, policy))
    status = verdict_status(outcomes)
    stored = evidence.stored
    not_compared = dict(stored.not_compared)
    refused = sum(evidence.not_comparable.values())
    if refused:
        not_compared[NOT_COMPARABLE] = refused
    unmirrored = stored.counters.get("dropped.write_not_mirrored", 0)
    if unmirrored:
        not_compared["writes not mirrored"] = unmirrored
    reason = _reason(status, outcomes)
    if refused and status == "INCONCLUSIVE":
        # More of the same traffic will not help: the replay itself must change.
        reason = (
            f"{refused} exchange(s) not comparable (replays refused for want of the "
            f"recording's credentials: replay with them); {reason}"
        )
    return ReadinessVerdict(
        status=status,
        reason=reason,
        rules=outcomes,
        endpoints=_endpoints(evidence, outcomes, policy),
        policy={**policy.model_dump(mode="json"), "max_disagreement": policy.max_disagreement},
        policy_hash=policy_hash(policy, evidence.comparison),
        candidate=stored.candidate,
        exchanges=evidence.total(),
        window=stored.window,
        coverage=_coverage(stored.counters),
        not_compared=not_compared,
    )


def verdict_status(outcomes: Sequence[RuleOutcome]) -> VerdictStatus:
    """NOT READY if any rule fails, else INCONCLUSIVE if any wants more evidence, else READY."""
    statuses = {o.status for o in outcomes}
    if "fail" in statuses:
        return "NOT READY"
    if "inconclusive" in statuses:
        return "INCONCLUSIVE"
    return "READY"


def _reason(status: VerdictStatus, outcomes: Sequence[RuleOutcome]) -> str:
    """One line naming the deciding rules."""
    if status == "READY":
        unmeasured = [o.rule for o in outcomes if o.status == "not_measured"]
        names = ", ".join(dict.fromkeys(unmeasured))
        tail = f"; {len(unmeasured)} not measured: {names} (listed)" if unmeasured else ""
        return f"every rule passes ({len(outcomes) - len(unmeasured)} checked){tail}"
    wanted = "fail" if status == "NOT READY" else "inconclusive"
    deciding = [o for o in outcomes if o.status == wanted]
    shown = [_named(o) for o in deciding[:_SHOWN_REASONS]]
    if len(deciding) > _SHOWN_REASONS:
        shown.append(f"and {len(deciding) - _SHOWN_REASONS} more")
    if status == "INCONCLUSIVE":
        most = _most_needed(deciding)
        if most:
            shown.insert(0, f"about {most} more exchange(s) needed")
    return "; ".join(shown)


def _most_needed(outcomes: Sequence[RuleOutcome]) -> int:
    """The largest need of one rule, its endpoints' (or scenarios') shortfalls added up:
    traffic to one endpoint does not settle another's."""
    needs: dict[tuple[str, str], int] = {}
    for o in outcomes:
        key = (o.rule, _kind(o))
        needs[key] = needs.get(key, 0) + (o.more_needed or 0)
    return max(needs.values(), default=0)


def _named(outcome: RuleOutcome) -> str:
    scope = "" if outcome.scope == "overall" else f" [{outcome.scope}]"
    more = f" (about {outcome.more_needed} more{_way(outcome)})" if outcome.more_needed else ""
    if outcome.rule == "unexplained" and outcome.observed is not None:
        limit = outcome.threshold or 0.0
        return f"unexplained cluster{scope} ({outcome.observed:.0%} > {limit:.0%})"
    if outcome.rule in ("regressions", "spec_conflicts"):
        return f"{outcome.rule}: {_short(outcome.reason)}"
    return f"{outcome.rule}{scope}{more}"


def _kind(outcome: RuleOutcome) -> str:
    """What a rule's shortfalls add up over: endpoints, scenarios, or none (one scope)."""
    if outcome.scope.startswith("scenario: "):
        return "scenarios"
    if outcome.rule in ("agreement", "evidence", "latency") and outcome.scope != "overall":
        return "endpoints"
    return outcome.scope


def _way(outcome: RuleOutcome) -> str:
    """would fail it" when more traffic at the observed rate settles the rule as failing."""
    above = outcome.unit == "rate" and (outcome.observed or 0.0) > (outcome.threshold or 0.0)
    return " would fail it" if above else ""


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _endpoints(
    evidence: Evidence, outcomes: Sequence[RuleOutcome], policy: ReadinessSettings
) -> tuple[EndpointEvidence, ...]:
    """Per endpoint: counts, the disagreement interval, latency percentiles, the worst status."""
    times = latencies(evidence)
    found = []
    for endpoint, counts in sorted(evidence.by_endpoint.items()):
        mine = [o for o in outcomes if o.scope == endpoint or o.scope.startswith(f"{endpoint} ")]
        n = sum(counts.values())
        parity = next((o for o in mine if o.rule == "latency"), None)
        found.append(
            EndpointEvidence(
                endpoint=endpoint,
                exchanges=n,
                counts=dict(counts),
                disagreement=rate_interval(
                    sum(counts.get(c, 0) for c in DISAGREEING), n, policy.confidence
                ),
                latency_ms={t: percentiles(v) for t, v in sorted(times.get(endpoint, {}).items())},
                latency_status=_latency_status(parity),
                status=min((o.status for o in mine), key=_SEVERITY.__getitem__, default="pass"),
            )
        )
    return tuple(found)


def _latency_status(outcome: RuleOutcome | None) -> str:
    if outcome is None or outcome.status == "inconclusive":
        return "not measured"
    if outcome.status == "fail":
        return "higher"
    return "lower" if outcome.reason.startswith("faster") else "same"


def _coverage(counters: dict[str, int]) -> dict[str, int]:
    """The capture completeness counters the verdict states (served, sampled, ... dropped)."""
    wanted = ("served", "sampled", "mirrored", "stored", "duplicate")
    return {
        name: value
        for name, value in sorted(counters.items())
        if name in wanted or name.startswith("dropped.")
    }
