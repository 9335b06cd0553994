"""A spec's bound requests as operations to explore: pure, no I/O.

One operation per distinct (method, path template) the spec binds, with the inputs
every scenario of that binding declares. Its role in a state machine follows from
its shape: a POST to a path without parameters creates, a GET without parameters
lists, anything naming a parameter acts on something created before (read, update,
complete, delete). Field and query values the spec compares with literals
(`response.body.status == "completed"`, `request.query.status in ["pending", ...]`)
are the vocabulary updates and filters draw from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from twinsight.spec import Input, Spec
from twinsight.spec.paths import PathTemplate

__all__ = ["Operation", "Role", "operations", "vocabulary"]

Role = Literal["create", "list", "act"]


@dataclass(frozen=True)
class Operation:
    """One bound request: method, path template, declared inputs and what it reads."""

    method: str
    path: str
    inputs: tuple[Input, ...] = ()
    scenarios: tuple[str, ...] = ()
    body_fields: tuple[str, ...] = ()  # `request.body.X` its scenarios read
    query_fields: tuple[str, ...] = ()  # `request.query.X` its scenarios read

    @property
    def params(self) -> tuple[str, ...]:
        """The path template's parameters."""
        return PathTemplate(self.path).params

    @property
    def role(self) -> Role:
        """What the operation does in a sequence."""
        if self.params:
            return "act"
        return "create" if self.method in ("POST", "PUT") else "list"

    @property
    def name(self) -> str:
        """`METHOD /path/{template}`."""
        return f"{self.method} {self.path}"


_BODY = re.compile(r"request\.body\.([A-Za-z_]\w*)")
_QUERY = re.compile(r"request\.query\.([A-Za-z_]\w*)")
_EQUALS = re.compile(r"\.([A-Za-z_]\w*)\s*==\s*\"([^\"]*)\"")
_IN_LIST = re.compile(r"\.([A-Za-z_]\w*)\s+in\s+\[([^\]]*)\]")
_QUOTED = re.compile(r"\"([^\"]*)\"")


def _expressions(spec: Spec, names: set[str] | None = None) -> list[str]:
    """Every CEL expression of the spec (of the scenarios in `names` when given)."""
    found: list[str] = []
    for scenario in spec.scenarios:
        if names is not None and scenario.name not in names:
            continue
        found += [scenario.when.match or ""]
        found += [line.check or "" for line in (*scenario.given, *scenario.then)]
    return found


def operations(spec: Spec) -> list[Operation]:
    """The spec's bound requests, one per (method, path), in the order first bound."""
    grouped: dict[tuple[str, str], list[str]] = {}
    inputs: dict[tuple[str, str], dict[str, Input]] = {}
    for scenario in spec.scenarios:
        for binding in scenario.when.bindings:
            key = (binding.method, binding.path)
            grouped.setdefault(key, []).append(scenario.name)
            for declared in scenario.inputs:
                inputs.setdefault(key, {}).setdefault(declared.name, declared)
    found = []
    for (method, path), names in grouped.items():
        text = " ".join(_expressions(spec, set(names)))
        found.append(
            Operation(
                method,
                path,
                tuple(inputs.get((method, path), {}).values()),
                tuple(names),
                tuple(dict.fromkeys(_BODY.findall(text))),
                tuple(dict.fromkeys(_QUERY.findall(text))),
            )
        )
    return found


def vocabulary(
    spec: Spec, operation: Operation | None = None, *, own: bool = True
) -> Mapping[str, tuple[str, ...]]:
    """Field name -> the string literals the spec compares it with, in first-seen order.

    With `operation`, only the scenarios of its resource count (bindings whose path starts
    with the same segment: `GET /health`'s "ok" is no task status), and those of the
    operation itself win for each field they name (a list's filter values are those its
    scenario lists, not every status ever written) unless `own` is False."""
    if operation is None:
        return _literals(_expressions(spec))
    related = {
        scenario.name
        for scenario in spec.scenarios
        for binding in scenario.when.bindings
        if _resource(binding.path) == _resource(operation.path)
    }
    found = _literals(_expressions(spec, related))
    if own:
        found.update(_literals(_expressions(spec, set(operation.scenarios))))
    return found


def _resource(path: str) -> str:
    return path.strip("/").split("/", 1)[0]


def _literals(expressions: list[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, dict[str, None]] = {}
    for text in expressions:
        for name, value in _EQUALS.findall(text):
            found.setdefault(name, {})[value] = None
        for name, listed in _IN_LIST.findall(text):
            for value in _QUOTED.findall(listed):
                found.setdefault(name, {})[value] = None
    return {name: tuple(values) for name, values in found.items()}
