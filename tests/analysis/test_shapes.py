from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.shapes import (
    json_type,
    looks_like_timestamp,
    shape_of,
    starts_as_timestamp,
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(st.none() | st.booleans() | st.integers() | st.floats() | st.text())
def test_shape_of_never_raises(value: object) -> None:
    assert shape_of(value) in {"null", "boolean", "id", "number", "string", "timestamp"}


@given(JSON)
def test_a_shape_refines_the_json_type(value: Any) -> None:
    # id and timestamp split numbers and strings finer; every other shape is the JSON type.
    shape = shape_of(value)
    if shape not in {"id", "timestamp"}:
        assert shape == json_type(value)
    if shape == "timestamp":
        assert json_type(value) == "string"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-30", True),
        ("2026-11-30T09:03:37", True),
        ("2026-11-30 09:03:37.123456+01:00", True),
        ("2026-11-30T09:03Z", True),
        ("30/11/2026", False),
        ("2026-11-30T09:03:37 and more", False),
        (20261130, False),
    ],
)
def test_looks_like_timestamp(value: object, expected: bool) -> None:
    assert looks_like_timestamp(value) is expected


def test_json_types() -> None:
    assert [json_type(v) for v in (None, True, 1, 1.5, "a", [], {})] == [
        "null",
        "boolean",
        "number",
        "number",
        "string",
        "array",
        "object",
    ]


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-20 10:00:00.123456 +0000 UTC",  # Go's default time format
        "2026-11-20T10:00:00+05:30[Asia/Kolkata]",
        "2026-11-20 10:00:00 GMT",
    ],
)
def test_timestamps_with_zone_names_start_as_timestamps(value: str) -> None:
    # Clusters tell timestamp formats apart with this looser reading; shape rules do not.
    assert starts_as_timestamp(value)
    assert not looks_like_timestamp(value)
