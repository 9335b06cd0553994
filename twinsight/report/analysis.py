"""What `analyze` says about a run: verdict counts, scenarios, clusters, proposed rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.markup import escape

from .namespaces import Namespaces

if TYPE_CHECKING:
    from twinsight.analysis.clusters import Cluster
    from twinsight.analysis.collect import Analysis, ScenarioRun
    from twinsight.analysis.noise import Volatile
    from twinsight.store import HistoryRow

__all__ = [
    "cluster_lines",
    "endpoint_list",
    "finding_lines",
    "fixed_lines",
    "not_compared_lines",
    "scenario_line",
    "verdict_lines",
    "volatile_rule",
]

NOT_COMPARABLE = (
    "not_comparable: a replay both targets refused (401/403/407) where the recording was "
    "answered, or that a missing credential got refused"
)
NO_CANDIDATE = "no candidate answer: recorded or imported, never replayed"
UNMIRRORED = "writes not mirrored: served by the capture, never sent to a candidate"
UNANSWERED = "no target answered them (twinsight store info counts them too)"
CLUSTERS_SHOWN = 10
ENDPOINTS_SHOWN = 5


def verdict_lines(analysis: Analysis) -> list[str]:
    """Rich markup: counts per classification, and what was left out and why."""
    total = sum(analysis.counts.values())
    if analysis.analysed == total:
        lines = [f"[bold]{total}[/] exchange(s) analysed"]
    else:
        lines = [
            f"[bold]{total}[/] exchange(s) in all: {analysis.analysed} analysed now, "
            f"{total - analysis.analysed} kept from the last run (same spec, rules and "
            "targets; --full to judge all again)"
        ]
    lines += [f"  {name:<16} {count}" for name, count in analysis.counts.items()]
    return lines + not_compared_lines(analysis)


def not_compared_lines(analysis: Analysis) -> list[str]:
    """Rich markup: every exchange not compared, by why, and what replays changed; said
    even when nothing was left out, since silence would read as agreement."""
    found = [(count, escape(reason)) for reason, count in analysis.left_out.most_common()]
    if analysis.unreplayed:
        found.append((analysis.unreplayed, NO_CANDIDATE))
    refused = analysis.counts.get("not_comparable", 0)
    if refused:
        found.append((refused, NOT_COMPARABLE))
    if analysis.unmirrored:
        found.append((analysis.unmirrored, UNMIRRORED))
    if analysis.unanswered:
        found.append((analysis.unanswered, UNANSWERED))
    if not found:
        lines = ["not compared: none (every stored exchange had answers to compare)"]
    else:
        total = sum(count for count, _ in found)
        lines = [f"[yellow]{total} not compared[/], and why:"]
        lines += [f"  {count:>6}  {reason}" for count, reason in found]
    if analysis.replayed_recordings:
        lines.append(
            f"  {analysis.replayed_recordings} recording(s) without a candidate answer were "
            "replayed: compared through their replays"
        )
    if analysis.degraded_exchanges:
        kinds = ", ".join(f"{n} {escape(kind)}" for kind, n in analysis.degraded.most_common())
        lines.append(
            f"[yellow]degraded replay[/]: {analysis.degraded_exchanges} replayed exchange(s) "
            f"sent other than recorded ({kinds}); those refused for it are not_comparable"
        )
    return lines


def finding_lines(analysis: Analysis) -> list[str]:
    """Rich markup: scenario coverage, the first clusters, and proposed volatile rules."""
    lines = []
    if analysis.coverage:
        lines.append("scenarios (exchanges, and how many passed every checked line):")
        lines += [f"  {escape(scenario_line(run))}" for run in analysis.coverage]
    lines += cluster_lines(analysis.clusters)
    lines += fixed_lines(analysis.fixed, reread=not analysis.recorded)
    if analysis.volatile:
        lines.append(
            "values that differ in every exchange on both sides (ids, times, tokens): "
            "once checked, paste into twinsight.toml to compare them by shape:"
        )
        lines += [escape(volatile_rule(volatile)) for volatile in analysis.volatile]
    return lines


def cluster_lines(clusters: Sequence[Cluster], shown: int = CLUSTERS_SHOWN) -> list[str]:
    """Rich markup: the first clusters (real differences before inferred noise), the
    endpoints of each, and how many more there are and where to see them."""
    lines, names = [], Namespaces()
    for found in clusters[:shown]:
        head = f"{found.fingerprint} [{found.status}]" if found.status else found.fingerprint
        label = "[dim]inferred noise:[/] " if found.noise else ""
        lines.append(f"- {escape(head)} {label}{escape(names.short(found.description))}")
        lines += [f"    likely: {escape(names.short(guess))}" for guess in found.hypotheses[:2]]
        if len(found.by_endpoint) > 1:
            lines.append(f"    on: {escape(endpoint_list(found))}")
    if len(clusters) > shown:
        lines.append(
            f"{len(clusters) - shown} more cluster(s) not shown: "
            "see twinsight report or the clusters table"
        )
    if names.names:
        legend = ", ".join(f"{name}: = {uri}" for name, uri in names.legend())
        lines.append(f"  XML namespaces: {escape(legend)}")
    return lines


def fixed_lines(
    fixed: Sequence[HistoryRow], shown: int = CLUSTERS_SHOWN, *, reread: bool = False
) -> list[str]:
    """Rich markup: the clusters of the previous run this one no longer finds, named, with
    what that run said of the first few. `reread`: this run judged nothing new and shows
    what the last run fixed, which it says, lest it read as fixed just now."""
    if not fixed:
        return []
    names = ", ".join(row.fingerprint for row in fixed)
    since = "by the last run (nothing new since that run)" if reread else "since the previous run"
    lines = [f"[green]{len(fixed)} cluster(s) fixed[/] {since}: {escape(names)}"]
    lines += [f"    {row.fingerprint} was: {escape(row.description)}" for row in fixed[:shown]]
    if len(fixed) > shown:
        lines.append(f"    and {len(fixed) - shown} more")
    return lines


def endpoint_list(found: Cluster, shown: int = ENDPOINTS_SHOWN) -> str:
    """Plain text: the endpoints of a cluster with their exchanges, most affected first."""
    endpoints = found.endpoints
    said = ", ".join(f"{endpoint} ({count})" for endpoint, count, _ in endpoints[:shown])
    rest = len(endpoints) - shown
    return f"{said} and {rest} more" if rest > 0 else said


def scenario_line(run: ScenarioRun) -> str:
    """Plain text: how traffic exercised one scenario, in one line."""
    checks = f"{run.bound_lines} line(s) checked, {run.unbound_lines} not machine-checked"
    if not run.exchanges:
        return f"{run.name}: not exercised ({checks})"
    rates = ", ".join(
        f"{target} {count}/{run.exchanges}"
        for target, count in sorted(run.passed.items(), key=lambda i: i[0] != "legacy")
    )
    return f"{run.name}: {run.exchanges} exchange(s), passed {rates} ({checks})"


def volatile_rule(volatile: Volatile) -> str:
    """Plain text: the `twinsight.toml` lines that make a volatile location noise, to paste."""
    return (
        f'[[normalize]]\nwhere = "{volatile.endpoint} {volatile.location}"\n'
        'compare = "shape"\n'
        f'why = "values differ in every exchange on both sides ({volatile.shape})"\n'
    )
