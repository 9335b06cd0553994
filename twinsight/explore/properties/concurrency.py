"""The parallel-equals-sequential property: one batch of changes run one after another on
resources of its own, the same batch run at once on others; each target's two final states
must agree.

Each resource gets one change, repeated (two users completing the same task at once, as
the proposal's edge case has it): whatever order a correct service serialises them in,
it ends in one state with as many successes as one after another."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from typing import Any

from twinsight.explore.driver import POOL, Driver, Outcome, Step, created_id
from twinsight.explore.operations import Operation
from twinsight.records import Response

from .states import Resource
from .verdict import KEPT, Kept, Trial

__all__ = ["PARALLEL", "try_both_ways"]

PARALLEL = POOL
"""Requests in flight at once: bounded, as the issue asks of concurrency checks, by the
driver's connections to each target (more would only wait for one)."""

Batch = list[tuple[int, Step]]  # (which resource, the change with `{id}` in its path)
Final = list[tuple[int | None, tuple[tuple[str, str], ...], int]]  # per resource


def batch(
    resource: Resource,
    vocabulary: Mapping[str, Sequence[str]],
    deletes: Sequence[Operation],
    size: int,
    seed: int,
) -> Batch:
    """`size` changes over `size // 3` resources (one at least), each resource's change
    drawn once with `seed` and repeated; deterministic."""
    choices = [*_changes(resource, vocabulary), *(Step(d.method, d.path) for d in deletes)]
    if not choices:
        return []
    draw = random.Random(seed)
    count = max(size // 3, 1)
    chosen = [draw.choice(choices) for _ in range(count)]
    return [(n % count, chosen[n % count]) for n in range(max(size, 2 * count))]


def _changes(resource: Resource, vocabulary: Mapping[str, Sequence[str]]) -> list[Step]:
    found = []
    for op in resource.changes:
        if op.method in ("PATCH", "PUT"):
            body = {f: vocabulary[f][0] for f in op.body_fields if vocabulary.get(f)}
            if body:
                found.append(Step(op.method, op.path, body=body, has_body=True))
        else:
            found.append(Step(op.method, op.path))
    return found


def try_both_ways(
    driver: Driver,
    resource: Resource,
    changes: Batch,
    fields: Mapping[str, Sequence[str]],
    session: str,
) -> Trial:
    """Run `changes` one after another, then at once, each on resources made for it;
    `fields` (name -> the values the spec names) are what a final state is compared on."""
    resources = len({n for n, _ in changes})
    what = f"{len(changes)} change(s) on {resources} resource(s), one by one and {PARALLEL} at once"
    if not changes:
        return Trial(what, skipped="no bound operation changes the resource with a known value")
    made: list[Outcome] = []
    try:
        finals = []
        for parallel in (1, PARALLEL):
            # Creates of the second run named apart from the first's: a service that
            # answers a repeated create with what it has would hand the first run's back.
            found = _run(driver, resource, changes, session, parallel, made, len(made))
            if found is None:
                return Trial(what, skipped="a create was refused on the legacy", steps=tuple(made))
            finals.append(found)
        (seq, par) = finals
        legacy = _compare(final(seq, "legacy", fields), final(par, "legacy", fields))
        candidate = _compare(final(seq, "candidate", fields), final(par, "candidate", fields))
        return Trial(what, legacy, candidate, steps=tuple(made))
    finally:
        for outcome in made:
            driver.undo(outcome)


Ran = list[tuple[list[Outcome], Outcome | None]]  # per resource: its changes, its read


def _run(
    driver: Driver,
    resource: Resource,
    changes: Batch,
    session: str,
    parallel: int,
    made: list[Outcome],
    first: int,
) -> Ran | None:
    count = max(n for n, _ in changes) + 1
    variants = range(first + 1, first + 1 + count)
    creates = driver.exchanges([resource.create_step(n) for n in variants], session)
    made.extend(creates)
    ids = [created_id(c.legacy) for c in creates]
    if any(i is None for i in ids):
        return None
    steps = [resource.on(step, ids[n] or "") for n, step in changes]
    sent = driver.exchanges(steps, session, parallel=parallel)
    read = resource.read_step()
    reads: list[Outcome | None] = [None] * count
    if read is not None:
        reads = list(driver.exchanges([resource.on(read, i or "") for i in ids], session))
    return [
        ([o for (n, _), o in zip(changes, sent, strict=True) if n == r], reads[r])
        for r in range(count)
    ]


def final(ran: Ran, side: str, fields: Mapping[str, Sequence[str]]) -> Final:
    """Per resource, on one target: the read's status, the named fields' values among the
    spec's, and how many changes it accepted."""
    found: Final = []
    for changes, read in ran:
        answer = _answer(read, side) if read is not None else None
        accepted = sum(1 for o in changes if _ok(_answer(o, side)))
        status = answer.status if answer is not None else None
        found.append((status, _named(answer, fields) if answer is not None else (), accepted))
    return found


def _answer(outcome: Outcome, side: str) -> Response:
    return outcome.legacy if side == "legacy" else outcome.candidate


def _ok(response: Response) -> bool:
    return response.status is not None and 200 <= response.status < 300


def _named(response: Response, fields: Mapping[str, Sequence[str]]) -> tuple[tuple[str, str], ...]:
    try:
        document: Any = json.loads(response.body.data)
    except ValueError:
        return ()
    if not isinstance(document, dict):
        return ()
    return tuple(
        (name, value)
        for name, value in sorted(document.items())
        if isinstance(value, str) and value in fields.get(name, ())
    )


def _compare(one_by_one: Final, at_once: Final) -> Kept:
    for number, (seq, par) in enumerate(zip(one_by_one, at_once, strict=True), 1):
        if seq != par:
            return Kept.broken(
                f"resource {number}: one by one {_state(seq)}; at once {_state(par)}"
            )
    return KEPT


def _state(final: tuple[int | None, tuple[tuple[str, str], ...], int]) -> str:
    status, named, accepted = final
    shown = ", ".join(f"{k} {v}" for k, v in named) or "no named field"
    read = f"read {status}" if status is not None else "not read"
    return f"{accepted} change(s) accepted, {read}, {shown}"
