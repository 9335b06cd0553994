"""Running the `twinsight` command as a user does: a real process, its exit code and output."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["twinsight"]


def twinsight(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """`python -m twinsight ARGS`, its output captured as text; a failing exit does not raise."""
    argv = [sys.executable, "-m", "twinsight", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
