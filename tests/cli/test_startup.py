"""The command line starts without loading what only some commands use: every command (and
every test that runs one) paid ~1 s for analysis, the store's engines and the CEL library."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("twinsight.analysis", "twinsight.store", "duckdb", "pyarrow", "cel", "numpy")


def test_the_command_line_loads_no_analysis_store_or_cel_until_a_command_runs() -> None:
    probe = (
        f"import sys, twinsight.cli.app; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.split() == []
