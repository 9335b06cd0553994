"""Adding `[[normalize]]` rules to a `twinsight.toml` as its author wrote it.

Text in, text out. Each rule is written by tomlkit (so any text is quoted right) and
spliced in after the last `[[normalize]]` table, or at the end of the file when there is
none: every line the author wrote stays, in order, with its comments and blank lines.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

import tomlkit

from twinsight.errors import UserError

__all__ = ["add_normalize", "normalize_table"]

_HEADER = re.compile(r"^\s*\[\[\s*normalize\s*\]\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")


def normalize_table(
    where: str,
    compare: str,
    why: str,
    by: str | None = None,
    at: datetime.date | None = None,
) -> dict[str, Any]:
    """A `[[normalize]]` rule's keys in the order they are written."""
    table: dict[str, Any] = {"where": where, "compare": compare, "why": why}
    if by:
        table["by"] = by
    if at is not None:
        table["at"] = at
    return table


def add_normalize(text: str, rules: Sequence[Mapping[str, Any]]) -> str:
    """`text` with `rules` appended as `[[normalize]]` tables after the last one."""
    if not rules:
        return text
    newline = "\r\n" if "\r\n" in text else "\n"
    data = _check_form(text)
    lines = _lines_of(text)
    tables = [_render(rule, newline) for rule in rules]
    headers = [i for i, line in enumerate(lines) if _HEADER.match(line)]
    at = _end_of_table(lines, headers[-1]) if headers else len(lines)
    wanted = {**data, "normalize": [*data.get("normalize", []), *map(dict, rules)]}
    # The line scan does not know TOML's multi-line strings and arrays: a line in one that
    # looks like a header would put the rule inside the string. Such a splice does not
    # read back as the rules added; the end of the file (never inside a string) then takes it.
    for place in dict.fromkeys((at, len(lines))):
        after = _splice(lines, place, tables, newline)
        if tomllib.loads(after) == wanted:
            return after
    raise UserError("cannot add the rule: the config does not read back with it added")


def _splice(lines: list[str], at: int, tables: list[str], newline: str) -> str:
    before = lines[:at]
    if before and not before[-1].endswith(("\n", "\r")):
        before[-1] += newline
    spaced = [newline + t if before or n else t for n, t in enumerate(tables)]
    return "".join([*before, *spaced, *lines[at:]])


def _check_form(text: str) -> dict[str, Any]:
    """The file's data; refuse a file that is not TOML, or whose `normalize` is not a list
    of tables."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"cannot read the config as TOML: {exc}") from None
    found = data.get("normalize")
    if found is not None and not (isinstance(found, list) and _written_as_tables(text)):
        raise UserError(
            "cannot add a rule: the config's 'normalize' is not written as [[normalize]] tables"
        )
    return data


def _written_as_tables(text: str) -> bool:
    return any(_HEADER.match(line) for line in _lines_of(text))


def _end_of_table(lines: list[str], header: int) -> int:
    """The index after the table's last line that is not blank nor a comment (a comment
    just before the next table belongs to it)."""
    end = next((i for i in range(header + 1, len(lines)) if _ANY_HEADER.match(lines[i])), None)
    last = header
    for index in range(header + 1, len(lines) if end is None else end):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            last = index
    return last + 1


def _render(rule: Mapping[str, Any], newline: str) -> str:
    table = tomlkit.table()
    for key, value in rule.items():
        table[key] = value
    document = tomlkit.document()
    document.append("normalize", tomlkit.aot())
    document["normalize"].append(table)
    text = tomlkit.dumps(document).strip("\n")
    return newline.join(text.split("\n")) + newline


def _lines_of(text: str) -> list[str]:
    """The lines of `text`, each with its break: only at "\\n" (str.splitlines also breaks
    at characters such as U+0085 that a quoted value may hold)."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)
