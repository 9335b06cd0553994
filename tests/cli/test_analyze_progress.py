"""`twinsight analyze` and `ready` show how far the analysis has got when stderr is a
terminal (a real pseudo-terminal here), and write nothing of it into a pipe or a log."""

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.run import twinsight
from twinsight.analysis.progress import PASSES
from twinsight.testing import get_item, write_store


def store(path: Path) -> Path:
    write_store(
        path, (get_item(i, {"legacy": {"v": i}, "candidate": {"v": -i}}) for i in range(30))
    )
    return path


def on_a_terminal(*args: str) -> str:
    """What `twinsight ARGS` writes to its stderr, a pseudo-terminal."""
    ours, theirs = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    with subprocess.Popen(
        [sys.executable, "-m", "twinsight", *args],
        stdout=subprocess.DEVNULL,
        stderr=theirs,
        env=env,
    ) as running:
        os.close(theirs)
        said = bytearray()
        while True:
            try:
                chunk = os.read(ours, 65536)
            except OSError:  # the terminal's other end closed: the process is done
                break
            if not chunk:
                break
            said += chunk
        assert running.wait(timeout=60) == 0, said.decode(errors="replace")
    os.close(ours)
    return said.decode(errors="replace")


@pytest.mark.parametrize("command", [["analyze", "--workers", "1"], ["ready", "--dry-run"]])
def test_a_terminal_sees_the_passes(tmp_path: Path, command: list[str]) -> None:
    path = store(tmp_path / "store.duckdb")
    shown = on_a_terminal(*command, "--store", str(path))
    assert PASSES["writing"] in shown  # the last step, drawn as the bar stops
    quiet = twinsight(*command, "--store", str(path))
    assert quiet.returncode == 0, quiet.stderr
    assert not any(name in quiet.stderr for name in PASSES.values())
