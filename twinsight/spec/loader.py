"""Load a spec file into a `Spec`, or raise `SpecError` listing every located problem.

Loading never raises anything else, whatever the bytes: YAML errors, unknown keys
(with a did-you-mean), wrong types, CEL syntax errors (with a caret under the
column), duplicate scenario names and bad path templates all become
`file:line:col: message` problems.
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from twinsight.errors import Location, Problem, SpecError
from twinsight.spec.model import Spec
from twinsight.spec.yamlsource import (
    MAX_BYTES,
    Source,
    YamlProblem,
    over_limit,
    read_yaml,
    too_large,
)
from twinsight.spec.yamlsource import Path as DataPath

__all__ = ["load_spec", "parse_spec"]

_TYPE_MESSAGES = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
}


def load_spec(path: str | Path) -> Spec:
    """Read and validate the spec file at `path`."""
    file = Path(path)
    try:
        with file.open(encoding="utf-8") as stream:
            # One character past the limit is enough to refuse: never read a huge file whole.
            text = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise SpecError([Problem(Location(str(path)), "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([Problem(Location(str(path)), f"cannot read: {exc}")]) from None
    if over_limit(text):
        raise SpecError([too_large(str(path))])
    return parse_spec(text, str(path))


def parse_spec(text: str, filename: str = "<spec>") -> Spec:
    """Validate spec `text`; `filename` only names it in messages."""
    try:
        source = read_yaml(text, filename)
    except YamlProblem as exc:
        raise SpecError([exc.problem]) from None
    if not isinstance(source.data, dict):
        found = "an empty file" if source.data is None else f"{type(source.data).__name__}"
        raise SpecError(
            [
                Problem(
                    Location(filename, 1, 1),
                    f"a spec is a mapping with 'feature' and 'scenarios', found {found}",
                )
            ]
        )
    problems = _duplicate_names(source)
    try:
        spec = Spec.model_validate(source.data)
    except ValidationError as exc:
        problems += _problems(exc, source)
    if problems:
        raise SpecError(
            _first(sorted(problems, key=lambda p: (p.location.line, p.location.column)))
        )
    return spec


MAX_PROBLEMS = 50  # a generated file gave 524,226 lines: past a screenful, more say nothing
MAX_QUOTED = 80  # characters of a key or value quoted in a message


def _first(problems: list[Problem]) -> list[Problem]:
    """The first `MAX_PROBLEMS` problems, then one saying how many more there are."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    return [
        *problems[:MAX_PROBLEMS],
        Problem(problems[MAX_PROBLEMS].location, f"... and {rest:,} more"),
    ]


def _short(text: str) -> str:
    """`text` cut to `MAX_QUOTED` characters, marked where cut."""
    return text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 3] + "..."


def _problems(error: ValidationError, source: Source) -> list[Problem]:
    details = error.errors(include_url=False)
    failing = [tuple(d["loc"]) for d in details]
    problems = []
    for detail in details:
        loc: DataPath = tuple(detail["loc"])
        # A list whose items failed also reports "too short"; the item errors say it all.
        if detail["type"] == "too_short" and any(
            f[: len(loc)] == loc and f != loc for f in failing
        ):
            continue
        problems.append(_problem(detail, loc, source))
    return problems


def _problem(detail: Any, loc: DataPath, source: Source) -> Problem:
    kind, ctx = detail["type"], detail.get("ctx") or {}
    where = _dotted(loc)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        line, column = _position(loc, source, key=True)
        fields = _fields_at(loc[:-1])
        close = difflib.get_close_matches(key[:MAX_QUOTED], fields, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(fields)}"
        return Problem(
            source.location(line, column),
            f"{_dotted(loc[:-1]) or 'top level'}: unknown key '{_short(key)}'",
            hint,
        )
    if kind == "missing":
        line, column = _position(loc[:-1], source, key=True)
        return Problem(
            source.location(line, column),
            f"{_dotted(loc[:-1]) or 'top level'}: missing required key '{loc[-1]}'",
        )
    line, column = _position(loc, source, key=False)
    if kind == "cel_syntax":
        return _cel_problem(loc, source, line, column, ctx)
    message = _TYPE_MESSAGES.get(kind, detail["msg"])
    if kind in _TYPE_MESSAGES:
        message += f", found {_describe(detail.get('input'))}"
    return Problem(source.location(line, column), f"{where}: {message}")


def _cel_problem(loc: DataPath, source: Source, line: int, column: int, ctx: Any) -> Problem:
    # Point the caret at the CEL column inside the YAML value when it sits on one line.
    text = source.lines[line - 1] if 0 < line <= len(source.lines) else ""
    offset = 1 if text[column - 1 : column] in ("'", '"') else 0
    caret_column = column + offset + int(ctx.get("cel_column", 1)) - 1
    excerpt = f"  {text}\n  {' ' * (caret_column - 1)}^" if text else ""
    return Problem(
        source.location(line, caret_column),
        f"{_dotted(loc)}: {ctx['message']}",
        str(ctx.get("hint", "")),
        excerpt,
    )


def _position(loc: DataPath, source: Source, *, key: bool) -> tuple[int, int]:
    """Where `loc` (a pydantic location) was written, falling back to its nearest parent."""
    table = source.positions.keys if key else source.positions.values
    path = _yaml_path(loc, source.data)
    while path:
        if path in table:
            return table[path]
        if path in source.positions.values:
            return source.positions.values[path]
        path = path[:-1]
    return (1, 1)


def _yaml_path(loc: DataPath, data: Any) -> DataPath:
    """Map a model location to the YAML path; `text: expr` lines have no `check` key."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if (
            isinstance(node, dict)
            and part in ("text", "check")
            and part not in node
            and len(node) == 1
        ):
            path.append(next(iter(node)))
            break
        if isinstance(node, str) and part == "text":
            break
        path.append(part)
        node = (
            node.get(part)
            if isinstance(node, dict)
            else (
                node[part]
                if isinstance(node, list) and isinstance(part, int) and part < len(node)
                else None
            )
        )
    return tuple(path)


def _fields_at(loc: DataPath) -> list[str]:
    """Names a mapping at model location `loc` may hold, for did-you-mean."""
    model: Any = Spec
    for part in loc:
        if isinstance(part, int) or not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return []
        model = _inner_model(info.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _duplicate_names(source: Source) -> list[Problem]:
    scenarios = source.data.get("scenarios")
    if not isinstance(scenarios, list):
        return []
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for index, scenario in enumerate(scenarios):
        name = scenario.get("name") if isinstance(scenario, dict) else None
        if not isinstance(name, str):
            continue
        line, column = _position(("scenarios", index, "name"), source, key=False)
        if name in first_line:
            problems.append(
                Problem(
                    source.location(line, column),
                    f"scenarios[{index}]: duplicate scenario name {_short(repr(name))}",
                    f"first used on line {first_line[name]}; names must be unique",
                )
            )
        else:
            first_line[name] = line
    return problems


def _dotted(loc: DataPath) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"[:60]
