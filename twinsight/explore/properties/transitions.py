"""The `state_transitions` property: every transition the spec lists is tried on a resource
of its own, brought to the starting state through valid transitions, on both targets.

A valid transition is kept when the target accepts it (2xx) and the resource then holds the
new state; an invalid one when the target refuses it (4xx) and the state is unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from twinsight.explore.driver import Driver, Outcome, created_id
from twinsight.explore.operations import Operation
from twinsight.records import Response
from twinsight.spec.properties import Transitions

from .states import Resource, path_between, state_of
from .verdict import KEPT, Kept, Trial

__all__ = ["TransitionTrial", "Walk", "planned", "try_transition"]


@dataclass(frozen=True)
class TransitionTrial:
    """One listed transition: from, to, and whether the spec calls it valid."""

    start: str
    end: str
    valid: bool

    @property
    def what(self) -> str:
        """`completed -> pending (invalid)`."""
        return f"{self.start} -> {self.end} ({'valid' if self.valid else 'invalid'})"


def planned(declared: Transitions) -> list[TransitionTrial]:
    """Every transition the property lists, valid ones first, each once."""
    found: dict[tuple[str, str], TransitionTrial] = {}
    for valid, table in ((True, declared.valid), (False, declared.invalid)):
        for start, ends in table.items():
            for end in ends:
                found.setdefault((start, end), TransitionTrial(start, end, valid))
    return list(found.values())


@dataclass(frozen=True)
class Walk:
    """What every transition of one property is tried with."""

    driver: Driver
    resource: Resource
    declared: Transitions
    prefer: Operation | None  # the scenario's own request, where it sets the state


def try_transition(walk: Walk, trial: TransitionTrial, session: str) -> Trial:
    """Create a resource, walk it to `trial.start`, attempt `trial.end`, read it back."""
    made = walk.driver.exchange(walk.resource.create_step(), session)
    steps = [made]
    try:
        return _attempt(walk, trial, session, steps)
    finally:
        walk.driver.undo(made)


def _attempt(walk: Walk, trial: TransitionTrial, session: str, steps: list[Outcome]) -> Trial:
    made = steps[0]
    first = state_of(made.legacy, walk.declared.states)
    ids = created_id(made.legacy)
    if first is None or ids is None:
        why = "the create was refused" if ids is None else "its answer names no declared state"
        return Trial(trial.what, skipped=f"{why} on the legacy", steps=tuple(steps))
    field, initial = first
    route = path_between(walk.declared.valid, initial, trial.start)
    if route is None:
        why = f"{trial.start} is not reachable from {initial} by valid transitions"
        return Trial(trial.what, skipped=why, steps=tuple(steps))
    for state in (*route, trial.end):
        template = walk.resource.setter(state, field, walk.prefer)
        if template is None:
            why = f"no bound operation sets {field} to {state}"
            return Trial(trial.what, skipped=why, steps=tuple(steps))
        steps.append(walk.driver.exchange(walk.resource.on(template, ids), session))
    attempt, setup = steps[-1], steps[1:-1]
    after = _read_back(walk.driver, walk.resource, ids, session, steps)
    legacy, candidate = (
        _kept(trial, field, attempt_answer, after_answer, walked)
        for attempt_answer, after_answer, walked in _sides(attempt, after, setup)
    )
    return Trial(trial.what, legacy, candidate, steps=tuple(steps))


def _read_back(
    driver: Driver, resource: Resource, ids: str, session: str, steps: list[Outcome]
) -> Outcome | None:
    read = resource.read_step()
    if read is None:
        return None
    outcome = driver.exchange(resource.on(read, ids), session)
    steps.append(outcome)
    return outcome


def _sides(
    attempt: Outcome, after: Outcome | None, setup: list[Outcome]
) -> Iterator[tuple[Response, Response | None, list[Response]]]:
    yield attempt.legacy, after.legacy if after else None, [o.legacy for o in setup]
    yield attempt.candidate, after.candidate if after else None, [o.candidate for o in setup]


def _kept(
    trial: TransitionTrial,
    field: str,
    attempt: Response,
    after: Response | None,
    setup: list[Response],
) -> Kept:
    refused = [r.status for r in setup if not _accepted(r)]
    if refused:
        return Kept.broken(f"refused a valid transition on the way to {trial.start} ({refused[0]})")
    if attempt.status is None:
        return Kept.broken(f"did not answer ({attempt.error})")
    read = state_of(after, (), field) if after is not None and _accepted(after) else None
    now = read[1] if read else None
    if trial.valid:
        if not _accepted(attempt):
            return Kept.broken(f"refused it ({attempt.status})")
        if now is not None and now != trial.end:
            return Kept.broken(f"accepted it ({attempt.status}) but the {field} is {now}")
        return KEPT
    if _accepted(attempt):
        return Kept.broken(f"accepted it ({attempt.status})")
    if attempt.status >= 500:
        return Kept.broken(f"failed ({attempt.status}) instead of refusing")
    if now is not None and now != trial.start:
        return Kept.broken(f"refused it ({attempt.status}) but the {field} is now {now}")
    return KEPT


def _accepted(response: Response) -> bool:
    return response.status is not None and 200 <= response.status < 300
