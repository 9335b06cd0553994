"""One proposed scenario from one cluster: the legacy's behaviour pinned where the
candidate differs, in the spec's own words and format. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from twinsight.spec import RequestBinding, Scenario, When
from twinsight.spec.model import ResponseLine

from .evidence import Before, Case
from .inputs import Condition, conditions
from .then import Line, location_lines, status_line

__all__ = ["scenario_of"]

FOLLOWERS_PINNED = 4
"""Locations differing alongside the cluster's own that its proposal pins too."""
GIVEN_SHOWN = 4
"""Earlier requests on the resource a proposal names (after the one that created it)."""


def scenario_of(case: Case) -> Scenario:
    """The scenario that makes the legacy's behaviour in `case` the contract."""
    template = case.endpoints[0].partition(" ")[2] if case.endpoints else ""
    legacy = [e.legacy for e in case.examples]
    statuses = {m.status for m in legacy}
    status = statuses.pop() if len(statuses) == 1 else None
    found = conditions(case.features, case.examples, template or None)
    match = " && ".join([f"legacy.status == {status}"] if status is not None else [])
    match = " && ".join(filter(None, [match, *(c.cel for c in found)]))
    then: list[Line] = [] if status is None or case.location == "status" else [status_line(status)]
    for location, kind in ((case.location, case.kind), *case.followers[:FOLLOWERS_PINNED]):
        then += location_lines(location, kind, legacy)
    when: dict[str, Any] = {"text": _when_text(case, status, found)}
    bindings = _bindings(case.endpoints)
    if bindings:
        when["request"] = bindings[0] if len(bindings) == 1 else bindings
    if match and _valid(When, {**when, "match": match}):
        when["match"] = match
    return Scenario.model_validate(
        {
            "name": _name(case, status, found),
            "given": [line.data() for line in _given(case.before)],
            "when": when,
            "then": [_checkable(line) for line in _unique(then)],
        }
    )


def _valid(model: type[BaseModel], data: dict[str, Any]) -> bool:
    """Whether `data` loads as `model`: a path or expression a spec would refuse (a template
    the spec language cannot write, an expression over its budget) is left out instead."""
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def _checkable(line: Line) -> dict[str, str | None]:
    """The line's data; its words only if the spec would refuse its check."""
    data = line.data()
    return data if _valid(ResponseLine, data) else {"text": line.text}


def _bindings(endpoints: Sequence[str]) -> list[dict[str, str]]:
    """A binding per endpoint (`METHOD /template`) the cluster is on that a spec can write."""
    found = [
        {"method": method, "path": path}
        for method, _, path in (e.partition(" ") for e in endpoints)
    ]
    return [b for b in found if _valid(RequestBinding, b)]


def _name(case: Case, status: int | None, found: Sequence[Condition]) -> str:
    where = _endpoint_words(case.endpoints)
    inputs = f" with {_joined([c.words for c in found])}" if found else ""
    if case.location == "status" and status is not None:
        return f"{where}{inputs} answers {status} as the legacy does"
    if case.kind == "extra":
        return f"{where}{inputs} answers without {case.location}"
    if case.kind == "missing":
        return f"{where}{inputs} answers with {case.location}"
    return f"{where}{inputs} keeps the legacy's {case.location}"


def _when_text(case: Case, status: int | None, found: Sequence[Condition]) -> str:
    inputs = f" with {_joined([c.words for c in found])}" if found else ""
    branch = f", which the legacy answers with {status}" if status is not None else ""
    return f"a client sends {_endpoint_words(case.endpoints)}{inputs}{branch}"


def _given(before: Sequence[Before]) -> list[Line]:
    """The resource's creation and the last few requests on it, in words."""
    created = [b for b in before if b.created][:1]
    lines = []
    for step in [*created, *[b for b in before if not b.created][-GIVEN_SHOWN:]]:
        answered = f" (answered {step.status})" if step.status is not None else ""
        if step.created:
            lines.append(Line(text=f"the resource was created by {step.endpoint}{answered}"))
        else:
            lines.append(Line(text=f"{step.endpoint} was sent on it earlier{answered}"))
    return lines


def _endpoint_words(endpoints: Sequence[str]) -> str:
    if len(endpoints) <= 1:
        return endpoints[0] if endpoints else "a request"
    return f"{endpoints[0]} (or {_joined(list(endpoints[1:]), 'or')})"


def _joined(items: Sequence[str], word: str = "and") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} {items[-1]}"


def _unique(lines: list[Line]) -> list[Line]:
    seen: set[tuple[str, str | None]] = set()
    kept = []
    for line in lines:
        if (line.text, line.check) not in seen:
            seen.add((line.text, line.check))
            kept.append(line)
    return kept
