"""The `idempotency` property: the scenario's request sent twice, alike, on both targets.

For a create, kept when the second answer names the resource the first made (the same
id); for anything else, when the second answer has the first one's status."""

from __future__ import annotations

from twinsight.explore.driver import Driver, Outcome, Step, created_id
from twinsight.explore.operations import Operation
from twinsight.records import Response
from twinsight.spec.properties import Idempotency

from .states import Resource
from .verdict import KEPT, Kept, Trial

__all__ = ["try_twice"]


def try_twice(
    driver: Driver, declared: Idempotency, op: Operation, resource: Resource | None, session: str
) -> Trial:
    """Send `op`'s request twice (on a resource made for it when it acts on one)."""
    what = f"{op.name} sent twice"
    made: list[Outcome] = []
    try:
        if op.role == "create":
            step = _create(op, declared.key)
        elif resource is not None and op.role == "act":
            made.append(driver.exchange(resource.create_step(), session))
            ids = created_id(made[0].legacy)
            if ids is None:
                return Trial(
                    what, skipped="the create was refused on the legacy", steps=tuple(made)
                )
            step = resource.on(
                Step(op.method, op.path, has_body=op.method in ("PUT", "PATCH")), ids
            )
        else:
            step = Step(op.method, op.path)
        first, second = driver.exchange(step, session), driver.exchange(step, session)
        if op.role == "create":
            made += [first, second]
        steps = (*made, first, second) if op.role != "create" else (first, second)
        legacy = _kept(op, first.legacy, second.legacy)
        candidate = _kept(op, first.candidate, second.candidate)
        return Trial(what, legacy, candidate, steps=steps)
    finally:
        for outcome in made:
            driver.undo(outcome)


def _create(op: Operation, key: tuple[str, ...]) -> Step:
    """The same body both times: each key field and each required input, by example."""
    body = {
        i.name: next((e for e in i.examples if e is not None), "twinsight")
        for i in op.inputs
        if not i.optional or i.name in key
    }
    return Step(op.method, op.path, body=body, has_body=True)


def _kept(op: Operation, first: Response, second: Response) -> Kept:
    if first.status is None or second.status is None:
        return Kept.broken(f"did not answer ({first.error or second.error})")
    if op.role == "create":
        ids = created_id(first), created_id(second)
        if ids[0] is not None and ids[0] == ids[1]:
            return KEPT
        if ids[0] is not None and ids[1] is not None:
            return Kept.broken(f"made two resources ({ids[0]}, then {ids[1]})")
        return Kept.broken(f"answered {first.status}, then {second.status}")
    if first.status == second.status:
        return KEPT
    return Kept.broken(f"answered {first.status}, then {second.status}")
