"""Read YAML into plain Python data while remembering where each key and value was.

Spec errors must point at `file:line:col`, so the loader keeps a position for every
mapping key and every value, addressed by the same path tuples pydantic reports.

Whatever the text, reading it is bounded: the text is refused past `MAX_BYTES`, and
aliases (`*name`) may add at most `MAX_ALIAS_VALUES` values when they are written out.
ruamel builds an alias as a reference to one shared object, so a few hundred bytes of
nested aliases ("billion laughs") load instantly and only explode when converted here.
"""

from __future__ import annotations

import itertools
import re
import warnings
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
# ruamel's round-trip parser reads ~7-90 KB/s here depending on the shape: a 1 MiB
# `[1,1,...]` took 154 s and 1.14 GB, `[{},{},...]` 41 s. A hand-written spec is a few
# dozen KB; past 128 KiB it is not one and would only stall.
MAX_BYTES = 128 * 1024
# Items, keys, anchors, aliases and tags, counted before ruamel reads anything: the cost
# follows them more than bytes. 20,000 is ten times a spec of 200 scenarios.
MAX_NODES = 20_000
_NODE = re.compile(r"[,\[{&*!]|-(?=\s)|:(?=\s)")
# Sharing a header block or a few lines among scenarios expands to hundreds of values;
# 10,000 leaves room for that while a nine-level alias bomb (9^9 values) stops early.
MAX_ALIAS_VALUES = 10_000


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


def too_large(filename: str) -> Problem:
    """The problem of a file over `MAX_BYTES`."""
    return Problem(
        Location(filename),
        f"over the {MAX_BYTES:,}-byte limit of a spec file, not read",
        "a spec is written by hand: split it, or check that this is the spec",
    )


def over_limit(text: str) -> bool:
    """Whether `text` is over `MAX_BYTES` once encoded as UTF-8."""
    return len(text) * 4 > MAX_BYTES and len(text.encode(errors="replace")) > MAX_BYTES


