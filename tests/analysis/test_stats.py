"""Rate intervals against published values, their properties, and latency parity."""

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.stats import (
    latency_parity,
    more_needed,
    percentiles,
    rate_interval,
    rule_of_three,
    settled,
    wilson,
    z_score,
)


def test_z_for_the_usual_confidences() -> None:
    assert z_score(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_score(0.99) == pytest.approx(2.575829, abs=1e-6)


@pytest.mark.parametrize(
    ("events", "n", "low", "high"),
    [
        # Wilson (1927) score intervals at 95 %, as tabulated by Newcombe (1998) and
        # computed by e.g. statsmodels' proportion_confint(method="wilson").
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (1, 1000, 0.000177, 0.005643),
        (81, 263, 0.2553, 0.3662),
    ],
)
def test_wilson_against_published_values(events: int, n: int, low: float, high: float) -> None:
    found = wilson(events, n, 0.95)
    assert found == pytest.approx((low, high), abs=1e-4)


def test_rule_of_three_is_about_three_over_n_at_95_percent() -> None:
    assert rule_of_three(100) == pytest.approx(0.02996, abs=1e-5)
    assert rule_of_three(1000) == pytest.approx(3 / 1000, rel=0.01)
    assert rule_of_three(100, 0.99) == pytest.approx(0.04605, abs=1e-5)
    assert rule_of_three(0) == 1.0


def test_zero_events_use_the_rule_of_three_and_others_wilson() -> None:
    none = rate_interval(0, 300)
    assert (none.method, none.low, none.high) == (
        "rule of three",
        0.0,
        pytest.approx(0.009986, abs=1e-5),
    )
    some = rate_interval(3, 300)
    assert some.method == "wilson"
    assert some.rate == 0.01
    assert some.low < 0.01 < some.high


def test_settled_reads_the_bound_against_the_threshold() -> None:
    assert settled(rate_interval(0, 3000), 0.001) == "pass"
    assert settled(rate_interval(30, 100), 0.01) == "fail"
    assert settled(rate_interval(0, 10), 0.01) == "inconclusive"


def test_more_needed_at_zero_events_follows_the_rule_of_three() -> None:
    # 3/n <= 0.01 needs n >= 300 (2996 at 0.001).
    assert more_needed(0, 100, 0.01) == 200
    assert more_needed(0, 0, 0.001) == 2996
    assert more_needed(0, 3000, 0.001) == 0


def test_more_needed_at_an_observed_rate() -> None:
    # 2 in 100 against 5 %: the upper bound falls under 0.05 at some n, and there it does.
    more = more_needed(2, 100, 0.05)
    assert more is not None
    assert more > 0
    total = 100 + more
    assert wilson(2 * total / 100, total, one_sided=True)[1] <= 0.05
    assert wilson(2 * (total - 1) / 100, total - 1, one_sided=True)[1] > 0.05
    # A rate above the threshold settles as a failure with enough exchanges.
    assert more_needed(8, 100, 0.05) is not None
    # Exactly on the threshold: no number of exchanges decides it.
    assert more_needed(5, 100, 0.05) is None


def test_percentiles() -> None:
    assert percentiles([]) == {}
    found = percentiles([float(i) for i in range(1, 101)])
    assert found == pytest.approx({"p50": 50.5, "p95": 95.05, "p99": 99.01})


def test_latency_parity() -> None:
    rng = random.Random(7)
    legacy = [rng.gauss(20, 2) for _ in range(200)]
    assert latency_parity(legacy, [x * 1.05 for x in legacy]).verdict == "same"
    assert latency_parity(legacy, [rng.gauss(30, 2) for _ in range(200)]).verdict == "higher"
    assert latency_parity(legacy, [rng.gauss(10, 2) for _ in range(200)]).verdict == "lower"
    assert latency_parity(legacy[:5], legacy[:5]).verdict == "not measured"


counts = st.integers(min_value=0, max_value=10_000)
confidences = st.sampled_from([0.8, 0.9, 0.95, 0.99])


@given(counts, counts, confidences)
def test_bounds_hold_the_rate_within_zero_and_one(a: int, b: int, confidence: float) -> None:
    events, n = min(a, b), max(a, b, 1)
    interval = rate_interval(events, n, confidence)
    assert 0.0 <= interval.low <= interval.rate <= interval.high <= 1.0


@given(st.integers(min_value=1, max_value=100_000), confidences)
def test_zero_event_bound_never_rises_with_n(n: int, confidence: float) -> None:
    assert rate_interval(0, n + 1, confidence).high <= rate_interval(0, n, confidence).high
    assert wilson(0, n + 1, confidence)[1] <= wilson(0, n, confidence)[1]


@given(st.integers(min_value=1, max_value=1000), st.integers(min_value=1, max_value=99))
def test_width_shrinks_with_n_at_a_fixed_rate(n: int, percent: int) -> None:
    small = wilson(percent * n, 100 * n)
    large = wilson(percent * 2 * n, 200 * n)
    assert large[1] - large[0] < small[1] - small[0]


@given(st.integers(min_value=0, max_value=5000), st.floats(0.001, 0.5))
def test_more_needed_at_zero_events_is_just_enough(n: int, threshold: float) -> None:
    more = more_needed(0, n, threshold)
    assert more is not None
    if more:
        assert rule_of_three(n + more) <= threshold < rule_of_three(n + more - 1)


def test_decision_bounds_are_one_sided_at_the_confidence() -> None:
    # A pass/fail bound at 95 % is one-sided: the 90 % two-sided Wilson interval's ends,
    # the same level as the rule of three's -ln(0.05)/n.
    interval = rate_interval(5, 100, 0.95)
    assert (interval.low, interval.high) == pytest.approx(wilson(5, 100, 0.90))
    assert (interval.low, interval.high) == pytest.approx(wilson(5, 100, 0.95, one_sided=True))
    assert rate_interval(0, 100, 0.95).high == pytest.approx(-math.log(0.05) / 100)


def test_more_needed_to_fail_is_just_enough() -> None:
    # 8 in 100 against 5 %: at the observed rate the lower bound passes 5 % after `more`.
    more = more_needed(8, 100, 0.05)
    assert more is not None
    assert more > 0
    total = 100 + more
    assert wilson(0.08 * total, total, one_sided=True)[0] > 0.05
    assert wilson(0.08 * (total - 1), total - 1, one_sided=True)[0] <= 0.05


def test_an_interval_against_an_upper_bound() -> None:
    from twinsight.analysis.stats import against_bound

    assert against_bound(10.0, 90.0, 100.0, inclusive=False) == "within"
    assert against_bound(10.0, 100.0, 100.0, inclusive=False) is None
    assert against_bound(10.0, 100.0, 100.0, inclusive=True) == "within"
    assert against_bound(100.0, 150.0, 100.0, inclusive=False) == "beyond"
    assert against_bound(100.0, 150.0, 100.0, inclusive=True) is None
    assert against_bound(None, None, 100.0, inclusive=False) is None
