"""The spec's constraints measured on a load run: met, missed or not measurable, per target.

Pure: plain rows in, plain results out. A constraint whose words name nothing a load run
measures, or one the run could not settle (too few answers, a load level not reached, a
rate limit never exceeded), is `not measurable` with the reason: never a silent pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twinsight.events import RuleOutcome, RuleStatus
from twinsight.records import PRIMARY_TARGET
from twinsight.spec.constraints import (
    ErrorRateCheck,
    LatencyCheck,
    RateLimitCheck,
    Unmeasurable,
    measurable_check,
)
from twinsight.store.loads import LoadRow, achieved_rate

from .load_choice import NO_RUN
from .per_user import Status, per_user
from .stats import against_bound, percentile_bounds, percentiles, rate_interval

__all__ = ["ConstraintResult", "Measure", "as_outcomes", "measure_constraints", "unmatched"]

REACHED = 0.9
"""A load level counts as reached at 90% of the rate the constraint names."""
_RULE_STATUS: dict[Status, RuleStatus] = {
    "met": "pass",
    "missed": "fail",
    "not measurable": "not_measured",
}


@dataclass(frozen=True)
class Measure:
    """One target's measured value for one constraint, and what it means."""

    target: str
    status: Status
    value: float | None
    why: str


@dataclass(frozen=True)
class ConstraintResult:
    """One spec constraint, measured on every target of the load run."""

    group: str
    name: str
    requirement: str
    threshold: float | None
    unit: str  # "ms", "share", "429s"
    measures: tuple[Measure, ...]  # one per target; empty when its words are not measurable
    reason: str = ""  # why it is not measurable at all, if it is not


def measure_constraints(
    constraints: Sequence[tuple[str, str, str, str]],
    rows: Sequence[LoadRow],
    confidence: float = 0.95,
) -> list[ConstraintResult]:
    """Each (group, name, requirement, measurement) measured on the load `rows`."""
    targets = sorted({r.target for r in rows}, key=lambda t: (t != PRIMARY_TARGET, t))
    found = []
    for group, name, requirement, measurement in constraints:
        check = measurable_check(requirement, measurement)
        if isinstance(check, Unmeasurable):
            found.append(ConstraintResult(group, name, requirement, None, "", (), check.reason))
            continue
        if not rows:
            reason = NO_RUN
            found.append(ConstraintResult(group, name, requirement, None, "", (), reason))
            continue
        ours = [[r for r in rows if r.target == t] for t in targets]
        if isinstance(check, LatencyCheck):
            measures = tuple(_latency(check, mine, confidence) for mine in ours)
            found.append(ConstraintResult(group, name, requirement, check.bound_ms, "ms", measures))
        elif isinstance(check, ErrorRateCheck):
            measures = tuple(_errors(check, mine, confidence) for mine in ours)
            found.append(ConstraintResult(group, name, requirement, check.bound, "share", measures))
        else:
            measures = tuple(_limit(check, mine) for mine in ours)
            found.append(ConstraintResult(group, name, requirement, check.rps, "rps", measures))
    return found


_STATUS: dict[str | None, Status] = {"within": "met", "beyond": "missed", None: "not measurable"}


def _chosen(rows: Sequence[LoadRow], methods: tuple[str, ...] | None) -> list[LoadRow]:
    return [r for r in rows if methods is None or r.method.upper() in methods]


def _level(status: Status, level: float | None, rate: float, why: str) -> tuple[Status, str]:
    """A bound met below the load level it must hold under is not measured; a bound
    missed at a lower load is missed."""
    if status == "met" and level is not None and rate < REACHED * level:
        return "not measurable", (
            f"{why}; met at {rate:.0f} req/s, but the constraint asks it under {level:g} "
            f"req/s: run twinsight load --rate {level:g}"
        )
    return status, why


def _latency(check: LatencyCheck, rows: Sequence[LoadRow], confidence: float) -> Measure:
    target = rows[0].target
    samples = [v for r in _chosen(rows, check.methods) for v in r.latencies_ms]
    point = f"p{check.point:g}"
    if not samples:
        return Measure(target, "not measurable", None, f"no {_named(check.methods)} request sent")
    value = percentiles(samples, (check.point,))[point]
    low, high = percentile_bounds(samples, check.point, confidence)
    limit = check.bound_ms
    status = _STATUS[against_bound(low, high, limit, check.inclusive)]
    rate = achieved_rate(rows)
    why = f"{point} {value:.1f} ms over {len(samples)} answers at {rate:.0f} req/s"
    if status == "not measurable":
        why += f"; too few answers to bound {point} at {confidence:.0%} either side of {limit:g} ms"
    status, why = _level(status, check.load_rps, rate, why)
    return Measure(target, status, value, why)


