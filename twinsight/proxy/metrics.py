"""Prometheus metrics of a capture process, every name prefixed `twinsight_`.

Capture counts are read from `CaptureCounters` when scraped, so the client path
pays nothing for them; only per-target latency is observed as answers arrive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from twinsight.records import Response
from twinsight.store import CaptureCounters, StoreWriter

__all__ = ["CaptureMetrics"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class _Counts(Collector):
    def __init__(self, counters: CaptureCounters) -> None:
        self.counters = counters

    def collect(self) -> Iterator[CounterMetricFamily]:
        counts = self.counters.snapshot()
        for name in ("served", "sampled", "mirrored", "stored"):
            yield CounterMetricFamily(
                f"twinsight_{name}", f"requests {name}", value=counts.get(name, 0)
            )
        for family, help_text in (
            ("dropped", "requests not captured, by reason"),
            ("refused", "requests refused (request form, stalled body, client gone), by reason"),
            ("client_gone", "clients that left before their answer was whole, by when"),
        ):
            metric = CounterMetricFamily(f"twinsight_{family}", help_text, labels=["reason"])
            for name, value in sorted(counts.items()):
                if name.startswith(f"{family}."):
                    metric.add_metric([name.removeprefix(f"{family}.")], value)
            yield metric
        waits = CounterMetricFamily(
            "twinsight_order_wait",
            "mirror calls that waited for their session's earlier calls to the target, by outcome",
            labels=["outcome"],
        )
        for outcome in ("done", "expired"):  # expired: sent after the target's timeout anyway
            waits.add_metric([outcome], counts.get(f"order_wait.{outcome}", 0))
        yield waits


class CaptureMetrics:
    """The registry served at `/metrics` by the admin listener."""

    def __init__(self, counters: CaptureCounters) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_Counts(counters))
        self.latency = Histogram(
            "twinsight_target_latency_seconds",
            "time to a target's last byte",
            ["target"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._latency: dict[str, Histogram] = {}
        self.errors = Counter(
            "twinsight_target_errors",
            "targets that gave no answer, by kind",
            ["target", "kind"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "twinsight_mirrors_in_flight",
            "mirrored requests not yet stored",
            registry=self.registry,
        )
        self.backlog = Gauge(
            "twinsight_store_queue_depth",
            "exchanges waiting for the writer",
            registry=self.registry,
        )
        self.flush_lag = Gauge(
            "twinsight_store_flush_lag_seconds",
            "time since the writer last flushed",
            registry=self.registry,
        )

    def watch(self, writer: StoreWriter, in_flight: Callable[[], int]) -> None:
        """Report the writer's backlog and flush lag, and the flights in progress, at scrape."""
        self.backlog.set_function(lambda: writer.backlog)
        self.flush_lag.set_function(lambda: time.monotonic() - writer.last_flush)
        self.in_flight.set_function(in_flight)

    def observe(self, response: Response) -> None:
        """Record one target's answer."""
        if response.error is not None:
            self.errors.labels(response.target, response.error).inc()
        elif response.latency_ms is not None:
            child = self._latency.get(response.target)
            if child is None:
                # `labels` takes a lock and builds its key on every call: twice a request
                # on the client's loop, so each target's child is looked up once.
                child = self._latency[response.target] = self.latency.labels(response.target)
            child.observe(response.latency_ms / 1000)

    def exposition(self) -> bytes:
        """The Prometheus text format."""
        return generate_latest(self.registry)
