"""Line-oriented bodies read as records (see `fielddiff`): iCalendar and vCard, CSV, `key: value`.

Pure functions; each returns None for a body that does not read as its format (it is then
compared as text), never raises.

- iCalendar (RFC 5545) and vCard (RFC 6350): folded lines unfolded (a line beginning with a
  space or tab continues the one before), each `NAME;PARAM=V:VALUE` a property of the
  component around it, names and parameter names in capitals. A component is a record of its
  properties (a leaf each: its value, its parameters as attributes `.@TZID`) and of its
  components, nested ones always indexed (`VCALENDAR.VEVENT[0]`), keyed by their `UID`.
- CSV: the header row names the columns (`body.columns[i]`); each row is a record of its
  cells by column (`body.rows[3].price`), keyed by a key column the caller chooses.
- `key: value` (or `key=value`) text: each line a field by its key (`body.key`).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .fielddiff import Item, Leaf, Record

__all__ = [
    "MAX_DEPTH",
    "MAX_LINES",
    "Table",
    "key_values",
    "line_components",
    "table",
    "table_record",
]

MAX_LINES = 100_000
"""A body of more lines is not read as records (it is compared as text)."""
MAX_DEPTH = 32
"""Components nested deeper are not read (calendars nest two or three: the walk recurses)."""

_FOLD = re.compile(r"\r?\n[ \t]")
_NAME = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)?$")
_KEY_VALUE = re.compile(r"^([A-Za-z0-9_.\-/]+(?: [A-Za-z0-9_.\-/]+)*)\s*[:=]\s*(.*?)\s*$")
_BOM = "\ufeff"


def line_components(body: bytes) -> Record | None:
    """An iCalendar or vCard body as one record of its top-level components; None if it is
    not one (a line outside `BEGIN`/`END`, an unbalanced `END`, no component at all)."""
    text = _text(body)
    if text is None:
        return None
    lines = [line for line in _FOLD.sub("", text).splitlines() if line.strip()]
    if not lines or len(lines) > MAX_LINES:
        return None
    # Each open component: its name, its fields in order, its lines (to show it whole).
    stack: list[tuple[str, list[tuple[str, Item]], list[str]]] = [("", [], [])]
    for line in lines:
        parsed = _content_line(line)
        if parsed is None:
            return None
        name, parameters, value = parsed
        for _, _, shown in stack[1:]:
            shown.append(line)
        if name == "BEGIN":
            if len(stack) > MAX_DEPTH:
                return None
            stack.append((value.upper(), [], [line]))
        elif name == "END":
            if len(stack) < 2 or stack[-1][0] != value.upper():
                return None
            closed = stack.pop()
            stack[-1][1].append((closed[0], _component(closed[1], closed[2])))
        elif len(stack) < 2:
            return None  # a property outside any component
        else:
            stack[-1][1].append((name, Leaf(value, parameters)))
    if len(stack) != 1 or not stack[0][1]:
        return None
    return _record(stack[0][1], nested=False)


def _component(fields: list[tuple[str, Item]], lines: list[str]) -> Record:
    uids = [item.value for name, item in fields if name == "UID" and isinstance(item, Leaf)]
    record = _record(fields, nested=True)
    key = uids[0] if len(uids) == 1 else None
    return Record(record.fields, key, record.lists, "\n".join(lines))


def _record(fields: Iterable[tuple[str, Item]], nested: bool) -> Record:
    grouped = _grouped(fields)
    # A component's components are a list however many there are: one event or five.
    lists = frozenset(
        name for name, items in grouped if nested and any(isinstance(i, Record) for i in items)
    )
    return Record(grouped, lists=lists)


def _grouped(fields: Iterable[tuple[str, Item]]) -> tuple[tuple[str, tuple[Item, ...]], ...]:
    found: defaultdict[str, list[Item]] = defaultdict(list)
    for name, item in fields:
        found[name].append(item)
    return tuple(sorted((name, tuple(items)) for name, items in found.items()))


def _content_line(line: str) -> tuple[str, tuple[tuple[str, str], ...], str] | None:
    """`NAME;P=a;Q="x:y":VALUE` -> (NAME, ((P, a), (Q, x:y)), VALUE); None if malformed."""
    head, value = _split_value(line)
    if value is None:
        return None
    name, *raw = _split_unquoted(head, ";")
    if not _NAME.match(name):
        return None
    parameters: dict[str, str] = {}
    for parameter in raw:
        key, equals, given = parameter.partition("=")
        if not equals or not _NAME.match(key):
            return None
        parameters.setdefault(key.upper(), given.replace('"', ""))
    return name.upper(), tuple(sorted(parameters.items())), value


def _split_value(line: str) -> tuple[str, str | None]:
    # The value begins after the first colon outside a quoted parameter value.
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return line[:index], line[index + 1 :]
    return line, None


def _split_unquoted(text: str, separator: str) -> list[str]:
    parts, quoted, start = [], False, 0
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append(text[start:index])
            start = index + 1
    return [*parts, text[start:]]


@dataclass(frozen=True)
class Table:
    """A CSV body: its column names in order and its rows, each cell by column."""

    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]


def table(body: bytes) -> Table | None:
    """A CSV body with a header row; None if it is not one (a row longer than the header, a
    column named twice, no header)."""
    text = _text(body)
    if text is None:
        return None
    try:
        lines = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    except csv.Error:
        return None
    if not lines or len(lines) > MAX_LINES:
        return None
    header, *cells = lines
    if len(set(header)) != len(header) or any(len(row) > len(header) for row in cells):
        return None
    return Table(tuple(header), tuple(dict(zip(header, row, strict=False)) for row in cells))


def table_record(found: Table, key: str | None) -> Record:
    """A table as a record: `columns` and `rows`, each row keyed by its cell in `key`."""
    rows = tuple(
        Record(
            tuple(sorted((column, (Leaf(cell),)) for column, cell in row.items())),
            key=row.get(key) if key is not None else None,
            text=",".join(row.values()),
        )
        for row in found.rows
    )
    columns = tuple(Leaf(column) for column in found.columns)
    return Record((("columns", columns), ("rows", rows)), lists=frozenset({"columns", "rows"}))


def key_values(body: bytes) -> Record | None:
    """`key: value` (or `key=value`) lines as a record by key; None unless every non-blank
    line is one."""
    text = _text(body)
    if text is None:
        return None
    fields: list[tuple[str, Item]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        found = _KEY_VALUE.match(line)
        if found is None or len(fields) >= MAX_LINES:
            return None
        fields.append((found.group(1), Leaf(found.group(2))))
    return Record(_grouped(fields)) if fields else None


def _text(body: bytes) -> str | None:
    try:
        return body.decode().removeprefix(_BOM)
    except UnicodeDecodeError:
        return None
