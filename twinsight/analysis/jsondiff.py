"""Structural difference of two JSON documents, as atomic differences at JSON paths.

Pure functions over parsed JSON (dicts, lists, str, int, float, bool, None).
Kinds, seen from the legacy (`a`) towards the candidate (`b`):

- `changed`: same type, other value (numbers compare as numbers: 1 == 1.0)
- `type`: other JSON type (null, boolean, number, string, array, object)
- `missing`: present in the legacy, absent from the candidate
- `extra`: absent from the legacy, present in the candidate
- `order`: an array with the same elements in another order; also objects paired by a
  natural key (`id`, `name`, ...) in another order, each then compared with its counterpart

`diff(a, b)` mirrors `diff(b, a)` with `missing` and `extra` swapped, and
`apply(a, diff(a, b))` rebuilds `b`.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from .shapes import json_type

__all__ = [
    "NATURAL_KEYS",
    "JsonDifference",
    "Kind",
    "Path",
    "apply",
    "canonical",
    "diff",
    "render_path",
]

Kind = Literal["changed", "type", "missing", "extra", "order"]
Path = tuple[str | int, ...]
_ABSENT: Any = object()


@dataclass(frozen=True, slots=True)
class JsonDifference:
    """One atomic difference: where, what kind, and the two values (absent as `None`)."""

    path: Path
    kind: Kind
    legacy: Any
    candidate: Any

    def swapped(self) -> JsonDifference:
        """The same difference seen from the other side."""
        kind: Kind = {"missing": "extra", "extra": "missing"}.get(self.kind, self.kind)  # type: ignore[assignment]
        return JsonDifference(self.path, kind, self.candidate, self.legacy)


def diff(a: Any, b: Any, *, strict_numbers: bool = False) -> list[JsonDifference]:
    """Every atomic difference from `a` (the legacy) to `b` (the candidate)."""
    return list(_walk(a, b, (), strict_numbers))


def _walk(a: Any, b: Any, path: Path, strict: bool) -> Iterator[JsonDifference]:
    type_a, type_b = json_type(a), json_type(b)
    if type_a != type_b:
        yield JsonDifference(path, "type", a, b)
    elif type_a == "object":
        yield from _walk_object(a, b, path, strict)
    elif type_a == "array":
        yield from _walk_array(a, b, path, strict)
    elif not _same_scalar(a, b, strict):
        yield JsonDifference(path, "changed", a, b)


def _same_scalar(a: Any, b: Any, strict: bool) -> bool:
    if strict and type(a) is not type(b):
        return False
    return bool(a == b)


def _walk_object(
    a: dict[str, Any], b: dict[str, Any], path: Path, strict: bool
) -> Iterator[JsonDifference]:
    for key, value in a.items():
        if key in b:
            yield from _walk(value, b[key], (*path, key), strict)
        else:
            yield JsonDifference((*path, key), "missing", value, None)
    for key, value in b.items():
        if key not in a:
            yield JsonDifference((*path, key), "extra", None, value)


def _walk_array(a: list[Any], b: list[Any], path: Path, strict: bool) -> Iterator[JsonDifference]:
    # The same items in another order (objects alike, keys sorted) are one `order` difference
    # at the array, never a cascade of changed elements.
    if len(a) == len(b) and len(a) > 1 and _same_elements(a, b, strict):
        yield JsonDifference(path, "order", a, b)
        return
    matched = _matched_by_key(a, b)
    if matched is not None:
        # Objects reordered *and* changed: each compared with its own counterpart (at the
        # legacy's index), then the order once; not every field of every item.
        for index, other in enumerate(matched):
            yield from _walk(a[index], b[other], (*path, index), strict)
        yield JsonDifference(path, "order", a, b)
        return
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        yield from _walk(x, y, (*path, index), strict)
    for index in range(len(b), len(a)):
        yield JsonDifference((*path, index), "missing", a[index], None)
    for index in range(len(a), len(b)):
        yield JsonDifference((*path, index), "extra", None, b[index])


NATURAL_KEYS = ("id", "key", "uuid", "uid", "name", "code", "slug", "href")
"""Names that say identity, in order of preference: items of a list (JSON objects, XML
elements, CSV rows, ...) are paired by the first one that tells them apart."""


def _matched_by_key(a: list[Any], b: list[Any]) -> list[int] | None:
    """For each item of `a`, the index of its counterpart in `b` by a natural key (a field
    every object of both has, unique on each side, the same values on both); None when no
    key pairs them up, or it pairs them in the same order."""
    if len(a) != len(b) or len(a) < 2:
        return None
    if not all(isinstance(x, dict) for x in a) or not all(isinstance(y, dict) for y in b):
        return None
    shared = set.intersection(*(set(x) for x in a), *(set(y) for y in b))
    # Only names that say identity: a `role` or `price` unique by chance pairs wrong items.
    for key in (k for k in NATURAL_KEYS if k in shared):
        ours, theirs = [x[key] for x in a], [y[key] for y in b]
        if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in ours + theirs):
            continue
        where = {value: index for index, value in enumerate(theirs)}
        if len(set(ours)) == len(ours) == len(where) and set(ours) == set(where):
            matched = [where[value] for value in ours]
            return None if matched == list(range(len(a))) else matched
    return None


def _same_elements(a: list[Any], b: list[Any], strict: bool) -> bool:
    """Same multiset of elements (compared canonically), but not the same sequence."""
    keys_a, keys_b = [canonical(x, strict) for x in a], [canonical(x, strict) for x in b]
    return keys_a != keys_b and Counter(keys_a) == Counter(keys_b)


def canonical(value: Any, strict: bool = False) -> bytes:
    """`value` as bytes, equal for equal JSON values: keys sorted, 1.0 as 1 unless `strict`."""
    if not strict:
        value = _loosen(value)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _loosen(value: Any) -> Any:
    """Numbers that are whole become ints, so 1 and 1.0 sort and count as one."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _loosen(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_loosen(v) for v in value]
    return value


