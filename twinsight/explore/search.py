"""The hypothesis searches: generated inputs per operation, then sequences of operations.

A search stops at the first example whose answers diverge (a classification in
`Limits.stop_at`); hypothesis shrinks it, and the last failing run, the minimal one,
is the finding. Bounded by examples and by time: once the time is up, examples pass
without sending anything (unless a failure is being shrunk). Deterministic for a seed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase
from hypothesis.errors import Flaky
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from .driver import Driver, Outcome, Step
from .machine import Vocabulary, machine_for
from .operations import Operation
from .strategies import body_strategy, param_strategy

__all__ = ["DIVERGENT", "Finding", "Limits", "Progress", "explore_inputs", "explore_sequences"]

DIVERGENT = frozenset(
    {"explained", "regression", "spec_conflict", "candidate_error", "unexplained"}
)
"""What input exploration reports: neither match nor noise (nor not_comparable)."""
SEQUENCE_STOPS = frozenset({"regression", "spec_conflict", "candidate_error", "unexplained"})
"""What stops a sequence: an `explained` answer is the spec's intent, and goes on."""


@dataclass(frozen=True)
class Limits:
    """How far a search goes, and where hypothesis keeps what it found."""

    max_examples: int = 100
    seconds: float = 120.0
    seed: int = 0
    database: Path | None = None
    steps: int = 10  # longest sequence


@dataclass
class Progress:
    """What the progress display shows."""

    examples: int = 0
    divergences: int = 0
    deadline: float = 0.0
    phase: str = ""
    grace: float = 0.0  # seconds past the deadline a divergence found may still be shrunk

    @property
    def left(self) -> float:
        """Seconds left of the budget."""
        return max(self.deadline - time.monotonic(), 0.0)

    @property
    def over(self) -> float:
        """Seconds past the budget's end."""
        return max(time.monotonic() - self.deadline, 0.0)


@dataclass(frozen=True)
class Finding:
    """A minimal diverging example: its steps in order (the last one diverges)."""

    operation: str
    steps: tuple[Outcome, ...]
    unshrunk: str = ""  # why it is not the smallest: it did not happen again, or time ran out
    session: str = ""  # where its steps were sent once more (see `confirm`)
    confirmed: bool | None = None  # whether they diverged again there

    @property
    def verdict(self) -> tuple[str, str]:
        """The diverging step's classification and reason."""
        last = self.steps[-1].verdict
        return last.classification, last.reason


OnProgress = Callable[[Progress], None]


class Diverged(Exception):
    """Raised inside an example: hypothesis shrinks towards the smallest that raises it."""


@dataclass
class _Search:
    """One search's state, shared by the examples hypothesis runs."""

    driver: Driver
    progress: Progress
    on_progress: OnProgress
    stop_at: frozenset[str]
    failing: bool = False
    trace: list[Outcome] = field(default_factory=list)
    found: tuple[Outcome, ...] = ()
    session: str = ""
    cut: bool = False  # shrinking was stopped by the time budget

    def begin(self, label: str) -> bool:
        """A new example; False when the time is up (for a shrink: its grace too). An example
        that sends nothing passes, so hypothesis keeps the smallest failure it had."""
        self.trace = []
        self.session = f"{self.driver.run}:{label}:{self.progress.examples}"
        if self.progress.left <= 0 and not self.failing:
            return False
        if self.failing and self.progress.over > self.progress.grace:
            self.cut = True
            return False
        self.progress.examples += 1
        self.on_progress(self.progress)
        self.driver.reset()
        return True

    def step(self, step: Step) -> Outcome:
        """Send one step; raise `Diverged` when its answers diverge."""
        outcome = self.driver.exchange(step, self.session)
        self.trace.append(outcome)
        if outcome.verdict.classification in self.stop_at:
            if not self.failing:
                self.progress.divergences += 1
                self.on_progress(self.progress)
            self.failing = True
            self.found = tuple(self.trace)
            raise Diverged(outcome.verdict.reason)
        return outcome


