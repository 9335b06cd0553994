"""Draft a spec from the legacy's answers, for a person to edit (`twinsight spec new`).

One scenario per endpoint binding and status family the legacy answered (`GET
/tasks/{id}` answered 2xx, answered 4xx, ...). Its `when` binds the endpoint and picks
the family with `match` on the legacy's status; its `then` lines check, in plain words
and CEL, what stayed the same across every answer of that group: the status (or its
family), the Content-Type, the body's kind, the body's fields present in every answer
with one type (nested maps followed a few levels), and a field's value where at least
two answers never varied (unless it looks like a time or an identifier). Each line
holds on every legacy answer the scenario covers: membership is decided by the spec's
own matching (`RequestBinding.accepts`), so a binding that also accepts another
endpoint's requests sees those answers too. Pure: plain data in, a `Spec` out.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from twinsight.identifiers import looks_like_id
from twinsight.spec import RequestBinding, Scenario, Spec, When
from twinsight.spec.inputs import RequestView
from twinsight.spec.model import ResponseLine

from .proposals.celpath import select

__all__ = ["Draft", "Observed", "draft_spec", "family_of"]

MAX_DEPTH = 3
"""How deep nested maps of a body are followed for fields."""
MAX_FIELD_LINES = 30
"""Field lines past this many in one scenario say little a person would keep."""
MAX_VALUE_CHARS = 60
_INT_RANGE = 1 << 53  # JSON numbers past this are not exact in every reader
# Times and identifiers that happened to repeat in a small sample are not behaviour.
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# A type as CEL writes it (`type(x) == string` reads better, but spec checks take bare
# names for variables), and as a line says it.
_TYPES = {
    "bool": ("type(true)", "true or false"),
    "int": ("type(0)", "a whole number"),
    "double": ("type(0.0)", "a number"),
    "string": ('type("")', "text"),
    "list": ("type([])", "a list"),
    "map": ("type({})", "an object"),
    "null_type": ("type(null)", "null"),
}


@dataclass(frozen=True)
class Observed:
    """One exchange: the request as checks read it, the legacy's answer as they read it
    (`status`, `headers` with lower-case names, `body`)."""

    request: RequestView
    response: dict[str, Any]


@dataclass(frozen=True)
class Draft:
    """The drafted spec and how many exchanges it was drafted from."""

    spec: Spec
    exchanges: int


def family_of(status: int) -> str:
    """`404` -> `"4xx"`."""
    return f"{status // 100}xx"


def _cel_type(value: Any) -> str:
    if value is None:
        return "null_type"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "list"
    return "map" if isinstance(value, dict) else "unknown"


@dataclass
class _Field:
    """One body location seen in every answer so far: its type, and its value if constant."""

    type: str
    value: Any
    constant: bool = True


@dataclass
class _Group:
    """What every legacy answer of one scenario had in common, folded answer by answer."""

    count: int = 0
    statuses: set[int] = field(default_factory=set)
    content_types: set[str | None] = field(default_factory=set)
    body_types: set[str] = field(default_factory=set)
    fields: dict[tuple[str, ...], _Field] = field(default_factory=dict)

    def add(self, response: dict[str, Any]) -> None:
        """Fold one more answer in: keep only what it shares with the earlier ones."""
        body = response.get("body")
        self.statuses.add(int(response["status"]))
        self.content_types.add(response.get("headers", {}).get("content-type"))
        self.body_types.add(_cel_type(body))
        seen = dict(_fields(body, ()))
        if self.count == 0:
            self.fields = {path: _Field(_cel_type(v), v) for path, v in seen.items()}
        else:
            for path in list(self.fields):
                kept = self.fields[path]
                if path not in seen or _cel_type(seen[path]) != kept.type:
                    del self.fields[path]
                elif seen[path] != kept.value:
                    kept.constant = False
        self.count += 1


def _fields(body: Any, at: tuple[str, ...]) -> Iterable[tuple[tuple[str, ...], Any]]:
    """Every location of the nested maps of `body` (to `MAX_DEPTH`), with its value."""
    if not isinstance(body, dict) or len(at) >= MAX_DEPTH:
        return
    for key, value in body.items():
        if isinstance(key, str):
            yield (*at, key), value
            yield from _fields(value, (*at, key))


def draft_spec(
    feature: str, bindings: Sequence[tuple[str, str]], observed: Iterable[Observed]
) -> Draft:
    """A spec with one scenario per binding (method, path template) and status family of
    the legacy's answers in `observed` that the binding accepts."""
    whens = [RequestBinding(method=m, path=p) for m, p in bindings]
    groups: dict[tuple[int, str], _Group] = {}
    count = 0
    for seen in observed:
        count += 1
        request, status = seen.request, seen.response.get("status")
        if not isinstance(status, int):
            continue
        for index, binding in enumerate(whens):
            accepted = binding.accepts(
                request.method, request.path, request.query, request.headers, request.body
            )
            if accepted is not None:
                groups.setdefault((index, family_of(status)), _Group()).add(seen.response)
    scenarios = tuple(
        _scenario(whens[index], family, groups[(index, family)]) for index, family in sorted(groups)
    )
    return Draft(Spec(feature=feature, scenarios=scenarios), count)


