"""Proposals: a new scenario for each cluster nobody specified, pinning the legacy's behaviour.

`propose` turns clusters (as `Case`s: a few exchanges each, and what came before them)
into scenarios in the spec's own format. Each is checked on its own examples before it
is offered: the legacy passes every bound line (a line it fails keeps its words only),
and where the candidate fails one, merging the proposal turns those exchanges from
`unexplained` into `regression`. A cluster an existing scenario already pins, or a
proposal the spec already holds, is skipped with the reason. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from twinsight.analysis.scenarios import check_scenarios
from twinsight.spec import Scenario, Spec
from twinsight.spec.model import ResponseLine

from .build import scenario_of
from .celpath import parse_location
from .evidence import Before, Case, Seen

__all__ = ["Before", "Case", "Proposal", "Seen", "Skipped", "propose"]


@dataclass(frozen=True)
class Proposal:
    """A proposed scenario, the cluster it came from, and the evidence behind it."""

    fingerprint: str
    scenario: Scenario
    evidence: tuple[str, ...]
    catches: bool  # the candidate fails a line on the cluster's examples
    example: Seen | None = None  # the request to reproduce it with
    location: str = ""  # the cluster's, indexes folded
    kind: str = ""


@dataclass(frozen=True)
class Skipped:
    """A cluster left without a proposal, and why."""

    fingerprint: str
    reason: str


def propose(cases: Sequence[Case], spec: Spec | None) -> tuple[list[Proposal], list[Skipped]]:
    """A proposal per case not already pinned by `spec`, and the cases skipped."""
    proposals: list[Proposal] = []
    skipped: list[Skipped] = []
    names = {s.name for s in spec.scenarios} if spec else set()
    for case in cases:
        pinned = _pinned_by(case, spec)
        if pinned:
            skipped.append(Skipped(case.fingerprint, f"already pinned by scenario {pinned!r}"))
            continue
        scenario, catches = _checked(scenario_of(case), case.examples)
        twin = _same_as(scenario, spec)
        if twin:
            skipped.append(Skipped(case.fingerprint, f"the spec holds it as {twin!r}"))
            continue
        name = _unique(scenario.name, case.fingerprint, names)
        scenario = scenario.model_copy(update={"name": name})
        names.add(name)
        example = case.examples[0] if case.examples else None
        why = evidence(case, catches)
        found = Proposal(
            case.fingerprint, scenario, why, catches, example, case.location, case.kind
        )
        proposals.append(found)
    return proposals, skipped


def evidence(case: Case, catches: bool) -> tuple[str, ...]:
    """The comment block above a proposal: where it came from, and what it rests on."""
    where = ", ".join(case.endpoints[:3]) + (" and more" if len(case.endpoints) > 3 else "")
    lines = [
        f"cluster {case.fingerprint}: {case.count} exchange(s), {case.share:.0%} of {where}",
        f"what differs: {case.description or f'{case.location} ({case.pattern})'}",
    ]
    if case.first_seen and case.last_seen:
        lines.append(
            f"seen from {case.first_seen:%Y-%m-%d %H:%M:%S} to {case.last_seen:%Y-%m-%d %H:%M:%S}"
        )
    lines += [f"likely: {h}" for h in case.hypotheses]
    if case.examples:
        lines.append("examples: " + ", ".join(e.id for e in case.examples[:5]))
    if not catches:
        lines.append("note: the candidate passes these lines on the examples; they pin words only")
    return tuple(lines)


def _checked(scenario: Scenario, examples: Sequence[Seen]) -> tuple[Scenario, bool]:
    """`scenario` with checks the legacy fails on an example kept as words only; and whether
    the candidate fails a line on every example."""
    alone = Spec(feature="proposal", scenarios=(scenario,))
    failing: set[str] = set()
    caught = 0
    for example in examples:
        results = check_scenarios(alone, example.request, example.legacy, example.candidate)
        failing |= {r.line for r in results if not r.legacy.passed}
        caught += any(r.legacy.passed and not r.candidate.passed for r in results)
    if failing:
        then = tuple(
            ResponseLine(text=line.text, check=None if line.text in failing else line.check)
            for line in scenario.then
        )
        scenario = scenario.model_copy(update={"then": then})
    return scenario, bool(examples) and caught == len(examples)


def _unique(name: str, fingerprint: str, taken: set[str]) -> str:
    """`name`, else with the cluster's fingerprint, else numbered too: never one taken."""
    if name not in taken:
        return name
    found, n = f"{name} ({fingerprint})", 2
    while found in taken:
        found, n = f"{name} ({fingerprint}, {n})", n + 1
    return found


def _pinned_by(case: Case, spec: Spec | None) -> str | None:
    """A scenario of `spec` that applies to the case's examples and checks its location."""
    location = parse_location(case.location)
    if spec is None or location is None or not case.examples:
        return None
    # Where the location's read stops: `response.body.id` must not pin on a check of
    # `response.body.idx`.
    reads = re.compile(re.escape(location.cel_value("response").split(".map(")[0]) + r"(?!\w)")
    example = case.examples[0]
    for result in check_scenarios(spec, example.request, example.legacy, example.candidate):
        check = next(
            (
                line.check
                for line in spec.scenario(result.scenario).then
                if line.text == result.line
            ),
            None,
        )
        if check and reads.search(check):
            return result.scenario
    return None


def _same_as(scenario: Scenario, spec: Spec | None) -> str | None:
    """The name of a scenario of `spec` with the same trigger and every line of `scenario`."""
    if spec is None:
        return None
    checks = {line.check for line in scenario.then if line.check}
    trigger = (scenario.when.request, scenario.when.match)
    for other in spec.scenarios:
        same_trigger = (other.when.request, other.when.match) == trigger
        if same_trigger and checks <= {line.check for line in other.then if line.check}:
            return other.name
    return None
