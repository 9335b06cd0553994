"""`tests.cli.run.twinsight`: a run forked from the zygote is the run a fresh interpreter
makes (its output, exit code, folder and environment its own), and one past its time is
killed and raised as `subprocess.run` does."""

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli.run import twinsight

UNREACHABLE = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "test"}


@pytest.mark.parametrize(
    "args",
    [("--version",), ("config", "show"), ("analyze", "--store", "missing.duckdb"), ("nope",)],
)
def test_a_forked_run_says_what_a_fresh_one_says(args: tuple[str, ...], tmp_path: Path) -> None:
    forked, fresh = (twinsight(*args, cwd=tmp_path, fresh=f) for f in (False, True))
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        fresh.returncode,
        fresh.stdout,
        fresh.stderr,
    )


def test_a_run_has_its_own_folder_and_environment(tmp_path: Path) -> None:
    (tmp_path / "twinsight.toml").write_text("[store]\nflush_interval_s = 7.5\n")
    shown = twinsight("config", "show", cwd=tmp_path)
    assert "7.5" in shown.stdout, shown.stderr
    assert "7.5" not in twinsight("config", "show").stdout  # the next run is in its own
    environment = {**os.environ, **UNREACHABLE, "AWS_SECRET_ACCESS_KEY": "test"}
    refused = twinsight("store", "info", "--segments", "s3://bucket/x", env=environment)
    assert refused.returncode == 2
    assert "http://127.0.0.1:9" in refused.stderr
    # The next run sees its own environment, not one an earlier run was given.
    elsewhere = {**environment, "AWS_ENDPOINT_URL": "http://127.0.0.1:10"}
    again = twinsight("store", "info", "--segments", "s3://bucket/x", env=elsewhere)
    assert "http://127.0.0.1:10" in again.stderr
    assert "http://127.0.0.1:9 " not in again.stderr
    assert "AWS_ENDPOINT_URL" not in os.environ  # the test's own is untouched


def test_a_run_past_its_time_is_killed(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired) as raised:
        twinsight("example", "legacy", "--port", "0", cwd=tmp_path, timeout=3)
    assert time.monotonic() - started < 10
    said = raised.value.output.decode()  # bytes, as `subprocess.run` gives them
    url = said.removeprefix("legacy listening on ").strip()
    assert url.startswith("http://127.0.0.1:"), said
    host, port = url.removeprefix("http://").split(":")
    with pytest.raises(ConnectionRefusedError):  # the service went with its process
        socket.create_connection((host, int(port)), timeout=5).close()
