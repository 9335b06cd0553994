"""What `twinsight load` prints: each target's measures per endpoint, then the constraints."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from rich.markup import escape
from rich.table import Table

from twinsight.analysis.constraints import ConstraintResult, Measure
from twinsight.analysis.stats import percentiles
from twinsight.store.loads import LoadRow

__all__ = ["constraint_table", "endpoint_table", "progress_line"]

_STYLE = {"met": "green", "missed": "red", "not measurable": "yellow"}


def progress_line(target: str, sent: int, elapsed: float, duration: float) -> str:
    """The live line while a target is under load."""
    rate = sent / elapsed if elapsed > 0 else 0.0
    return (
        f"load on {escape(target)}: {sent} requests, {rate:.0f} req/s, "
        f"{min(elapsed, duration):.0f}/{duration:g} s"
    )


def endpoint_table(rows: Sequence[LoadRow]) -> Table:
    """One line per target and endpoint: requests, errors, latency percentiles, rate."""
    table = Table(title="load per endpoint", title_justify="left")
    for name in ("target", "endpoint", "requests", "errors", "statuses", "p50/p95/p99 ms", "req/s"):
        table.add_column(
            name, justify="right" if name in ("requests", "errors", "req/s") else "left"
        )
    for row in rows:
        shown = percentiles(row.latencies_ms)
        points = "/".join(f"{shown[p]:.1f}" for p in ("p50", "p95", "p99")) if shown else "-"
        statuses = orjson.loads(row.statuses)
        codes = ", ".join(f"{code} x{count}" for code, count in sorted(statuses.items()))
        rate = row.requests / row.duration_s if row.duration_s > 0 else 0.0
        table.add_row(
            escape(row.target), escape(row.endpoint), str(row.requests), str(row.errors),
            codes, points, f"{rate:.1f}",
        )  # fmt: skip
    return table


def constraint_table(results: Sequence[ConstraintResult], targets: Sequence[str]) -> Table:
    """One line per constraint: each target's status and measured value, with why."""
    table = Table(title="constraints under load", title_justify="left")
    table.add_column("constraint")
    table.add_column("requirement")
    for target in targets:
        table.add_column(escape(target))
    for result in results:
        cells = [_cell(result, target) for target in targets]
        scope = escape(f"{result.group}: {result.name}")
        table.add_row(scope, escape(result.requirement), *cells)
    return table


def _cell(result: ConstraintResult, target: str) -> str:
    mine: Measure | None = next((m for m in result.measures if m.target == target), None)
    if mine is None:
        return f"[yellow]not measurable[/]: {escape(result.reason or 'not under load')}"
    return f"[{_STYLE[mine.status]}]{mine.status}[/]: {escape(mine.why)}"
