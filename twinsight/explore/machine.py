"""A hypothesis state machine made from a spec's operations.

Creates put the legacy's id of what they made in a bundle; every operation naming a
path parameter takes one from it (the correlation books put the candidate's own id
in its request); lists draw their filters from the spec's vocabulary. Creates send
only the inputs' declared examples, so a sequence diverges through the order of its
operations, not through a value input exploration already judges. At the end of
each sequence what it created is deleted on both targets (unrecorded), so the next
one starts from the same data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, multiple, rule

from .driver import Driver, Outcome, Step, created_id
from .operations import Operation
from .strategies import value_strategy

Vocabulary = Callable[[Operation], Mapping[str, Sequence[str]]]
"""An operation -> field name -> the values its requests draw that field from."""

__all__ = ["Search", "Vocabulary", "machine_for", "stateful"]


class Search(Protocol):
    """What the machine reports to: a new sequence, and each step sent."""

    driver: Driver
    trace: list[Outcome]

    def begin(self, label: str) -> bool: ...

    def step(self, step: Step) -> Outcome: ...


def _create_body(operation: Operation) -> st.SearchStrategy[dict[str, Any]]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for declared in operation.inputs:
        values = (
            st.sampled_from(declared.examples) if declared.examples else value_strategy(declared)
        )
        (optional if declared.optional else required)[declared.name] = values
    return st.fixed_dictionaries(required, optional=optional)


def _update_body(
    operation: Operation, vocabulary: Mapping[str, Sequence[str]]
) -> st.SearchStrategy[dict[str, Any]]:
    chosen = {f: st.sampled_from(vocabulary[f]) for f in operation.body_fields if f in vocabulary}
    return st.fixed_dictionaries(chosen)


def _query(operation: Operation, vocabulary: Mapping[str, Sequence[str]]) -> st.SearchStrategy[str]:
    fields = {f: st.sampled_from(vocabulary[f]) for f in operation.query_fields if f in vocabulary}
    # Always filtered when the spec filters: its scenarios read the filtered lists.
    found = st.fixed_dictionaries(fields)
    return found.map(lambda q: "&".join(f"{k}={v}" for k, v in q.items()))


def machine_for(
    operations: Sequence[Operation], vocabulary: Vocabulary, search: Search
) -> type[RuleBasedStateMachine]:
    """A state machine class whose rules are `operations`, reporting to `search`;
    `vocabulary` gives each operation the values its fields are drawn from."""
    ids: Bundle[str] = Bundle("ids")
    namespace: dict[str, Any] = {"__init__": _init(search), "teardown": _teardown(search)}
    chosen = stateful(operations)
    for index, operation in enumerate(chosen):
        namespace[f"rule_{index}"] = _rule(operation, ids, vocabulary(operation), search)
    first = next((op for op in chosen if op.role == "create"), None)
    if first is not None:
        # Every sequence starts from something it made: without it, hypothesis spends
        # whole sequences listing an empty collection (the only rule it can run at first).
        namespace["start"] = initialize(target=ids, body=_create_body(first))(
            _creator(first, search)
        )
    return type("SpecMachine", (RuleBasedStateMachine,), namespace)


def stateful(operations: Sequence[Operation]) -> list[Operation]:
    """The operations on what a create makes: the creates, and the lists and actions under
    their paths (`GET /health` has no part in a task's life)."""
    made = [op.path.rstrip("/") for op in operations if op.role == "create"]
    return [
        op
        for op in operations
        if any(op.path == path or op.path.startswith(path + "/") for path in made)
    ]


def _identifier(method: str, template: str) -> str:
    """`POST /tasks/{id}/complete` -> `POST_tasks_id_complete`: hypothesis prints rule names."""
    return re.sub(r"\W+", "_", f"{method} {template}").strip("_")


def _init(search: Search) -> Any:
    def __init__(self: Any) -> None:
        RuleBasedStateMachine.__init__(self)
        self.live = search.begin("sequence")
        self.made = []  # the creates of this sequence, undone at its end

    return __init__


def _teardown(search: Search) -> Any:
    def teardown(self: Any) -> None:
        for outcome in self.made:
            search.driver.undo(outcome)

    return teardown


def _creator(operation: Operation, search: Search) -> Any:
    """A create step: the legacy's id of what it made into the bundle (nothing if refused)."""
    method, template = operation.method, operation.path

    def create(self: Any, body: dict[str, Any]) -> Any:
        if not self.live:
            return multiple()
        before = len(search.trace)
        try:
            outcome = search.step(Step(method, template, body=body, has_body=True))
        finally:
            self.made.extend(search.trace[before:])  # diverged or not, undone at the end
        made = created_id(outcome.legacy)
        return multiple() if made is None else made

    create.__name__ = _identifier(method, template)
    return create


def _rule(
    operation: Operation, ids: Bundle[str], vocabulary: Mapping[str, Sequence[str]], search: Search
) -> Any:
    method, template = operation.method, operation.path
    if operation.role == "create":
        return rule(target=ids, body=_create_body(operation))(_creator(operation, search))
    if operation.role == "list":

        def listing(self: Any, query: str) -> None:
            if self.live:
                search.step(Step(method, template, query))

        listing.__name__ = _identifier(method, template)
        return rule(query=_query(operation, vocabulary))(listing)
    has_body = method in ("PUT", "PATCH")

    def act(self: Any, made: str, body: dict[str, Any]) -> None:
        if self.live:
            path = template
            for name in operation.params:
                path = path.replace("{" + name + "}", made)
            search.step(Step(method, path, body=body if has_body else None, has_body=has_body))

    act.__name__ = _identifier(method, template)
    body = _update_body(operation, vocabulary) if has_body else st.just({})
    return rule(made=ids, body=body)(act)
