"""Read YAML into plain Python data while remembering where each key and value was.

Spec errors must point at `file:line:col`, so the loader keeps a position for every
mapping key and every value, addressed by the same path tuples pydantic reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean

from twinsight.errors import Location, Problem

Path = tuple[str | int, ...]
MAX_DEPTH = 64


class _TextTimestampConstructor(RoundTripConstructor):
    """Keep timestamps as the text the author wrote: a spec compares strings, not datetimes."""


_TextTimestampConstructor.add_constructor(
    "tag:yaml.org,2002:timestamp", _TextTimestampConstructor.construct_yaml_str
)


@dataclass
class Positions:
    """1-based (line, column) of each key and each value, by path."""

    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)


@dataclass
class Source:
    """A YAML document as plain data, with positions and the text lines for excerpts."""

    filename: str
    data: Any
    positions: Positions
    lines: list[str]

    def location(self, line: int, column: int) -> Location:
        return Location(self.filename, line, column)


class YamlProblem(Exception):
    """The text is not YAML twinsight can read; carries the located problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def read_yaml(text: str, filename: str) -> Source:
    """Parse `text` as one YAML document; raise YamlProblem with a location when it is not."""
    yaml = YAML(typ="rt")
    yaml.Constructor = _TextTimestampConstructor
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        raise YamlProblem(_marked_problem(exc, filename)) from exc
    except (YAMLError, ValueError, RecursionError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise YamlProblem(Problem(Location(filename, 1, 1), f"YAML error: {message}")) from exc
    positions = Positions()
    data = _plain(node, (), positions, filename, depth=0)
    return Source(filename, data, positions, text.splitlines())


def _marked_problem(exc: MarkedYAMLError, filename: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    what = exc.problem or exc.context or "invalid YAML"
    if "duplicate key" in what:
        return Problem(Location(filename, line, column), f"YAML error: {what}", "remove one")
    return Problem(Location(filename, line, column), f"YAML error: {what}")


def _plain(node: Any, path: Path, positions: Positions, filename: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise YamlProblem(
            Problem(Location(filename, 1, 1), f"YAML nested deeper than {MAX_DEPTH} levels")
        )
    if isinstance(node, CommentedMap):
        return _plain_map(node, path, positions, filename, depth)
    if isinstance(node, CommentedSeq):
        items = []
        for index, item in enumerate(node):
            line, column = node.lc.item(index)
            positions.values[(*path, index)] = (line + 1, column + 1)
            items.append(_plain(item, (*path, index), positions, filename, depth + 1))
        return items
    return _scalar(node)


def _plain_map(
    node: CommentedMap, path: Path, positions: Positions, filename: str, depth: int
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in node.items():
        key_line, key_column = node.lc.key(key)
        if not isinstance(key, str):
            raise YamlProblem(
                Problem(
                    Location(filename, key_line + 1, key_column + 1),
                    f"keys must be text, found {_scalar(key)!r}",
                    "quote the key",
                )
            )
        value_line, value_column = node.lc.value(key)
        positions.keys[(*path, key)] = (key_line + 1, key_column + 1)
        positions.values[(*path, key)] = (value_line + 1, value_column + 1)
        result[str(key)] = _plain(value, (*path, key), positions, filename, depth + 1)
    return result


def _scalar(node: Any) -> Any:
    if isinstance(node, ScalarBoolean):
        return bool(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    # Tagged scalars and other exotic nodes: keep their text so validation can name them.
    return str(getattr(node, "value", node))