def _errors(check: ErrorRateCheck, rows: Sequence[LoadRow], confidence: float) -> Measure:
    target = rows[0].target
    chosen = _chosen(rows, check.methods)
    sent = sum(r.requests for r in chosen)
    if not sent:
        return Measure(target, "not measurable", None, f"no {_named(check.methods)} request sent")
    failed = sum(r.errors for r in chosen)
    share, bound = failed / sent, check.bound
    # The observed share alone would call 0 failures in 10 answers "below 1%".
    interval = rate_interval(failed, sent, confidence)
    status = _STATUS[against_bound(interval.low, interval.high, bound, check.inclusive)]
    rate = achieved_rate(rows)
    why = f"{share:.2%} of {sent} answers failed (none or 5xx) at {rate:.0f} req/s"
    if status == "not measurable":
        why += f"; too few answers to bound it at {confidence:.0%} either side of {bound:.2%}"
    status, why = _level(status, check.load_rps, rate, why)
    return Measure(target, status, share, why)


def _limit(check: RateLimitCheck, rows: Sequence[LoadRow]) -> Measure:
    target = rows[0].target
    if check.per_user and (rows[0].identities or 1) > 1:
        status, value, why = per_user(check, rows)
        return Measure(target, status, value, why)
    rate, refused = achieved_rate(rows), sum(r.refused for r in rows)
    sent = sum(r.requests for r in rows)
    # One identity's requests: a per-user limit measured as the whole target's.
    who = " (measured as one user)" if check.per_user else ""
    if rate <= check.rps * (2 - REACHED):
        if refused:  # refused before the limit was reached: the limit is lower than stated
            why = f"{refused} of {sent} answers were 429 at {rate:.1f} req/s, within the limit"
            return Measure(target, "missed", float(refused), why + who)
        why = (
            f"the load sent {rate:.1f} req/s, not beyond the limit's {check.rps:.3g}: run "
            f"twinsight load --rate above it"
        )
        return Measure(target, "not measurable", float(refused), why + who)
    duration = rows[0].duration_s
    allowed = check.most_accepted(duration)
    accepted = sent - refused
    why = f"{refused} of {sent} answers were 429 at {rate:.1f} req/s{who}"
    if refused and accepted > allowed:  # a few 429s do not make a limit that lets all else by
        why += f"; {accepted} accepted in {duration:g}s, the limit allows at most {allowed}"
        return Measure(target, "missed", float(refused), why)
    return Measure(target, "met" if refused else "missed", float(refused), why)


def _named(methods: tuple[str, ...] | None) -> str:
    return "/".join(methods) if methods else "any"


def unmatched(constraints: Sequence[tuple[str, str, str, str]], why: str) -> list[RuleOutcome]:
    """With no load run to judge on: the error-rate and rate-limit constraints, not
    measurable for `why` (stored traffic measures latency bounds, and says why not the rest)."""
    found = []
    for group, name, requirement, measurement in constraints:
        check = measurable_check(requirement, measurement)
        if isinstance(check, ErrorRateCheck | RateLimitCheck):
            reason = f"{requirement!r}: not measurable: {why}"
            found.append(RuleOutcome("constraint", f"{group}: {name}", "not_measured", reason))
    return found


def as_outcomes(
    results: Sequence[ConstraintResult], candidate: str, note: str = ""
) -> list[RuleOutcome]:
    """Readiness outcomes: the candidate's status decides, the other targets' values are
    named beside it; `note` says which load run measured them."""
    found = []
    for result in results:
        scope = f"{result.group}: {result.name}"
        mine = next((m for m in result.measures if m.target == candidate), None)
        if mine is None:
            why = result.reason or f"the load run did not reach {candidate}"
            reason = f"{result.requirement!r}: not measurable: {why}"
            found.append(RuleOutcome("constraint", scope, "not_measured", reason))
            continue
        others = "; ".join(f"{m.target}: {m.why}" for m in result.measures if m is not mine)
        reason = f"{result.requirement!r}: {candidate}: {mine.why}" + (
            f" ({others})" if others else ""
        )
        reason += f"; measured by {note}" if note else ""
        status = _RULE_STATUS[mine.status]
        found.append(
            RuleOutcome(
                "constraint", scope, status, reason, result.threshold, mine.value, result.unit
            )
        )
    return found
