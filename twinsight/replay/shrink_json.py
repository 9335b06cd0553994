"""Smaller versions of a JSON document, most aggressive first, and the size they shrink.

Pure: a document is what `json.loads` returns. Each `Family` is a set of smaller
documents indexed 0 <= k < `above`, the smaller k the smaller the document, so a
caller can try k = 0 and then bisect on k (see `twinsight.replay.minimize`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Family", "Stages", "cost", "depth", "stages"]

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Family:
    """Smaller variants `build(k)`, 0 <= k < `above`, of one thing; `what` says which."""

    what: str
    above: int
    build: Callable[[int], Any]

    @classmethod
    def one(cls, what: str, value: Any) -> Family:
        """A family of a single variant."""
        return cls(what, 1, lambda _: value)


def cost(value: Any) -> int:
    """A size every variant of `families` makes strictly smaller (a natural number)."""
    if isinstance(value, dict):
        return 1 + sum(1 + _length(k) + cost(v) for k, v in value.items())
    if isinstance(value, list):
        return 1 + sum(cost(v) for v in value)
    if isinstance(value, str):
        return 1 + _length(value)
    if value is True:
        return 2
    if value is None or value is False:
        return 1
    if isinstance(value, int):
        return 1 + abs(value)
    if isinstance(value, float):
        return 2 + (abs(math.floor(value)) if math.isfinite(value) else 0)
    return 1


def _length(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class Stages:
    """A document's families by how much they take away, to interleave with a request's."""

    structure: list[Family]  # containers emptied, then halves of their members dropped
    singles: list[Family]  # single members dropped
    values: list[Family]  # strings shorter, numbers smaller, true false


def stages(document: Any) -> Stages:
    """Every family of smaller documents, depth first within each stage."""
    nodes = list(_walk(document, ()))
    containers = [(p, n) for p, n in nodes if isinstance(n, dict | list) and n]
    structure = [
        Family.one(f"{_name(p)} emptied", _put(document, p, type(n)())) for p, n in containers
    ]
    singles: list[Family] = []
    for path, node in containers:
        if len(node) > 1:
            structure.extend(_halves(document, path, node))
            keys: list[Any] = list(node) if isinstance(node, dict) else list(range(len(node)))
            singles.extend(
                Family.one(f"{_name((*path, k))} dropped", _drop(document, path, [k])) for k in keys
            )
    values = [family for path, node in nodes for family in _values(document, path, node)]
    return Stages(structure, singles, values)


def depth(document: Any) -> int:
    """How deeply containers nest in `document` (0 for a scalar), without recursion."""
    deepest, todo = 0, [(document, 0)]
    while todo:
        node, level = todo.pop()
        deepest = max(deepest, level)
        if isinstance(node, dict):
            todo.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            todo.extend((v, level + 1) for v in node)
    return deepest


def _walk(node: Any, path: Path) -> Iterator[tuple[Path, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))


def _halves(document: Any, path: Path, node: dict[str, Any] | list[Any]) -> Iterator[Family]:
    keys: list[Any] = list(node) if isinstance(node, dict) else list(range(len(node)))
    middle = len(keys) // 2
    for part, name in ((keys[:middle], "first"), (keys[middle:], "second")):
        yield Family.one(f"{_name(path)}: {name} half dropped", _drop(document, path, part))


def _values(document: Any, path: Path, node: Any) -> Iterator[Family]:
    name = _name(path)
    if isinstance(node, str) and node:
        yield Family(f"{name} shortened", len(node), lambda k: _put(document, path, node[:k]))
        if not node.isascii():  # one cheap try: the same length in plain letters
            yield Family.one(f"{name} in plain letters", _put(document, path, "a" * len(node)))
    elif node is True:
        yield Family.one(f"{name} false", _put(document, path, False))
    elif isinstance(node, int) and not isinstance(node, bool) and node:
        sign = -1 if node < 0 else 1
        yield Family(f"{name} smaller", abs(node), lambda k: _put(document, path, sign * k))
    elif isinstance(node, float):
        whole = math.trunc(node) if math.isfinite(node) else 0
        yield Family.one(f"{name} whole", _put(document, path, whole))


def _name(path: Path) -> str:
    return "body" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _put(document: Any, path: Path, value: Any) -> Any:
    """A copy of `document` with the node at `path` replaced (the rest shared, never changed)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        return {**document, head: _put(document[head], rest, value)}
    copy = list(document)
    copy[head] = _put(document[head], rest, value)  # type: ignore[index]
    return copy


def _drop(document: Any, path: Path, keys: list[Any]) -> Any:
    node = _at(document, path)
    gone = set(keys)
    if isinstance(node, dict):
        kept: Any = {k: v for k, v in node.items() if k not in gone}
    else:
        kept = [v for i, v in enumerate(node) if i not in gone]
    return _put(document, path, kept)


def _at(document: Any, path: Path) -> Any:
    for step in path:
        document = document[step]
    return document
