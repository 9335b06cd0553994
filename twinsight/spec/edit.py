"""Adding to a spec file as its author wrote it: an `accepted` entry, a scenario.

Text in, text out. The new item is written by ruamel (so any text is quoted right) and
spliced into the original text after the last item of its top-level list, at that list's
indentation: every line the author wrote stays, in order, with its comments, quoting and
blank lines. A list that is missing is added at the end. Only a list written in flow
style (`accepted: []`) or a document that is not a block mapping is written again whole
by ruamel's round trip, which keeps comments but may re-indent.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from twinsight.errors import UserError

__all__ = ["Item", "accepted_entry", "add_items", "comment_lines"]

_WIDTH = 4096  # never fold a long line: the author's lines are theirs to break
_DEFAULT_DASH = 2  # `  - ` under a top-level key, as the bundled specs write lists


@dataclass(frozen=True)
class Item:
    """One item to append to a top-level list, with comment lines written above it."""

    data: Any
    comments: tuple[str, ...] = ()
    blank_before: bool = False  # scenarios are separated by a blank line


def accepted_entry(
    where: str, why: str, by: str | None = None, at: datetime.date | None = None
) -> CommentedMap:
    """An `accepted` entry in the order it is written: where, why, then who and when."""
    entry = CommentedMap(where=where, why=why)
    if by:
        entry["by"] = by
    if at is not None:
        entry["at"] = at
    return entry


def add_items(text: str, key: str, items: Sequence[Item]) -> str:
    """`text` with `items` appended to its top-level list `key` (added if missing)."""
    if not items:
        return text
    newline = "\r\n" if "\r\n" in text else "\n"
    document = _load(text)
    if not isinstance(document, CommentedMap) or document.fa.flow_style():
        return _redump(document, key, items)
    spliced = _spliced(text, document, key, items, newline)
    # A splice that does not read back as the old document plus the items (a `|+` block
    # keeping trailing blank lines, say) is given up for a whole rewrite, comments kept.
    if spliced is not None and _data(_load(spliced)) == _expected(document, key, items):
        return spliced
    return _redump(_load(text), key, items)


def _spliced(
    text: str, document: CommentedMap, key: str, items: Sequence[Item], newline: str
) -> str | None:
    """`text` with the items written in after the list's last line; None where no line
    can take them (a flow list, an empty one)."""
    lines = _lines_of(text)
    if key not in document:
        return _append_list(lines, key, items, _dash_column(document), newline)
    current = document[key]
    if current is None and _bare_key(lines, document, key):
        at = document.lc.data[key][0] + 1
        return _splice(lines, at, _render(items, _dash_column(document), newline, True), newline)
    if isinstance(current, CommentedSeq) and len(current) and not current.fa.flow_style():
        dash = document.lc.data[key][3]
        at = _end_of_block(lines, document, key, dash)
        return _splice(lines, at, _render(items, dash, newline, first=False), newline)
    return None


def _expected(document: CommentedMap, key: str, items: Sequence[Item]) -> Any:
    """The old document's data with the items appended to `key`."""
    data = _data(document)
    data[key] = [*(data.get(key) or []), *(_data(item.data) for item in items)]
    return data


