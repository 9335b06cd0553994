"""How a resource's state is read and changed through the spec's bound operations: pure.

The state lives in one field of the resource's JSON (the one whose value is a declared
state). A state is set by an update (`PATCH`/`PUT` on the resource, `{field: state}`) or
by an action whose last path segment names it (`POST /tasks/{id}/complete` sets
`completed`, `.../cancel` sets `cancelled`)."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from twinsight.explore.driver import Step
from twinsight.explore.operations import Operation
from twinsight.records import Response

__all__ = ["Resource", "path_between", "resource_for", "state_of"]


@dataclass(frozen=True)
class Resource:
    """The operations on one kind of resource: how to make one, read it and change it."""

    create: Operation
    read: Operation | None
    changes: tuple[Operation, ...]  # updates and actions on one resource

    def setter(self, state: str, field: str, prefer: Operation | None = None) -> Step | None:
        """The request template that sets `state` (`{id}` in its path), or None."""
        chosen = [op for op in self.changes if _sets(op, state, field)]
        if prefer is not None and prefer in chosen:
            chosen = [prefer]
        if not chosen:
            return None
        op = chosen[0]
        if op.method in ("PATCH", "PUT"):
            return Step(op.method, op.path, body={field: state}, has_body=True)
        return Step(op.method, op.path)

    def create_step(self, variant: int = 0) -> Step:
        """A create with each required input's first example (a plain word if it has none);
        a `variant` over 0 is appended to its strings, so a service that answers alike
        creates with the resource it already has still makes a new one."""
        body: dict[str, Any] = {}
        for declared in self.create.inputs:
            if declared.optional:
                continue
            value = next((e for e in declared.examples if e is not None), "twinsight")
            body[declared.name] = (
                f"{value} {variant}" if variant and isinstance(value, str) else value
            )
        return Step(self.create.method, self.create.path, body=body, has_body=True)

    def on(self, template: Step, made: str) -> Step:
        """`template` with every path parameter filled with `made`."""
        path = template.path
        while "{" in path and "}" in path:
            start, end = path.index("{"), path.index("}")
            path = path[:start] + made + path[end + 1 :]
        return replace(template, path=path)

    def read_step(self) -> Step | None:
        """The read of one resource, `{id}` in its path, or None when none is bound."""
        return Step(self.read.method, self.read.path) if self.read else None


def _sets(op: Operation, state: str, field: str) -> bool:
    if op.method in ("PATCH", "PUT"):
        return not op.body_fields or field in op.body_fields
    verb = op.path.rstrip("/").rsplit("/", 1)[-1].lower()
    return not verb.startswith("{") and state.lower().startswith(verb)


def resource_for(operations: Sequence[Operation], path: str) -> Resource | None:
    """The resource a scenario bound at `path` acts on: its create (a POST or PUT to the
    collection), its read, and the operations that change one; None without a create."""
    collection = "/" + path.strip("/").split("/", 1)[0]
    creates = [op for op in operations if op.role == "create" and op.path.rstrip("/") == collection]
    if not creates:
        return None
    acting = [op for op in operations if op.role == "act" and op.path.startswith(collection + "/{")]
    one = [op for op in acting if op.path.count("/") == 2]
    read = next((op for op in one if op.method == "GET"), None)
    changes = tuple(
        op
        for op in acting
        if op.method in ("PATCH", "PUT") or (op.method == "POST" and op not in one)
    )
    return Resource(creates[0], read, changes)


def state_of(
    response: Response, states: Sequence[str], field: str | None = None
) -> tuple[str, str] | None:
    """(field, state) the answer's JSON object holds: `field` when given, else the first
    field whose value is one of `states`; None when there is none."""
    try:
        document: Any = json.loads(response.body.data)
    except ValueError:
        return None
    if not isinstance(document, Mapping):
        return None
    if field is not None:
        value = document.get(field)
        return (field, value) if isinstance(value, str) else None
    for name, value in document.items():
        if isinstance(value, str) and value in states:
            return name, value
    return None


def path_between(
    valid: Mapping[str, Sequence[str]], start: str, goal: str
) -> tuple[str, ...] | None:
    """The shortest run of valid transitions from `start` to `goal` (the states after
    `start`, in order; empty when they are the same), or None when there is none."""
    seen: dict[str, tuple[str, ...]] = {start: ()}
    queue: deque[str] = deque([start])
    while queue:
        here = queue.popleft()
        if here == goal:
            return seen[here]
        for there in valid.get(here, ()):
            if there not in seen:
                seen[there] = (*seen[here], there)
                queue.append(there)
    return None
