"""The readiness verdict for people: its heading lines and its rule table.

`verdict_rows` gives the table as plain strings (rule, scope, threshold, observed, bound,
status), for the terminal here and for any other rendering of the same verdict.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.markup import escape
from rich.table import Table

from twinsight.events import Interval, ReadinessVerdict, RuleOutcome

from .figures import bounds, measure, percent

__all__ = ["STATUS_STYLE", "VerdictRow", "verdict_lines", "verdict_rows", "verdict_table"]

STATUS_STYLE = {
    "READY": "bold green",
    "NOT READY": "bold red",
    "INCONCLUSIVE": "bold yellow",
    "pass": "green",
    "fail": "red",
    "inconclusive": "yellow",
    "not_measured": "dim",
}


class VerdictRow(NamedTuple):
    """One rule outcome as text."""

    rule: str
    scope: str
    threshold: str
    observed: str
    bound: str
    status: str
    reason: str


def _bound(interval: Interval | None) -> str:
    return f"{bounds(interval)} {interval.method}" if interval else "-"


def _status(outcome: RuleOutcome) -> str:
    if outcome.more_needed:
        return f"{outcome.status} (about {outcome.more_needed} more)"
    return outcome.status


def verdict_rows(verdict: ReadinessVerdict) -> list[VerdictRow]:
    """Every rule outcome as text, in the verdict's order (deciding rules first)."""
    return [
        VerdictRow(
            o.rule,
            o.scope,
            measure(o.threshold, o.unit),
            measure(o.observed, o.unit),
            _bound(o.interval),
            _status(o),
            o.reason,
        )
        for o in verdict.rules
    ]


def verdict_table(verdict: ReadinessVerdict, *, passed: bool = True) -> Table:
    """The rule table; `passed=False` leaves out the rules that pass."""
    table = Table(title=f"readiness of {verdict.candidate}", title_justify="left")
    for column in ("rule", "scope", "threshold", "observed", "bound", "status"):
        # Only the long free-text columns fold; numbers and statuses stay whole.
        table.add_column(column, overflow="fold", no_wrap=column not in ("scope", "bound"))
    for row, outcome in zip(verdict_rows(verdict), verdict.rules, strict=True):
        if not passed and outcome.status == "pass":
            continue
        style = STATUS_STYLE[outcome.status]
        cells = [escape(cell) for cell in row[:5]]
        table.add_row(*cells, f"[{style}]{escape(row.status)}[/]")
    return table


def verdict_lines(verdict: ReadinessVerdict) -> list[str]:
    """Rich markup: the verdict and its reason, the evidence behind it, the policy's hash."""
    style = STATUS_STYLE[verdict.status]
    first, last = verdict.window
    lines = [
        f"[{style}]{verdict.status}[/]: {escape(verdict.reason)}",
        f"  {verdict.exchanges} exchange(s) judged for target {escape(verdict.candidate)}"
        + (f", {first} .. {last}" if first else ""),
    ]
    coverage = verdict.coverage
    if coverage.get("served"):
        mirrored = coverage.get("mirrored", coverage.get("stored", 0))
        share = percent(mirrored / coverage["served"])
        lines.append(f"  capture: {mirrored} of {coverage['served']} served mirrored ({share})")
    for why, count in sorted(verdict.not_compared.items()):
        lines.append(f"  [yellow]{count} not compared[/]: {escape(why)}")
    unmeasured = [o for o in verdict.rules if o.status == "not_measured"]
    for outcome in unmeasured:
        lines.append(f"  [dim]not measured[/]: {escape(outcome.scope)}: {escape(outcome.reason)}")
    lines.append(f"  policy {verdict.policy_hash} (readiness settings: twinsight config show)")
    return lines