def _data(node: Any) -> Any:
    """YAML nodes as plain data (maps, lists, scalars), for comparing what they say."""
    if isinstance(node, dict):
        return {str(k): _data(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_data(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def _load(text: str) -> Any:
    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"cannot read the spec as YAML: {first}") from None


def _dash_column(document: CommentedMap) -> int:
    """Where another top-level block list puts its dashes (`scenarios`), else 2."""
    for name, value in document.items():
        if isinstance(value, CommentedSeq) and len(value) and not value.fa.flow_style():
            return int(document.lc.data[name][3])
    return _DEFAULT_DASH


def _bare_key(lines: list[str], document: CommentedMap, key: str) -> bool:
    """Whether `key:` stands alone on its line (a comment may follow), nothing after it."""
    line, column = document.lc.data[key][:2]
    rest = lines[line][column + len(key) :].strip()
    return rest.startswith(":") and rest[1:].strip()[:1] in ("", "#")


def _end_of_block(lines: list[str], document: CommentedMap, key: str, dash: int) -> int:
    """The index after the last line of `key`'s list that is not blank nor a comment of
    its own (a comment at most as indented as the dashes belongs to what follows)."""
    start = int(document.lc.data[key][0])
    later = [document.lc.data[k][0] for k in document if document.lc.data[k][0] > start]
    end = min(later, default=len(lines))
    for index in range(end - 1, start, -1):
        stripped = lines[index].strip()
        indent = len(lines[index]) - len(lines[index].lstrip())
        if stripped and not (stripped.startswith("#") and indent <= dash):
            return index + 1
    return start + 1


def _append_list(lines: list[str], key: str, items: Sequence[Item], dash: int, newline: str) -> str:
    text = "".join(lines)
    if text and not text.endswith(("\n", "\r")):
        text += newline
    head = (newline if text.strip() else "") + f"{key}:{newline}"
    return text + head + "".join(_render(items, dash, newline, first=True))


def _splice(lines: list[str], at: int, new: list[str], newline: str) -> str:
    before = lines[:at]
    if before and not before[-1].endswith(("\n", "\r")):
        before[-1] += newline  # the last line had no line break
    return "".join([*before, *new, *lines[at:]])


def _render(items: Sequence[Item], dash: int, newline: str, first: bool) -> list[str]:
    """The items as block-list lines whose dashes stand at column `dash`."""
    yaml = _writer()
    pad = " " * dash
    out: list[str] = []
    for n, item in enumerate(items):
        if item.blank_before and not (first and n == 0):
            out.append(newline)
        out += [
            f"{pad}# {line}".rstrip() + newline for c in item.comments for line in comment_lines(c)
        ]
        stream = io.StringIO()
        yaml.dump([_escaped(item.data)], stream)
        # Dumped as a top-level list its dashes stand at column 2: move them to `dash`.
        out += [pad + line[2:] + newline for line in stream.getvalue().split("\n")[:-1]]
    return out


def comment_lines(comment: str) -> list[str]:
    """A comment's lines, each printable: YAML refuses control characters even there, and
    reads U+0085, U+2028 or a lone CR as a line break that would end the comment."""
    return [
        "".join(c if _plain(c) else repr(c)[1:-1] for c in line) for line in comment.splitlines()
    ] or [""]


def _plain(character: str) -> bool:
    return character.isprintable() or character == "\t"


def _escaped(data: Any) -> Any:
    """`data` with every string holding a character that is not printable double-quoted:
    ruamel would write U+0085 or U+2028 raw in a single-quoted or plain scalar, where a
    reader takes it for a line break, and the text would not come back the same."""
    if isinstance(data, str) and not all(_plain(c) for c in data):
        return DoubleQuotedScalarString(data)
    if isinstance(data, dict):
        escaped = CommentedMap()
        for key, value in data.items():
            escaped[_escaped(key)] = _escaped(value)
        if isinstance(data, CommentedMap) and data.fa.flow_style():
            escaped.fa.set_flow_style()
        return escaped
    if isinstance(data, list):
        items = CommentedSeq(_escaped(v) for v in data)
        if isinstance(data, CommentedSeq) and data.fa.flow_style():
            items.fa.set_flow_style()
        return items
    return data


def _redump(document: Any, key: str, items: Sequence[Item]) -> str:
    """The whole document written again by ruamel's round trip (comments kept)."""
    if not isinstance(document, MutableMapping):
        raise UserError(f"cannot add to '{key}': the spec is not a mapping")
    current = document.get(key)
    if current is None:
        current = document[key] = CommentedSeq()
    if not isinstance(current, list):
        raise UserError(f"cannot add to '{key}': it is not a list in the spec")
    for item in items:
        current.append(_escaped(item.data))
        if item.comments and isinstance(current, CommentedSeq):
            lines = [line for c in item.comments for line in comment_lines(c)]
            current.yaml_set_comment_before_after_key(
                len(current) - 1, before="\n".join(lines), indent=2
            )
    stream = io.StringIO()
    _writer().dump(document, stream)
    return stream.getvalue()


def _writer() -> YAML:
    """ruamel set as `spec.dump` writes: lists indented under their key, long lines whole,
    None written out as `null`."""
    yaml = YAML(typ="rt")
    yaml.width = _WIDTH
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    yaml.representer.add_representer(type(None), _represent_null)
    return yaml


def _represent_null(representer: Any, _: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _lines_of(text: str) -> list[str]:
    """The lines of `text`, each with its break: only at "\\n" (str.splitlines also breaks
    at characters such as U+0085 that a quoted value may hold)."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)
