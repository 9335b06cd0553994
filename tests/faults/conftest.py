"""The fault suite's summary table: a fixture to add rows, printed after the run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .table import MARKDOWN_ENV, FaultTable, markdown, text

_TABLE = pytest.StashKey[FaultTable]()


def _table(config: pytest.Config) -> FaultTable:
    if _TABLE not in config.stash:
        config.stash[_TABLE] = FaultTable()
    return config.stash[_TABLE]


@pytest.fixture(scope="session")
def fault_table(pytestconfig: pytest.Config) -> FaultTable:
    """The session's fault table: `fault_table.add(row(...))` adds a line to the summary."""
    return _table(pytestconfig)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print the fault table (and write it as Markdown where MARKDOWN_ENV names a file)."""
    rows = config.stash[_TABLE].rows if _TABLE in config.stash else []
    if not rows:
        return
    terminalreporter.write_sep("=", "fault injection")
    terminalreporter.write_line(text(rows))
    if target := os.environ.get(MARKDOWN_ENV):
        Path(target).write_text(markdown(rows), encoding="utf-8")
        terminalreporter.write_line(f"fault table written to {target}")
