"""What kind of value a JSON value is: its JSON type, and the finer shape rules compare by."""

from __future__ import annotations

import re
from typing import Any

from twinsight.identifiers import looks_like_id

__all__ = ["json_type", "looks_like_timestamp", "shape_of", "starts_as_timestamp"]

_DATE, _TIME = r"\d{4}-\d{2}-\d{2}", r"[T ]\d{2}:\d{2}"
_TIMESTAMP = re.compile(rf"^{_DATE}({_TIME}(:\d{{2}}(\.\d+)?)?(Z|[+-]\d{{2}}:?\d{{2}})?)?$")
_STARTS_AS_TIMESTAMP = re.compile(_DATE + _TIME)


def json_type(value: Any) -> str:
    """The JSON type name of a parsed value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def looks_like_timestamp(value: Any) -> bool:
    """An ISO 8601 date or date-time string (what `shape` rules call a timestamp)."""
    return isinstance(value, str) and _TIMESTAMP.match(value) is not None


def starts_as_timestamp(value: Any) -> bool:
    """A string that begins with a date and a time of day, whatever follows (zone names,
    Go's `+0000 UTC`): looser than `looks_like_timestamp`, for telling formats apart."""
    return isinstance(value, str) and _STARTS_AS_TIMESTAMP.match(value) is not None


def shape_of(value: Any) -> str:
    """A value's shape: `id`, `timestamp`, or else its JSON type."""
    if isinstance(value, int) and not isinstance(value, bool):
        return "id"
    if isinstance(value, str) and looks_like_id(value):
        return "id"
    if looks_like_timestamp(value):
        return "timestamp"
    return json_type(value)
