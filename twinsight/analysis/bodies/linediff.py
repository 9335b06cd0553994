"""Line-oriented bodies compared by key: iCalendar, vCard, CSV and `key: value` text.

Pure functions. Only when both sides declare the same format (`text/calendar`; `text/vcard`
or `text/x-vcard`; `text/csv`; `text/plain` whose every non-blank line is `key: value` or
`key=value`) and both read as it (see `lineparse`); otherwise None, and the bodies are
compared as text, line by line. Locations:

- iCalendar and vCard: `body.VCALENDAR.VEVENT[0].DTSTART`, a property's parameter
  `body.VCALENDAR.VEVENT[0].DTSTART.@TZID`; nested components always indexed and matched by
  `UID` when every one carries a unique one (the same events in another order: one `order`
  difference at `body.VCALENDAR.VEVENT`); a repeated property indexed (`ATTENDEE[1]`).
- CSV: `body.columns[2]` (the header), `body.rows[3].price`; rows matched by the first column
  named `id`, `key`, `uid`, `code` or `name` (in any case) whose cells are unique on both
  sides, else by index.
- `key: value` text: `body.key`, a repeated key `body.key[1]`.

Decoding is strict UTF-8 (a body that does not decode is compared as bytes). A UTF-8 byte
order mark is read past, but one on one side only is a difference at `body.#bom`: a
client's parser may take it into the first column or key.
"""

from __future__ import annotations

from twinsight.analysis.jsondiff import NATURAL_KEYS
from twinsight.spec.media import media_type

from .difference import BodyDifference
from .fielddiff import Record, diff_records
from .lineparse import Table, key_values, line_components, table, table_record

__all__ = ["diff_line_bodies", "line_format", "read_lines"]


_BOM = b"\xef\xbb\xbf"
_BOM_SHOWN = "byte order mark EF BB BF"
_FORMATS = {
    "text/calendar": "icalendar",
    "text/vcard": "vcard",
    "text/x-vcard": "vcard",
    "text/directory": "vcard",
    "text/csv": "csv",
    "text/plain": "key-value",
}


def line_format(content_type: str | None) -> str | None:
    """`icalendar`, `vcard`, `csv` or `key-value` (for text/plain) by a Content-Type."""
    return _FORMATS.get(media_type(content_type))


def diff_line_bodies(
    legacy: bytes,
    legacy_type: str | None,
    candidate: bytes,
    candidate_type: str | None,
    *,
    lists: frozenset[str] = frozenset(),
) -> list[BodyDifference] | None:
    """The differences of two bodies of one declared line format, by key; None when they are
    not both of one (or one does not read as its format)."""
    form = line_format(legacy_type)
    if form is None or form != line_format(candidate_type):
        return None
    if form == "csv":
        found = _tables(table(legacy), table(candidate), lists)
    else:
        a, b = read_lines(legacy, form), read_lines(candidate, form)
        found = None if a is None or b is None else diff_records(a, b, lists=lists)
    return None if found is None else _byte_order_mark(legacy, candidate) + found


def _byte_order_mark(legacy: bytes, candidate: bytes) -> list[BodyDifference]:
    ours, theirs = legacy.startswith(_BOM), candidate.startswith(_BOM)
    if ours == theirs:
        return []
    summary = "one body begins with a byte order mark, the other not"
    if ours:
        return [BodyDifference("body.#bom", "missing", _BOM_SHOWN, None, summary)]
    return [BodyDifference("body.#bom", "extra", None, _BOM_SHOWN, summary)]


def read_lines(body: bytes, form: str) -> Record | None:
    """A body of line format `form` as a record (CSV rows by index); None if it does not read."""
    if form == "csv":
        found = table(body)
        return None if found is None else table_record(found, None)
    if form == "key-value":
        return key_values(body)
    return line_components(body)


def _tables(a: Table | None, b: Table | None, lists: frozenset[str]) -> list[BodyDifference] | None:
    if a is None or b is None:
        return None
    key = _key_column(a, b)
    return diff_records(table_record(a, key), table_record(b, key), lists=lists)


def _key_column(a: Table, b: Table) -> str | None:
    """The first column both tables have, named as a key, whose cells are unique on each side."""
    for column in a.columns:
        if column.strip().lower() not in NATURAL_KEYS or column not in b.columns:
            continue
        ours = [row.get(column) for row in a.rows]
        theirs = [row.get(column) for row in b.rows]
        if None in ours or None in theirs:
            continue
        if len(set(ours)) == len(ours) and len(set(theirs)) == len(theirs):
            return column
    return None
