"""One fault run: a healthy baseline, then the same load under a fault, through one proxy process.

The baseline and the fault phase share the proxy, the legacy and the candidate;
only the faulty server's behaviour changes between them, so client latencies
are compared on the same machine, in the same second. A p99 is the second
slowest of 200 requests: one stall of a noisy neighbour hits every request in
flight at once. So when `fair` rejects a pair (typically a p99 bound), the
servers heal and the pair is measured again, up to `attempts` times; a real
coupling of the client to a fault shows in every attempt. Every attempt's
exchanges must be kept; the table shows the last attempt, and how much the
proxy's peak resident memory grew from before the first fault to the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .faulty import Fault, FaultyServer, faulty_server
from .harness import Capture, ProxyProcess, idle, proxy_process, read_capture
from .load import Load, drive
from .table import FaultTable, Row, row

__all__ = [
    "P99_RATIO",
    "P99_SLACK_MS",
    "Attempt",
    "Plan",
    "Run",
    "dropped",
    "first_traceback",
    "p99_bound",
    "run_fault",
]

# p99 on 2 noisy cores: within 3x the baseline's plus an absolute allowance.
P99_RATIO, P99_SLACK_MS = 3.0, 25.0


@dataclass
class Attempt:
    """One baseline-then-fault pair: what the client saw, what the proxy served and dropped."""

    number: int
    baseline: Load
    faulty: Load
    served: int
    dropped: int
    capture: Capture = field(default_factory=lambda: Capture(0, {}))


@dataclass
class Run:
    """What a run showed: every attempt, the row of the last, memory and the proxy's log."""

    attempts: list[Attempt]
    row: Row
    store: Path
    rss_before_mib: float
    rss_peak_mib: float
    log: str
    exit_code: int

    @property
    def last(self) -> Attempt:
        """The attempt the row shows."""
        return self.attempts[-1]


def p99_bound(fault_row: Row, waited_ms: float = 0.0) -> float:
    """The client p99 allowed under a fault: near the baseline's, plus any timeout waited out."""
    assert fault_row.baseline_p99_ms is not None
    return P99_RATIO * fault_row.baseline_p99_ms + P99_SLACK_MS + waited_ms


def first_traceback(log: str, lines: int = 40) -> str:
    """The first traceback in a log and what led to it (a failure message, not the whole log)."""
    at = log.find("Traceback")
    if at < 0:
        return ""
    start = log.rfind("\n", 0, at) + 1
    return "\n".join(log[start:].splitlines()[:lines])


def dropped(counts: dict[str, float]) -> int:
    """Requests the proxy counted as not captured, every reason, from its metrics."""
    return int(sum(v for k, v in counts.items() if k.startswith("twinsight_dropped_total{")))


@dataclass(frozen=True)
class Plan:
    """What to run: the faults, the load, the status the client should get under the fault."""

    legacy: Fault = "ok"
    candidate: Fault = "ok"
    requests: int = 200
    concurrency: int = 8
    expect: int = 200
    every: int = 1  # the faulty server misbehaves on one request in `every`


async def run_fault(
    folder: Path,
    table: FaultTable,
    label: str,
    plan: Plan,
    *,
    fair: Callable[[Row], bool] = lambda _: True,
    attempts: int = 3,
    delay: float = 2.0,
    **capture: object,
) -> Run:
    """Baseline then faults, again while `fair` says no; the row is in the table before asserts."""
    settings = {"shutdown_grace_s": 5.0, **capture}
    within = _settle_within(settings)
    done: list[Attempt] = []
    async with (
        faulty_server("ok", delay=delay) as legacy,
        faulty_server("ok", delay=delay) as candidate,
        proxy_process(folder, legacy.url, candidate.url, **settings) as proxy,
    ):
        await drive(proxy.url, "/warmup", 20, concurrency=plan.concurrency)
        await proxy.settle(within)
        rss_before = proxy.peak_rss_mib()
        while len(done) < attempts:
            done.append(await _attempt(proxy, legacy, candidate, plan, len(done) + 1, within))
            if fair(_row(label, plan, done[-1])):
                break
        rss_peak = proxy.peak_rss_mib()
        exit_code = await proxy.stop()
        log = proxy.output()
    for attempt in done:
        attempt.capture = read_capture(proxy.store, f"/fault-{attempt.number}")
    notes = [f"peak RSS +{rss_peak - rss_before:.0f} MiB"]
    if len(done) > 1:
        notes.append(f"attempt {len(done)} of {attempts}")
    note = ", ".join(notes)
    fault_row = table.add(_row(label, plan, done[-1], note))
    return Run(done, fault_row, proxy.store, rss_before, rss_peak, log, exit_code)


def _settle_within(settings: dict[str, object]) -> float:
    """Long enough for every flight to end: both timeouts, then room for a loaded machine."""
    timeouts = (settings.get("mirror_timeout_s", 5.0), settings.get("legacy_timeout_s", 5.0))
    return 2 * max(float(t) for t in timeouts if isinstance(t, int | float)) + 10


async def _settled(proxy: ProxyProcess, within: float) -> dict[str, float]:
    counts = await proxy.settle(within)
    assert idle(counts), f"still busy after {within:.0f} s: {counts}"
    return counts


async def _attempt(
    proxy: ProxyProcess,
    legacy: FaultyServer,
    candidate: FaultyServer,
    plan: Plan,
    number: int,
    within: float,
) -> Attempt:
    await legacy.heal()
    await candidate.heal()
    baseline = await drive(
        proxy.url, f"/baseline-{number}", plan.requests, concurrency=plan.concurrency
    )
    before = await _settled(proxy, within)
    await legacy.misbehave(plan.legacy, every=plan.every)
    await candidate.misbehave(plan.candidate, every=plan.every)
    faulty = await drive(proxy.url, f"/fault-{number}", plan.requests, concurrency=plan.concurrency)
    after = await _settled(proxy, within)
    served = int(after["twinsight_served_total"] - before["twinsight_served_total"])
    return Attempt(number, baseline, faulty, served, dropped(after) - dropped(before))


def _row(label: str, plan: Plan, attempt: Attempt, note: str = "") -> Row:
    return row(
        label,
        latencies_ms=attempt.faulty.latencies_ms,
        success_pct=attempt.faulty.success(plan.expect),
        baseline_ms=attempt.baseline.latencies_ms,
        captured=attempt.capture.exchanges,
        dropped=attempt.dropped,
        served=attempt.served,
        note=note,
    )
