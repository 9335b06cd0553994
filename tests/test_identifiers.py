import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsight.identifiers import id_segment_sql, looks_like_id

UUID = "0b5e3c1a-9f2d-4e7b-8a6c-1d2e3f4a5b6c"
SEGMENTS = st.text(max_size=40) | st.sampled_from(
    ["17", UUID, "deadbeef1234", "deadbeefcafe", "aB3_" * 6, "a" * 40, "tasks", "", "123\n", "١٢٣"]
)


@pytest.fixture(scope="module")
def duck() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("17", True),
        (UUID, True),
        ("deadbeef1234", True),
        ("aB3_" * 6, True),
        ("deadbeefcafe", False),  # hex letters only: a word, not an id
        ("x" * 40, False),  # a long slug without a digit
        ("v2", False),
        ("tasks", False),
        ("123\n", False),  # a newline is no part of an id
        ("١٢٣", False),  # Arabic-Indic digits: ids are ASCII, as DuckDB reads them
    ],
)
def test_identifier_shapes(segment: str, expected: bool) -> None:
    assert looks_like_id(segment) is expected


@settings(max_examples=300, deadline=None)
@given(SEGMENTS)
def test_python_and_duckdb_read_the_same_shapes(
    duck: duckdb.DuckDBPyConnection, segment: str
) -> None:
    # store info folds endpoints in SQL, analysis in Python: they must agree.
    row = duck.execute(f"SELECT {id_segment_sql('$segment')}", {"segment": segment}).fetchone()
    assert row is not None
    assert row[0] is looks_like_id(segment)
