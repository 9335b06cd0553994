"""What a spec lets a machine check, and what it leaves to people."""

from __future__ import annotations

from dataclasses import dataclass, field

from twinsight.spec.model import Spec

__all__ = ["ScenarioCoverage", "SpecCoverage", "spec_coverage"]


@dataclass(frozen=True)
class ScenarioCoverage:
    """One scenario: is its request bound, and which lines carry a check."""

    name: str
    request_bound: bool
    bound_lines: tuple[str, ...]
    unbound_lines: tuple[str, ...]


@dataclass(frozen=True)
class SpecCoverage:
    """Counts for `spec check`: scenarios, bound and unbound lines, constraints."""

    scenarios: tuple[ScenarioCoverage, ...]
    constraints: dict[str, int] = field(default_factory=dict)
    accepted: int = 0

    @property
    def bound_lines(self) -> int:
        return sum(len(s.bound_lines) for s in self.scenarios)

    @property
    def unbound_lines(self) -> int:
        return sum(len(s.unbound_lines) for s in self.scenarios)

    @property
    def bound_scenarios(self) -> int:
        return sum(1 for s in self.scenarios if s.request_bound)


def spec_coverage(spec: Spec) -> SpecCoverage:
    """Which lines of `spec` are machine-checked; a line is checked only if bound."""
    scenarios = []
    for scenario in spec.scenarios:
        lines = [*scenario.given, *scenario.then]
        # Checks of a scenario whose request is not bound never run: count them unbound.
        bound = scenario.when.bound
        scenarios.append(
            ScenarioCoverage(
                name=scenario.name,
                request_bound=bound,
                bound_lines=tuple(line.text for line in lines if bound and line.bound),
                unbound_lines=tuple(line.text for line in lines if not (bound and line.bound)),
            )
        )
    constraints = {group: len(items) for group, items in spec.constraints.items()}
    return SpecCoverage(tuple(scenarios), constraints, len(spec.accepted))
