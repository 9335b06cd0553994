"""The request inputs that define a cluster (long, non-ASCII, empty), found per field and
written as CEL conditions a `when.match` can hold. Pure functions."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from twinsight.analysis.features import LONG
from twinsight.spec.paths import PathTemplate, PathTemplateError

from .celpath import select
from .evidence import Seen

__all__ = ["Condition", "conditions", "fields", "path_params"]

_HOLDS: dict[str, Callable[[str], bool]] = {
    "long": lambda v: len(v) > LONG,
    "unicode": lambda v: not v.isascii(),
    "empty": lambda v: not v.strip(),
}
# `{}` is the field's expression; the regexes are RE2 inside a CEL string literal.
_TESTS = {
    "long": "size({}) > " + str(LONG),
    "unicode": '{}.matches("[^\\\\x00-\\\\x7f]")',
    "empty": '{}.matches("^\\\\s*$")',
}
_ADJECTIVES = {"long": "long", "unicode": "non-ASCII", "empty": "empty"}


@dataclass(frozen=True)
class Field:
    """One string input of a request: as people read it, and as CEL reads it."""

    name: str  # `body.title`, `query.q`, `params.id`
    expression: str
    guard: str  # CEL that holds where the field is present ("" when always)
    value: str


@dataclass(frozen=True)
class Condition:
    """Features one field shows in every example: in words and as CEL over `request`."""

    features: tuple[str, ...]
    field: Field

    @property
    def words(self) -> str:
        """`a long, non-ASCII body.title`."""
        adjectives = ", ".join(_ADJECTIVES[f] for f in self.features)
        article = "an" if adjectives[0] in "aeiou" else "a"
        more = f" (over {LONG} characters)" if "long" in self.features else ""
        return f"{article} {adjectives} {self.field.name}{more}"

    @property
    def cel(self) -> str:
        """The field present, and every feature holding on it."""
        tests = [_TESTS[f].format(self.field.expression) for f in self.features]
        return " && ".join([self.field.guard, *tests] if self.field.guard else tests)


def conditions(
    features: frozenset[str], examples: Sequence[Seen], template: str | None
) -> list[Condition]:
    """The first field showing each feature in every example, features of one field as
    one condition."""
    if not examples:
        return []
    per_example = [{f.name: f for f in fields(e, template)} for e in examples]
    chosen: dict[str, list[str]] = {}
    for feature in sorted(features & _HOLDS.keys()):
        holds = _HOLDS[feature]
        for name in per_example[0]:
            if all(name in f and holds(f[name].value) for f in per_example):
                chosen.setdefault(name, []).append(feature)
                break
    return [Condition(tuple(found), per_example[0][name]) for name, found in chosen.items()]


def fields(example: Seen, template: str | None) -> Iterator[Field]:
    """Each string input of the request: path parameters, query values, body strings."""
    request = example.request
    params = path_params(template, request.path) if template else None
    for name, value in (params or {}).items():
        yield Field(f"params.{name}", select("request.params", name), "", value)
    for name, value in request.query.items():
        quoted = orjson.dumps(name).decode()
        expression = select("request.query", name)
        yield Field(f"query.{name}", expression, f"{quoted} in request.query", value)
    yield from _strings(request.body, "body", "request.body")


def path_params(template: str, path: str) -> dict[str, str] | None:
    """The parameters of `path` under `template`; None if it does not fit, or `template`
    (inferred from traffic) is none the spec language can write."""
    try:
        return PathTemplate(template).match(path)
    except PathTemplateError:
        return None


def _strings(node: Any, name: str, expression: str) -> Iterator[Field]:
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if not isinstance(key, str):
            continue
        inner = select(expression, key)
        if isinstance(value, str):
            guard = f"{orjson.dumps(key).decode()} in {expression}"
            yield Field(f"{name}.{key}", inner, guard, value)
        else:
            yield from _strings(value, f"{name}.{key}", inner)
