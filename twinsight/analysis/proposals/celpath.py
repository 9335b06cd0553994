"""Difference locations read back as steps, and written as the CEL that reads them.

A location is what the diff writes (`body.tasks[3].title`, `body["a b"]`,
`headers.last-modified`, `body.{urn:x}order.{urn:x}total`, `body.order.@id`); a
cluster's location has its indexes folded to `[*]`. `cel_value` turns one into an
expression over `response` (or `legacy`) that reads the same value, mapping over
every `[*]`, so a proposal's `then` line checks exactly where the difference was.
Pure functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

__all__ = ["ANY", "Location", "parse_location", "select"]

ANY = -1
"""The step of a folded index, `[*]`."""

Step = str | int  # a name, an index, or ANY

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# CEL reserves these: as a field name they must be written `["in"]`.
_RESERVED = frozenset(
    {"as", "break", "const", "continue", "else", "false", "for", "function", "if", "import"}
    | {"in", "let", "loop", "package", "namespace", "null", "return", "true", "var", "void"}
    | {"while"}
)
_VARIABLES = "xyzuvw"  # a letter per nesting level of `map`/`all`: short and readable


@dataclass(frozen=True)
class Location:
    """A parsed location: its root (`status`, `headers`, `body`) and the steps under it."""

    root: str
    steps: tuple[Step, ...]

    @property
    def folded(self) -> bool:
        """Whether a step is `[*]` (the value is one per item of a list)."""
        return ANY in self.steps

    def cel_value(self, variable: str) -> str:
        """CEL reading this location's value in `variable` (`response`, `legacy`)."""
        return _value(f"{variable}.{self.root}", self.steps, 0)

    def cel_present(self, variable: str, present: bool = True) -> str:
        """CEL that holds where the location's last step is present (or absent) in
        `variable`, for every item of a folded list."""
        return _presence(f"{variable}.{self.root}", self.steps, present, 0)


def parse_location(location: str) -> Location | None:
    """`location` as steps; None where it does not read as one (never raises)."""
    root, _, rest = location.partition(".")
    if "[" in root:
        root, bracket = root.split("[", 1)
        rest = "[" + bracket + ("." + rest if rest else "")
    if root not in ("status", "headers", "body") or (root == "status" and rest):
        return None
    steps = _steps(rest) if rest else ()
    return None if steps is None else Location(root, steps)


def _steps(text: str) -> tuple[Step, ...] | None:
    steps: list[Step] = []
    i = 0
    if not text.startswith("["):
        text = "." + text
    while i < len(text):
        if text[i] == ".":
            end = _name_end(text, i + 1)
            if end == i + 1:
                return None
            steps.append(text[i + 1 : end])
            i = end
        elif text[i] == "[":
            found = _bracket(text, i)
            if found is None:
                return None
            step, i = found
            steps.append(step)
        else:
            return None
    return tuple(steps)


def _name_end(text: str, start: int) -> int:
    """Where a name starting at `start` ends: at a `.` or `[` outside `{...}`."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth = max(depth - 1, 0)
        elif depth == 0 and c in ".[":
            break
        i += 1
    return i


def _bracket(text: str, start: int) -> tuple[Step, int] | None:
    if text.startswith("[*]", start):
        return ANY, start + 3
    if text.startswith('["', start):
        end = start + 2
        while end < len(text) and text[end] != '"':
            end += 2 if text[end] == "\\" else 1  # an escape takes the character after it
        try:
            name = orjson.loads(text[start + 1 : end + 1])
        except orjson.JSONDecodeError:
            return None
        if not text.startswith("]", end + 1) or not isinstance(name, str):
            return None
        return name, end + 2
    close = text.find("]", start)
    index = text[start + 1 : close]
    if close < 0 or not index.isdigit():
        return None
    return int(index), close + 1


def select(expression: str, step: Step) -> str:
    """CEL reading `step` (a key or an index) of what `expression` reads."""
    if isinstance(step, int):
        return f"{expression}[{step}]"
    if _IDENTIFIER.match(step) and step not in _RESERVED:
        return f"{expression}.{step}"
    return f"{expression}[{orjson.dumps(step).decode()}]"


def _value(expression: str, steps: tuple[Step, ...], depth: int) -> str:
    for i, step in enumerate(steps):
        if step == ANY:
            item = _VARIABLES[depth % len(_VARIABLES)]
            rest = steps[i + 1 :]
            inner = _value(item, rest, depth + 1) if rest else item
            return f"{expression}.map({item}, {inner})" if rest else expression
        expression = select(expression, step)
    return expression


def _presence(expression: str, steps: tuple[Step, ...], present: bool, depth: int) -> str:
    for i, step in enumerate(steps):
        if step == ANY:
            item = _VARIABLES[depth % len(_VARIABLES)]
            inner = _presence(item, steps[i + 1 :], present, depth + 1)
            return f"{expression}.all({item}, {inner})"
        if i == len(steps) - 1:
            return _has(expression, step, present)
        expression = select(expression, step)
    return "true"


def _has(expression: str, step: Step, present: bool) -> str:
    if isinstance(step, int):
        test = f"size({expression}) > {step}"
    elif _IDENTIFIER.match(step) and step not in _RESERVED:
        test = f"has({expression}.{step})"
    else:
        test = f"{orjson.dumps(step).decode()} in {expression}"
    return test if present else f"!({test})" if " " in test else f"!{test}"
