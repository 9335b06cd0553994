"""What `spec check` says about a valid spec, as rich markup lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape

if TYPE_CHECKING:
    from twinsight.spec import SpecCoverage

__all__ = ["coverage_lines"]


def coverage_lines(name: str, coverage: SpecCoverage) -> list[str]:
    """Rich markup: scenarios and lines a machine checks, constraints, and the lines it does not."""
    scenarios = f"{len(coverage.scenarios)} scenarios ({coverage.bound_scenarios} bound to HTTP)"
    checked = (
        f"{coverage.bound_lines} lines machine-checked, "
        f"{coverage.unbound_lines} not machine-checked"
    )
    lines = [f"[green]ok[/] {escape(name)}: {scenarios}, {checked}"]
    if coverage.constraints:
        groups = ", ".join(f"{group} {count}" for group, count in coverage.constraints.items())
        lines.append(
            f"   constraints: {groups} (measured by load and ready where their words allow)"
        )
    if coverage.accepted:
        lines.append(f"   accepted differences: {coverage.accepted}")
    for scenario in coverage.scenarios:
        for line in scenario.unbound_lines:
            lines.append(
                f"   [yellow]not machine-checked[/] {escape(scenario.name)}: {escape(line)}"
            )
    return lines
