"""Durations given on the command line (`ready --wait`, `analyze --dask-wait`): seconds,
minutes or hours, or one line naming the flag; never anything else."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.cli.options import parse_duration
from twinsight.errors import UserError


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), (" 1.5 m ", 90), ("10m", 600), ("1h", 3600)]
)
def test_a_duration_is_read_in_its_unit(text: str, seconds: float) -> None:
    assert parse_duration("--wait", text) == seconds


@given(st.text(max_size=12))
def test_any_text_is_seconds_or_one_line_naming_the_flag(text: str) -> None:
    try:
        seconds = parse_duration("--dask-wait", text)
    except UserError as error:
        said = str(error)
    else:
        assert seconds >= 0
        return
    assert said.startswith(f"--dask-wait {text!r}: write a duration")
    assert "\n" not in said
