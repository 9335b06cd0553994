"""The spec's declared properties checked on both targets: idempotency, state transitions,
parallel equals sequential. Each property is tried in `Trial`s whose steps are recorded like
every explored request (one session per trial), and each trial says which target kept it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from twinsight.explore.driver import Driver
from twinsight.explore.operations import Operation, operations, vocabulary
from twinsight.spec import Spec
from twinsight.spec.properties import (
    Concurrency,
    Idempotency,
    Property,
    Transitions,
    Unchecked,
    scenario_properties,
)

from .concurrency import batch, try_both_ways
from .idempotency import try_twice
from .states import resource_for
from .transitions import Walk, planned, try_transition
from .verdict import Kept, Trial, classify

__all__ = ["Checked", "Kept", "Trial", "check_properties", "classify", "declared"]


@dataclass(frozen=True)
class Checked:
    """One declared property and its trials (none when it could not be tried: `skipped`)."""

    prop: Property
    trials: tuple[Trial, ...] = ()
    skipped: str = ""

    @property
    def classification(self) -> str:
        """The worst of its trials: regression, then spec_conflict, explained, match;
        `not_checked` when no trial ran."""
        found = {t.classification for t in self.trials} - {"not_checked"}
        for worst in ("regression", "spec_conflict", "explained", "match"):
            if worst in found:
                return worst
        return "not_checked"


def declared(spec: Spec) -> list[Property]:
    """Every property the spec's scenarios declare, in order."""
    return [
        found
        for s in spec.scenarios
        for found in scenario_properties(s.name, s.properties, s.property_tests)
    ]


def check_properties(
    spec: Spec, driver: Driver, seed: int, on_trial: Callable[[str], None] = lambda _: None
) -> list[Checked]:
    """Try every declared property on both targets (`on_trial` hears each one's name as it
    starts)."""
    ops = operations(spec)
    results = []
    for number, prop in enumerate(declared(spec), 1):
        session = f"{driver.run}:property:{number}"
        results.append(_check(spec, prop, ops, driver, seed, session, on_trial))
    return results


def _check(
    spec: Spec,
    prop: Property,
    ops: list[Operation],
    driver: Driver,
    seed: int,
    session: str,
    on_trial: Callable[[str], None],
) -> Checked:
    if isinstance(prop, Unchecked):
        return Checked(prop, skipped=prop.why)
    own = [op for op in ops if prop.scenario in op.scenarios]
    if not own:
        return Checked(prop, skipped="its scenario binds no request (when.request)")
    resource = resource_for(ops, own[0].path)
    trials: list[Trial] = []
    tried = trials.append
    on_trial(prop.name)

    if isinstance(prop, Idempotency):
        driver.reset()
        tried(try_twice(driver, prop, own[0], resource, f"{session}:1"))
    elif resource is None:
        return Checked(prop, skipped=f"no bound create makes what {own[0].name} acts on")
    elif isinstance(prop, Transitions):
        walk = Walk(driver, resource, prop, own[0])
        for index, trial in enumerate(planned(prop), 1):
            driver.reset()
            tried(try_transition(walk, trial, f"{session}:{index}"))
    elif isinstance(prop, Concurrency):
        words = vocabulary(spec, resource.create)
        states = vocabulary(spec, resource.create, own=False)
        deletes = [
            op
            for op in ops
            if op.method == "DELETE" and op.path.startswith(resource.create.path.rstrip("/") + "/{")
        ]
        changes = batch(resource, words, deletes, prop.smallest, seed)
        driver.reset()
        tried(try_both_ways(driver, resource, changes, states, f"{session}:1"))
    return Checked(prop, tuple(trials))