def render_path(path: Path, root: str = "body") -> str:
    """`body.items[3].id`; keys that are not plain names are quoted: `body["a b"]`."""
    parts = [root]
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif step.isidentifier():
            parts.append(f".{step}")
        else:
            parts.append(f"[{orjson.dumps(step).decode()}]")
    return "".join(parts)


def apply(a: Any, differences: list[JsonDifference]) -> Any:
    """`a` with `differences` applied: `apply(a, diff(a, b)) == b`."""
    result = copy.deepcopy(a)
    removals = sorted(
        (d for d in differences if d.kind == "missing"),
        key=lambda d: d.path,  # within one array, higher indexes last: removed first below
        reverse=True,
    )
    for d in removals:
        parent = _at(result, d.path[:-1])
        del parent[d.path[-1]]
    for d in differences:
        if d.kind in ("changed", "type"):
            result = _set(result, d.path, copy.deepcopy(d.candidate))
    for d in sorted((d for d in differences if d.kind == "extra"), key=_insertion_order):
        parent = _at(result, d.path[:-1])
        if isinstance(parent, list):
            parent.append(copy.deepcopy(d.candidate))
        else:
            parent[d.path[-1]] = copy.deepcopy(d.candidate)
    # Last: an array's new order is the candidate's array whole, items paired by key and
    # changed at the legacy's indexes included.
    for d in sorted((d for d in differences if d.kind == "order"), key=lambda d: len(d.path)):
        result = _set(result, d.path, copy.deepcopy(d.candidate))
    return result


def _insertion_order(d: JsonDifference) -> tuple[Any, ...]:
    return tuple((0, s) if isinstance(s, int) else (1, s) for s in d.path)


def _at(document: Any, path: Path) -> Any:
    for step in path:
        document = document[step]
    return document


def _set(document: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    _at(document, path[:-1])[path[-1]] = value
    return document
