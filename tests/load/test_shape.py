"""The load shape: what locust can be asked to run, refused before it starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.run import twinsight
from twinsight.load.plan import LoadShape
from twinsight.load.runner import _command


@pytest.mark.parametrize("seconds", [0.5, 2.5, 0])
def test_a_duration_locust_cannot_run_is_refused(seconds: float) -> None:
    with pytest.raises(ValueError, match="whole number of seconds"):
        LoadShape(duration_s=seconds)


def test_whole_seconds_reach_locust_as_its_run_time() -> None:
    command = _command(Path("l.py"), "http://x", LoadShape(duration_s=3))
    assert command[command.index("--run-time") + 1] == "3s"


def test_a_fractional_duration_flag_is_a_usage_error_before_any_load() -> None:
    done = twinsight(
        "load", "--legacy", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9",
        "--duration", "0.5",
    )  # fmt: skip
    assert done.returncode == 2
    assert "--duration" in done.stderr
    assert "Traceback" not in done.stderr
