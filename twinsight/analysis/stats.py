"""The statistics behind the readiness verdict: rate intervals, how much more evidence would
settle a rule, percentiles and latency parity. Pure functions of counts and samples."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.stats import binom, mannwhitneyu, norm

from twinsight.events import Interval

__all__ = [
    "Parity",
    "against_bound",
    "latency_parity",
    "more_needed",
    "percentile_bounds",
    "percentile_samples_needed",
    "percentiles",
    "rate_interval",
    "rule_of_three",
    "settled",
    "wilson",
]

_MAX_N = 10**12
"""Beyond this many exchanges "more" is not a useful answer."""


def z_score(confidence: float) -> float:
    """The two-sided normal quantile for `confidence` (1.96 at 0.95)."""
    return float(norm.ppf(1 - (1 - confidence) / 2))


def wilson(
    events: float, n: float, confidence: float = 0.95, *, one_sided: bool = False
) -> tuple[float, float]:
    """The Wilson score interval of `events` out of `n`; (0, 1) when nothing was observed.

    `one_sided`: each end is a one-sided bound at `confidence` (the rate lies under the
    upper end with that confidence), the level the rule of three states too.
    """
    if n <= 0:
        return 0.0, 1.0
    z = float(norm.ppf(confidence)) if one_sided else z_score(confidence)
    p = events / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(max(p * (1 - p) / n + z * z / (4 * n * n), 0.0))
    # Rounding can put a bound a hair past the observed rate at 0 % or 100 %.
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def rule_of_three(n: float, confidence: float = 0.95) -> float:
    """Upper bound of a rate after `n` trials without an event: -ln(1 - confidence) / n."""
    if n <= 0:
        return 1.0
    return min(1.0, -math.log(1 - confidence) / n)


def rate_interval(events: int, n: int, confidence: float = 0.95) -> Interval:
    """The rate `events`/`n` with its one-sided bounds at `confidence`: Wilson, or the rule of
    three at zero events (a verdict reads one end at a time, so each holds on its own)."""
    if events == 0:
        return Interval(0, n, 0.0, rule_of_three(n, confidence), confidence, "rule of three")
    low, high = wilson(events, n, confidence, one_sided=True)
    return Interval(events, n, low, high, confidence, "wilson")


def _bounds(events: float, n: float, confidence: float) -> tuple[float, float]:
    if events == 0:
        return 0.0, rule_of_three(n, confidence)
    return wilson(events, n, confidence, one_sided=True)


def settled(interval: Interval, threshold: float) -> Literal["pass", "fail", "inconclusive"]:
    """pass: the upper bound is at or under `threshold`; fail: the lower bound is above it."""
    if interval.high <= threshold:
        return "pass"
    if interval.low > threshold:
        return "fail"
    return "inconclusive"


def more_needed(events: int, n: int, threshold: float, confidence: float = 0.95) -> int | None:
    """About how many more trials, at the observed rate, would put the interval on one side
    of `threshold` (0 if it already is); None when no number would (the rate sits on it)."""
    rate = events / n if n else 0.0
    if settled(rate_interval(events, n, confidence), threshold) != "inconclusive":
        return 0
    if rate == threshold:
        return None
    below = rate < threshold

    def decides(total: int) -> bool:
        low, high = _bounds(rate * total, total, confidence)
        return high <= threshold if below else low > threshold

    high_n = max(n, 1)
    while not decides(high_n):
        high_n *= 2
        if high_n > _MAX_N:
            return None
    low_n = max(n, 1)
    while low_n < high_n:  # the bounds narrow as n grows at a fixed rate
        middle = (low_n + high_n) // 2
        if decides(middle):
            high_n = middle
        else:
            low_n = middle + 1
    return max(high_n - n, 1)


def percentiles(
    samples: Sequence[float], points: Sequence[float] = (50, 95, 99)
) -> dict[str, float]:
    """{"p50": ..., "p95": ..., "p99": ...} of `samples` (linear interpolation); {} if empty."""
    if not samples:
        return {}
    values = np.percentile(np.asarray(samples, dtype=float), list(points))
    return {f"p{point:g}": float(value) for point, value in zip(points, values, strict=True)}


def percentile_bounds(
    samples: Sequence[float], point: float, confidence: float = 0.95
) -> tuple[float | None, float | None]:
    """One-sided distribution-free bounds at `confidence` on the `point`-th percentile: order
    statistics chosen by the binomial count of samples under it; None where `samples` are
    too few to bound that side."""
    values = sorted(samples)
    n, q = len(values), point / 100
    if not n:
        return None, None
    # Upper: X(u) with P(Binomial(n, q) <= u - 1) >= confidence; lower: X(l) with
    # P(Binomial(n, q) >= l) >= confidence (1-based order statistics).
    upper = int(binom.ppf(confidence, n, q)) + 1
    lower = int(binom.isf(confidence, n, q))
    while lower >= 1 and binom.sf(lower - 1, n, q) < confidence:
        lower -= 1
    high = values[upper - 1] if upper <= n else None
    low = values[lower - 1] if lower >= 1 else None
    return low, high


def percentile_samples_needed(point: float, confidence: float = 0.95) -> int:
    """The fewest samples that bound the `point`-th percentile from above: q^n <= 1 - c."""
    q = point / 100
    if q <= 0:
        return 1
    if q >= 1:
        return _MAX_N
    return math.ceil(math.log(1 - confidence) / math.log(q) - 1e-9)


@dataclass(frozen=True)
class Parity:
    """How the candidate's latencies compare with the legacy's."""

    verdict: Literal["same", "higher", "lower", "not measured"]
    p_higher: float | None = None  # candidate above legacy x (1 + allowed increase)
    p_lower: float | None = None  # candidate below legacy


def latency_parity(
    legacy: Sequence[float],
    candidate: Sequence[float],
    *,
    allowed_increase: float = 0.1,
    confidence: float = 0.95,
    min_samples: int = 20,
) -> Parity:
    """Mann-Whitney U on the two samples, as Kayenta judges a canary metric.

    `higher`: the candidate is significantly slower than the legacy even with the allowed
    relative increase granted; `lower`: significantly faster; `same` otherwise.
    """
    if min(len(legacy), len(candidate)) < max(min_samples, 1):
        return Parity("not measured")
    alpha = 1 - confidence
    allowance = np.asarray(legacy, dtype=float) * (1 + allowed_increase)
    sample = np.asarray(candidate, dtype=float)
    higher = float(mannwhitneyu(sample, allowance, alternative="greater").pvalue)
    lower = float(mannwhitneyu(sample, np.asarray(legacy, dtype=float), alternative="less").pvalue)
    if higher < alpha:
        return Parity("higher", higher, lower)
    if lower < alpha:
        return Parity("lower", higher, lower)
    return Parity("same", higher, lower)


def against_bound(
    low: float | None, high: float | None, bound: float, inclusive: bool
) -> Literal["within", "beyond"] | None:
    """Where an interval stands against an upper `bound` (`inclusive`: the bound itself is
    within): `within` when its high end meets it, `beyond` when its low end misses it, None
    when it straddles the bound or an end is unknown."""
    if high is not None and (high <= bound if inclusive else high < bound):
        return "within"
    if low is not None and (low > bound if inclusive else low >= bound):
        return "beyond"
    return None