def _scenario(binding: RequestBinding, family: str, group: _Group) -> Scenario:
    endpoint = f"{binding.method} {binding.path}"
    low = int(family[0]) * 100
    when = When(
        text=f"a client sends {endpoint} and the legacy answers {family}",
        request=binding,
        match=f"legacy.status >= {low} && legacy.status < {low + 100}",
    )
    return Scenario(
        name=f"{endpoint} answered {family}",
        description=f"Drafted from {group.count} answer(s) of the legacy.",
        when=when,
        then=tuple(_lines(group, low)),
    )


def _lines(group: _Group, low: int) -> Iterable[ResponseLine]:
    if len(group.statuses) == 1:
        (status,) = group.statuses
        yield ResponseLine(text=f"It answers {status}", check=f"response.status == {status}")
    else:
        yield ResponseLine(
            text=f"It answers with a {low // 100}xx status",
            check=f"response.status >= {low} && response.status < {low + 100}",
        )
    yield from _content_type(group.content_types)
    if len(group.body_types) == 1:
        (kind,) = group.body_types
        if kind in _TYPES:
            name, words = _TYPES[kind]
            yield ResponseLine(
                text=f"Its body is {'empty or not text' if kind == 'null_type' else words}",
                check=f"type(response.body) == {name}",
            )
    lines = (_field_line(path, found, group.count) for path, found in group.fields.items())
    drafted = [line for line in lines if line is not None]
    yield from drafted[:MAX_FIELD_LINES]
    if len(drafted) > MAX_FIELD_LINES:  # say what was left out: silence is never agreement
        more = len(drafted) - MAX_FIELD_LINES
        yield ResponseLine(text=f"and {more} more field(s) the legacy always answered, not drafted")


def _content_type(values: set[str | None]) -> Iterable[ResponseLine]:
    if None in values or not values:
        return
    written = {v for v in values if v is not None}
    if len(written) == 1:
        (value,) = written
        check = f'response.headers["content-type"] == {_literal(value)}'
        yield ResponseLine(text=f"It answers {value}", check=check)
        return
    media = {v.split(";", 1)[0].strip() for v in written}
    if len(media) == 1:
        (prefix,) = media
        check = f'response.headers["content-type"].startsWith({_literal(prefix)})'
        yield ResponseLine(text=f"It answers {prefix}", check=check)


def _field_line(path: tuple[str, ...], found: _Field, count: int) -> ResponseLine | None:
    where = functools.reduce(select, path, "response.body")
    name = ".".join(path)
    literal = _constant(found.value) if found.constant and count >= 2 else None
    if literal is not None:
        return ResponseLine(text=f"Its `{name}` is {literal}", check=f"{where} == {literal}")
    if found.type not in _TYPES:
        return None
    cel_type, words = _TYPES[found.type]
    return ResponseLine(
        text=f"Its body has `{name}`, {words}", check=f"type({where}) == {cel_type}"
    )


def _constant(value: Any) -> str | None:
    """`value` as a CEL literal, if it is a short scalar worth comparing to."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if -_INT_RANGE < value < _INT_RANGE else None
    if (
        isinstance(value, str)
        and len(value) <= MAX_VALUE_CHARS
        and value.isprintable()
        and not looks_like_id(value)
        and not _TIMESTAMP.match(value)
    ):
        return _literal(value)
    return None


def _literal(text: str) -> str:
    # JSON's string escapes are CEL's too.
    return json.dumps(text, ensure_ascii=False)