def _settings(limits: Limits, database: ExampleDatabase | None, **more: Any) -> settings:
    return settings(
        max_examples=limits.max_examples,
        deadline=None,
        database=database,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        verbosity=Verbosity.quiet,  # the findings are printed by explore, as numbered steps
        # No explain phase: it sends every example again to say which parts matter.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        **more,
    )


def _database(limits: Limits, search: str) -> ExampleDatabase | None:
    # One folder per seed: a run replays what runs with its own seed saved, never another
    # seed's examples, so a seed names one run. One folder per search in it: every input
    # probe has the same code, which is what hypothesis keys its examples by.
    if limits.database is None:
        return None
    folder = re.sub(r"[^A-Za-z0-9_-]+", "_", search).strip("_")
    return DirectoryBasedExampleDatabase(limits.database / f"seed-{limits.seed}" / folder)


def request_strategy(
    operation: Operation, vocabulary: Mapping[str, Sequence[str]]
) -> st.SearchStrategy[Step]:
    """Requests to `operation`: its path parameters and its declared inputs as the body
    (a query field the spec reads drawn from its vocabulary, or left out)."""
    params = {name: param_strategy() for name in operation.params}
    has_body = bool(operation.inputs) or operation.method in ("POST", "PUT", "PATCH")
    body = body_strategy(operation.inputs) if operation.inputs else st.just({})
    queries = st.fixed_dictionaries(
        {},
        optional={
            name: st.sampled_from(vocabulary[name]) if name in vocabulary else value_text()
            for name in operation.query_fields
        },
    )
    return st.builds(
        lambda found, data, query: Step(
            operation.method,
            _fill(operation.path, found),
            "&".join(f"{k}={v}" for k, v in query.items()),
            data,
            has_body,
        ),
        st.fixed_dictionaries(params),
        body,
        queries,
    )


def value_text() -> st.SearchStrategy[str]:
    """A query value nothing declares: short ASCII words."""
    return st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)


def _fill(template: str, params: Mapping[str, str]) -> str:
    for name, value in params.items():
        template = template.replace("{" + name + "}", value)
    return template


def explore_inputs(
    operation: Operation,
    driver: Driver,
    limits: Limits,
    progress: Progress,
    vocabulary: Vocabulary,
    on_progress: OnProgress = lambda _: None,
) -> Finding | None:
    """Generated requests to one operation until one diverges (shrunk), or the budget ends."""
    search = _Search(driver, progress, on_progress, DIVERGENT)

    def probe(step: Step) -> None:
        if not search.begin(operation.name):
            return
        try:
            search.step(step)
        finally:
            if operation.role == "create":  # what it made is gone before the next example
                for outcome in search.trace:
                    driver.undo(outcome)

    probe.__qualname__ = probe.__name__ = "explore_" + re.sub(r"\W+", "_", operation.name)
    test: Callable[[], None] = given(request_strategy(operation, vocabulary(operation)))(probe)
    test = seed(limits.seed)(_settings(limits, _database(limits, operation.name))(test))
    return _outcome(operation.name, search, test)


def explore_sequences(
    operations: Sequence[Operation],
    driver: Driver,
    limits: Limits,
    progress: Progress,
    vocabulary: Vocabulary,
    on_progress: OnProgress = lambda _: None,
) -> Finding | None:
    """Random sequences of the operations (ids carried from creates to the rest) until one
    diverges; hypothesis shrinks it to the shortest it can."""
    search = _Search(driver, progress, on_progress, SEQUENCE_STOPS)
    machine: type[RuleBasedStateMachine] = machine_for(operations, vocabulary, search)
    seed(limits.seed)(machine)
    chosen = _settings(limits, _database(limits, "sequences"), stateful_step_count=limits.steps)
    return _outcome("sequence", search, lambda: run_state_machine_as_test(machine, settings=chosen))


def _outcome(name: str, search: _Search, test: Callable[[], None]) -> Finding | None:
    try:
        test()
    except Diverged:
        return Finding(name, search.found)
    except Flaky:
        why = "shrinking stopped by the time budget" if search.cut else "it did not happen again"
        return Finding(name, search.found, unshrunk=why) if search.found else None
    return None
