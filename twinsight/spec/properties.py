"""A scenario's `properties` and `property_tests`, in the proposal's shape, as typed values.

The proposal writes them loosely:

    properties:
      - idempotency: {description: ..., key: [title, description, due_date]}
      - state_transitions:
          valid: [{from: pending, to: [in_progress, completed, cancelled]}, ...]
          invalid: [{from: completed, to: [pending, in_progress]}, ...]
    property_tests:
      - name: Concurrent operations maintain consistency
        property: |
          final_state(parallel_execute(operations))
            == final_state(sequential_execute(operations))
        generators: {operations: {type: array, size: {min: 10, max: 100}}}

The kinds explore can check are read into `Idempotency`, `Transitions` and `Concurrency`;
anything else is `Unchecked`, with why, so a report names it instead of passing it.
Shapes are validated when the spec loads (`check_shape`), at the key that is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Concurrency",
    "Idempotency",
    "Property",
    "Transitions",
    "Unchecked",
    "check_shape",
    "scenario_properties",
]

_PARALLEL_WORDS = ("parallel_execute", "sequential_execute")
MAX_OPERATIONS = 100
"""The most operations one concurrency check sends, whatever its generator asks."""


@dataclass(frozen=True)
class Idempotency:
    """Sending the same request twice gives the same result (the same resource, for a create)."""

    scenario: str
    description: str
    key: tuple[str, ...]

    @property
    def name(self) -> str:
        """How reports name it."""
        return f"idempotency of {self.scenario!r}"


@dataclass(frozen=True)
class Transitions:
    """Which state changes a resource allows: `valid[a]` and `invalid[a]` list the states
    reachable, and refused, from state `a`."""

    scenario: str
    valid: Mapping[str, tuple[str, ...]]
    invalid: Mapping[str, tuple[str, ...]]

    @property
    def name(self) -> str:
        """How reports name it."""
        return f"state transitions of {self.scenario!r}"

    @property
    def states(self) -> tuple[str, ...]:
        """Every state named, in first-named order."""
        found: dict[str, None] = {}
        for table in (self.valid, self.invalid):
            for start, ends in table.items():
                found[start] = None
                found.update(dict.fromkeys(ends))
        return tuple(found)


@dataclass(frozen=True)
class Concurrency:
    """Operations run in parallel leave the same final state as run one after another."""

    scenario: str
    title: str
    smallest: int
    largest: int

    @property
    def name(self) -> str:
        """How reports name it."""
        return f"{self.title!r} of {self.scenario!r}"


@dataclass(frozen=True)
class Unchecked:
    """A declared property explore does not check, and why."""

    scenario: str
    title: str
    why: str

    @property
    def name(self) -> str:
        """How reports name it."""
        return f"{self.title!r} of {self.scenario!r}"


Property = Idempotency | Transitions | Concurrency | Unchecked


def check_shape(item: Any) -> None:
    """Raise ValueError naming what is wrong with one `properties` item of a known kind."""
    if not isinstance(item, Mapping) or len(item) != 1:
        raise ValueError("a property is a mapping with one key: its kind (idempotency, ...)")
    ((kind, body),) = item.items()
    if kind == "idempotency":
        _key(body)
    elif kind == "state_transitions":
        _transitions(body)


def scenario_properties(
    scenario: str, properties: Sequence[Mapping[str, Any]], tests: Sequence[Mapping[str, Any]]
) -> list[Property]:
    """What one scenario declares, typed (shapes were checked when the spec loaded)."""
    found: list[Property] = []
    for item in properties:
        ((kind, body),) = item.items()
        if kind == "idempotency":
            text = str(body.get("description") or "the same request twice, the same result")
            found.append(Idempotency(scenario, text, _key(body)))
        elif kind == "state_transitions":
            valid, invalid = _transitions(body)
            found.append(Transitions(scenario, valid, invalid))
        else:
            found.append(Unchecked(scenario, str(kind), "explore knows no check of this kind"))
    found += [_test(scenario, test) for test in tests]
    return found


def _test(scenario: str, test: Mapping[str, Any]) -> Property:
    title = str(test.get("name") or "property test")
    text = str(test.get("property") or "")
    if all(word in text for word in _PARALLEL_WORDS):
        smallest, largest = _size(test.get("generators"))
        return Concurrency(scenario, title, smallest, largest)
    return Unchecked(
        scenario,
        title,
        "only parallel_execute == sequential_execute tests are run; "
        "generated inputs already explore each operation",
    )


def _size(generators: Any) -> tuple[int, int]:
    """The operation count a concurrency test asks for, held to MAX_OPERATIONS."""
    size: Any = {}
    if isinstance(generators, Mapping):
        operations = generators.get("operations")
        if isinstance(operations, Mapping) and isinstance(operations.get("size"), Mapping):
            size = operations["size"]
    smallest = _count(size.get("min"), 10)
    largest = max(_count(size.get("max"), 20), smallest)
    return min(smallest, MAX_OPERATIONS), min(largest, MAX_OPERATIONS)


def _count(value: Any, default: int) -> int:
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default
    )


def _key(body: Any) -> tuple[str, ...]:
    if not isinstance(body, Mapping):
        raise ValueError(
            "idempotency: expected a mapping with 'key' (the fields that make a request the same)"
        )
    key = body.get("key", [])
    if not isinstance(key, list) or not all(isinstance(k, str) for k in key):
        raise ValueError("idempotency.key: expected a list of field names")
    return tuple(key)


def _transitions(body: Any) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    if not isinstance(body, Mapping) or not ({"valid", "invalid"} & set(body)):
        raise ValueError("state_transitions: expected 'valid' and/or 'invalid' lists")
    return _table(body, "valid"), _table(body, "invalid")


def _table(body: Mapping[str, Any], which: str) -> dict[str, tuple[str, ...]]:
    rows = body.get(which) or []
    if not isinstance(rows, list):
        raise ValueError(f"state_transitions.{which}: expected a list of {{from, to}}")
    table: dict[str, tuple[str, ...]] = {}
    for number, row in enumerate(rows, 1):
        where = f"state_transitions.{which}[{number}]"
        if not isinstance(row, Mapping) or "from" not in row or "to" not in row:
            raise ValueError(f"{where}: expected {{from: STATE, to: [STATE, ...]}}")
        ends = row["to"] if isinstance(row["to"], list) else [row["to"]]
        if not all(isinstance(s, str) for s in [row["from"], *ends]):
            raise ValueError(f"{where}: states are strings")
        table[row["from"]] = table.get(row["from"], ()) + tuple(ends)
    return table