def read_yaml(text: str, filename: str) -> Source:
    """Parse `text` as one YAML document; raise YamlProblem with a location when it is not."""
    if over_limit(text):
        raise YamlProblem(too_large(filename))
    _count_nodes(text, filename)
    yaml = YAML(typ="rt")
    yaml.Constructor = _TextTimestampConstructor
    try:
        with warnings.catch_warnings():
            # A reused anchor is legal YAML (the later one wins); do not print ruamel's note.
            warnings.simplefilter("ignore")
            node = yaml.load(text)
    except MarkedYAMLError as exc:
        raise YamlProblem(_marked_problem(exc, filename)) from exc
    except RecursionError as exc:
        # ruamel recurses once per level: ~1,000 levels of `[[[...` take it there in ~4 s.
        raise YamlProblem(
            Problem(Location(filename, 1, 1), f"YAML nested deeper than {MAX_DEPTH} levels")
        ) from exc
    except (YAMLError, ValueError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise YamlProblem(Problem(Location(filename, 1, 1), f"YAML error: {message}")) from exc
    except Exception as exc:  # ruamel fails on some odd documents (`!!set` on a scalar)
        raise YamlProblem(
            Problem(
                Location(filename, 1, 1),
                f"YAML error: the document cannot be read ({type(exc).__name__})",
                "look for a tag (!!set, !!omap, ...) on a value of the wrong kind",
            )
        ) from exc
    converter = _Converter(filename)
    data = converter.value(node, (), Where((1, 1), (1, 1)), depth=0, alias=None)
    return Source(filename, data, converter.positions, text.splitlines())


def _count_nodes(text: str, filename: str) -> None:
    """Refuse `text` with more than `MAX_NODES` structure marks (an upper bound of nodes:
    marks inside strings and comments count too)."""
    beyond = next(itertools.islice(_NODE.finditer(text), MAX_NODES, None), None)
    if beyond is not None:
        line = text.count("\n", 0, beyond.start()) + 1
        column = beyond.start() - text.rfind("\n", 0, beyond.start())
        raise YamlProblem(
            Problem(
                Location(filename, line, column),
                f"more than {MAX_NODES:,} items, keys, anchors or tags, not read",
                "a spec is written by hand: split it, or check that this is the spec",
            )
        )


def _marked_problem(exc: MarkedYAMLError, filename: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    what = exc.problem or exc.context or "invalid YAML"
    if "duplicate key" in what:
        return Problem(Location(filename, line, column), f"YAML error: {what}", "remove one")
    return Problem(Location(filename, line, column), f"YAML error: {what}")


@dataclass(frozen=True)
class Where:
    """1-based positions: where a value is written, and where it is used (an alias's)."""

    written: tuple[int, int]
    used: tuple[int, int]


class _Converter:
    """Round-trip nodes to plain data, recording positions and bounding alias expansion."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.positions = Positions()
        self._seen: set[int] = set()  # containers converted once: seen again = an alias
        self._open: set[int] = set()  # containers being converted: seen again = a cycle
        self._alias_values = 0

    def value(self, node: Any, path: Path, at: Where, depth: int, alias: Where | None) -> Any:
        """Plain data for `node`; `at` says where it is written and where it is used (they
        differ for an alias), `alias` where the alias being expanded is used, if any."""
        if depth > MAX_DEPTH:
            raise self._problem(at.written, f"YAML nested deeper than {MAX_DEPTH} levels")
        if alias is not None:
            self._alias_values += 1
            if self._alias_values > MAX_ALIAS_VALUES:
                raise self._problem(
                    alias.used,
                    f"aliases expand to more than {MAX_ALIAS_VALUES:,} values",
                    "write the values out, or nest fewer aliases inside anchors",
                )
        if not isinstance(node, CommentedMap | CommentedSeq):
            return _scalar(node)
        if id(node) in self._open:
            raise self._problem(at.used, "an alias refers to the value that contains it")
        if id(node) in self._seen and alias is None:
            alias = at
        self._seen.add(id(node))
        self._open.add(id(node))
        try:
            if isinstance(node, CommentedMap):
                return self._map(node, path, at, depth, alias)
            return self._seq(node, path, at, depth, alias)
        finally:
            self._open.discard(id(node))

    def _seq(
        self, node: CommentedSeq, path: Path, at: Where, depth: int, alias: Where | None
    ) -> list[Any]:
        items = []
        for index, item in enumerate(node):
            written = _position(node, index, "item")
            self.positions.values[(*path, index)] = written
            # An alias item reports where its anchor is; it is used where this list is.
            used = at.used if id(item) in self._seen else written
            items.append(self.value(item, (*path, index), Where(written, used), depth + 1, alias))
        return items

    def _map(
        self, node: CommentedMap, path: Path, at: Where, depth: int, alias: Where | None
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in node.items():
            key_at = _position(node, key, "key")
            if not isinstance(key, str):
                raise self._problem(
                    key_at, f"keys must be text, found {_scalar(key)!r}", "quote the key"
                )
            value_at = _position(node, key, "value")
            self.positions.keys[(*path, key)] = key_at
            self.positions.values[(*path, key)] = value_at
            # A merged key (`<<: *x`) is written in the anchor, used where `<<` is.
            used = key_at if key in (node.lc.data or ()) else at.used
            where = Where(value_at, used)
            result[str(key)] = self.value(value, (*path, key), where, depth + 1, alias)
        return result

    def _problem(self, at: tuple[int, int], message: str, hint: str = "") -> YamlProblem:
        return YamlProblem(Problem(Location(self.filename, *at), message, hint))


def _position(node: Any, key: Any, part: str) -> tuple[int, int]:
    """1-based position of `key`'s `part` ("key", "value", "item") in `node`: its own, else
    in the map merged in (`<<: *x`) that holds it, else where `node` itself starts."""
    if key in (node.lc.data or ()):
        line, column = getattr(node.lc, part)(key)
        return (line + 1, column + 1)
    for _, merged in getattr(node, "merge", []):
        if isinstance(merged, CommentedMap) and key in merged:
            return _position(merged, key, part)
    return ((node.lc.line or 0) + 1, (node.lc.col or 0) + 1)


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
