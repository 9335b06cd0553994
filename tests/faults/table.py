"""The fault suite's summary table: one row per fault, printed at the end of the pytest run.

Any test under tests/faults/ adds a row through the `fault_table` fixture:

    def test_x(fault_table: FaultTable) -> None:
        fault_table.add(row("candidate hangs", baseline=..., faulty=..., captured=...))

The table is printed in the terminal summary and, when the environment variable
named by `MARKDOWN_ENV` holds a file name, written there as Markdown (the
README's reliability section shows it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["MARKDOWN_ENV", "FaultTable", "Row", "markdown", "p99", "percentile", "row", "text"]

MARKDOWN_ENV = "TWINSIGHT_FAULT_TABLE"

_HEADER = (
    "fault",
    "requests",
    "client success %",
    "client p99 ms",
    "baseline p99 ms",
    "p99 ratio",
    "captured",
    "dropped",
    "lost",
    "note",
)


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank `q`-th percentile (0 < q <= 100) of `values`; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def p99(values: Sequence[float]) -> float:
    """The 99th percentile of `values`."""
    return percentile(values, 99)


@dataclass(frozen=True)
class Row:
    """One fault: what the client saw against the baseline, and what capture kept of it.

    `served` is what the proxy counted as served for the phase; lost = served - captured -
    dropped (requests neither stored nor counted as dropped: silent loss).
    """

    fault: str
    requests: int
    success_pct: float
    p99_ms: float
    baseline_p99_ms: float | None
    captured: int
    dropped: int
    served: int
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Client p99 under the fault over the baseline's; None without a baseline."""
        if self.baseline_p99_ms is None or self.baseline_p99_ms <= 0:
            return None
        return self.p99_ms / self.baseline_p99_ms

    @property
    def lost(self) -> int:
        """Served exchanges neither stored nor counted as dropped."""
        return self.served - self.captured - self.dropped

    def cells(self) -> tuple[str, ...]:
        """The row as table cells."""
        ratio = "-" if self.ratio is None else f"{self.ratio:.2f}x"
        baseline = "-" if self.baseline_p99_ms is None else f"{self.baseline_p99_ms:.1f}"
        return (
            self.fault,
            str(self.requests),
            f"{self.success_pct:.1f}",
            f"{self.p99_ms:.1f}",
            baseline,
            ratio,
            str(self.captured),
            str(self.dropped),
            str(self.lost),
            self.note,
        )


def row(
    fault: str,
    *,
    latencies_ms: Sequence[float],
    success_pct: float,
    baseline_ms: Sequence[float] | None,
    captured: int,
    dropped: int,
    served: int,
    note: str = "",
) -> Row:
    """A row from raw client latencies (the fault's and the baseline's) and capture counts."""
    return Row(
        fault=fault,
        requests=len(latencies_ms),
        success_pct=success_pct,
        p99_ms=p99(latencies_ms),
        baseline_p99_ms=p99(baseline_ms) if baseline_ms else None,
        captured=captured,
        dropped=dropped,
        served=served,
        note=note,
    )


def text(rows: Sequence[Row]) -> str:
    """The rows as an aligned plain-text table."""
    lines = [_HEADER, *(r.cells() for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(_HEADER))]
    out = []
    for n, line in enumerate(lines):
        first, last = line[0].ljust(widths[0]), line[-1]
        middle = (cell.rjust(width) for cell, width in zip(line[1:-1], widths[1:-1], strict=True))
        out.append("  ".join((first, *middle, last)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def markdown(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table (numbers right-aligned)."""
    align = "|---|" + "---:|" * (len(_HEADER) - 2) + "---|"
    lines = [_markdown_line(_HEADER), align, *(_markdown_line(r.cells()) for r in rows)]
    return "\n".join(lines) + "\n"


def _markdown_line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


@dataclass
class FaultTable:
    """The rows added during one pytest session, in the order added."""

    rows: list[Row] = field(default_factory=list)

    def add(self, fault_row: Row) -> Row:
        """Add a row (returned, so a test can assert on it)."""
        self.rows.append(fault_row)
        return fault_row
