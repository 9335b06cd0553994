"""One exploration: sequences of the spec's operations first, then generated inputs per
operation, within one time budget (the sequences get half of it)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from twinsight.spec import Spec

from .confirm import confirm
from .driver import Driver
from .operations import Operation, operations, vocabulary
from .properties import Checked, check_properties
from .search import (
    DIVERGENT,
    SEQUENCE_STOPS,
    Finding,
    Limits,
    OnProgress,
    Progress,
    explore_inputs,
    explore_sequences,
)

__all__ = ["Explored", "NothingToExplore", "explore"]


class NothingToExplore(ValueError):
    """The spec binds no request."""


@dataclass
class Explored:
    """What an exploration found, and how much it sent."""

    findings: list[Finding] = field(default_factory=list)
    properties: list[Checked] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)
    unexplored: list[str] = field(default_factory=list)  # operations the time ran out before
    examples: int = 0
    sent: int = 0
    out_of_time: bool = False


def explorable(spec: Spec) -> list[Operation]:
    """The spec's bound operations; `NothingToExplore` when there are none."""
    found = operations(spec)
    if not found:
        raise NothingToExplore("no scenario binds a request (when.request): nothing to explore")
    return found


def explore(
    spec: Spec,
    driver: Driver,
    limits: Limits,
    on_progress: OnProgress = lambda _: None,
    on_finding: Callable[[Finding], None] = lambda _: None,
) -> Explored:
    """Explore every bound operation of `spec` on the driver's two targets."""
    ops = explorable(spec)
    words = functools.partial(vocabulary, spec)
    driver.reset()  # a reset that fails says so before anything is sent
    progress = Progress(phase="properties")

    def trying(name: str) -> None:
        progress.phase = name
        on_progress(progress)

    # Declared properties first, outside the time budget: a bounded number of trials.
    properties = check_properties(spec, driver, limits.seed, trying)
    started = time.monotonic()
    # A divergence found in time may take a quarter of the budget more to shrink.
    progress.deadline, progress.grace = started + limits.seconds / 2, limits.seconds / 4
    progress.phase = "sequences"
    result = Explored(properties=properties, operations=[op.name for op in ops])
    found = explore_sequences(ops, driver, limits, progress, words, on_progress)
    _keep(result, found, on_finding, driver, SEQUENCE_STOPS)
    end = started + limits.seconds
    # Creates last: one the candidate accepts and the legacy refuses leaves the two apart,
    # and every later list would show it.
    ordered = sorted(ops, key=lambda op: op.role == "create")
    for index, op in enumerate(ordered):
        # Each operation an equal share of what is left, so the first cannot take it all.
        now = time.monotonic()
        progress.deadline = now + max(end - now, 0.0) / (len(ordered) - index)
        progress.grace = max(end - now, 0.0) / (len(ordered) - index) / 2
        progress.phase = op.name
        before = progress.examples
        found = explore_inputs(op, driver, limits, progress, words, on_progress)
        _keep(result, found, on_finding, driver, DIVERGENT)
        if progress.examples == before:
            result.unexplored.append(op.name)
    result.examples, result.sent = progress.examples, driver.sent
    result.out_of_time = time.monotonic() >= end
    return result


def _keep(
    result: Explored,
    found: Finding | None,
    on_finding: Callable[[Finding], None],
    driver: Driver,
    stop_at: frozenset[str],
) -> None:
    if found is not None:
        found = confirm(driver, found, len(result.findings) + 1, stop_at)
        result.findings.append(found)
        on_finding(found)
