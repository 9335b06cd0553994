"""The parent's /metrics adds up its workers' expositions (`--workers`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import Metric

from twinsight.proxy.admin import summed


def exposition(served: int, latencies: list[float], lag: float) -> str:
    """One worker's exposition, with the names a capture process uses."""
    registry = CollectorRegistry()
    Counter("twinsight_served", "requests served", registry=registry).inc(served)
    histogram = Histogram(
        "twinsight_target_latency_seconds", "t", ["target"], buckets=(0.01, 0.1), registry=registry
    )
    for latency in latencies:
        histogram.labels("candidate").observe(latency)
    Gauge("twinsight_store_flush_lag_seconds", "lag", registry=registry).set(lag)
    return generate_latest(registry).decode()


def samples(families: list[Metric]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of `families`."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in families
        for s in family.samples
    }


workers = st.lists(
    st.tuples(
        st.integers(0, 10_000),
        st.lists(st.floats(0, 1), max_size=20),
        st.floats(0, 100, allow_nan=False),
    ),
    min_size=1,
    max_size=4,
)


@given(workers)
def test_counters_and_buckets_add_up_and_the_lag_is_the_largest(
    given_workers: list[tuple[int, list[float], float]],
) -> None:
    got = samples(summed(exposition(*w) for w in given_workers))
    assert got[("twinsight_served_total", ())] == sum(w[0] for w in given_workers)
    slow = sum(1 for w in given_workers for latency in w[1] if latency > 0.1)
    count = sum(len(w[1]) for w in given_workers)
    if count:
        key = ("twinsight_target_latency_seconds_bucket", (("le", "+Inf"), ("target", "candidate")))
        fast_key = (key[0], (("le", "0.1"), ("target", "candidate")))
        assert got[key] == count
        assert got[fast_key] == count - slow
    assert got[("twinsight_store_flush_lag_seconds", ())] == max(w[2] for w in given_workers)
    assert not any(name.endswith("_created") for name, _ in got)
