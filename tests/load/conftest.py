"""The bundled example services, really listening on ephemeral ports, for load runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from twinsight.store.tokens import token_uses


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """name -> base URL of the legacy and candidate Task Management services."""
    folder = tmp_path_factory.mktemp("services")
    started: dict[str, subprocess.Popen[str]] = {}
    urls: dict[str, str] = {}
    try:
        for name, db in (("legacy", "legacy.sqlite"), ("candidate", "candidate.json")):
            process = subprocess.Popen(
                [sys.executable, "-m", "twinsight", "example", name, "--port", "0",
                 "--db", str(folder / db)],
                stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
            started[name] = process
            assert process.stdout is not None
            urls[name] = process.stdout.readline().split()[-1]
        yield urls
    finally:
        for process in started.values():
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


@pytest.fixture(scope="module")
def token() -> str:
    """A JWT both example services accept."""
    from twinsight.examples.tasks.auth import make_token

    return make_token()


def spec_file(folder: Path, constraints: str, scenarios: str = "") -> Path:
    """A spec with these constraints (YAML lines under `constraints:`)."""
    path = folder / "spec.yaml"
    path.write_text(f"feature: Tasks\n{scenarios}constraints:\n{constraints}", encoding="utf-8")
    return path


def credentials_file(folder: Path, store: Path, tokens: list[str]) -> Path:
    """A credentials file giving each recorded marker, in order of first use, its token."""
    markers = [use.token for use in token_uses(store, None)]
    assert len(markers) == len(tokens)
    lines = []
    for marker, token in zip(markers, tokens, strict=True):
        lines += [f'[tokens."{marker}"]', f'value = "Bearer {token}"', ""]
    path = folder / "credentials.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
